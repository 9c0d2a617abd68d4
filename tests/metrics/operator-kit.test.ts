import { readFileSync } from 'node:fs';
import { createMetrics } from 'bulwark/metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The names bulwark/metrics really registers, with a histogram's _bucket, _sum and _count series. */
function exportedNames(): Set<string> {
  const registry = new Registry();
  createMetrics({ registry });
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  return names;
}

/** Every bulwark_* name in a PromQL expression. */
const metricsIn = (expr: string) => [...expr.matchAll(/\bbulwark_[a-z_]+/g)].map((m) => m[0]);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('examples/prometheus/alerts.yml', () => {
  const rules = (parse(read('examples/prometheus/alerts.yml')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
    (g) => g.rules,
  );
  const byName = new Map(rules.map((r) => [r.alert, r]));

  it('has every alert, with its severity and for', () => {
    expect([...byName.keys()].sort()).toEqual(
      [
        'CircuitBreakerOpen',
        'CircuitBreakerHalfOpen',
        'RetryGiveUpsHigh',
        'TimeoutsHigh',
        'HealthCheckFailing',
        'ConfigReloadFailing',
        'RateLimitRejectionsHigh',
        'FallbacksServed',
        'HedgesMostlyWin',
      ].sort(),
    );
    expect(byName.get('CircuitBreakerOpen')).toMatchObject({ for: '1m', labels: { severity: 'critical' } });
    expect(byName.get('CircuitBreakerHalfOpen')?.labels?.severity).toBe('warning');
    expect(byName.get('HealthCheckFailing')).toMatchObject({ for: '2m', labels: { severity: 'critical' } });
    for (const rule of rules) expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
  });

  it('every alert has a summary and a description, and uses only metrics bulwark exports', () => {
    const names = exportedNames();
    for (const rule of rules) {
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const used = metricsIn(rule.expr);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const name of used) expect(names, `${rule.alert} uses ${name}`).toContain(name);
    }
  });
});

describe('examples/grafana/bulwark.json', () => {
  const dashboard = JSON.parse(read('examples/grafana/bulwark.json')) as {
    __inputs: Array<{ name: string; pluginId: string }>;
    panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ definition: string }> };
  };

  it('takes its Prometheus as the DS_PROMETHEUS input', () => {
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }),
    );
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe(`\${DS_PROMETHEUS}`);
    }
  });

  it('every query uses only metrics bulwark exports, and every metric is on it', () => {
    const names = exportedNames();
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => v.definition),
    ];
    const used = new Set(exprs.flatMap(metricsIn));
    for (const name of used) expect(names, name).toContain(name);
    const histogramParts = /_(sum|count)$|_seconds$/;
    const shown = [...names].filter((n) => !histogramParts.test(n) || n.endsWith('health_check_duration_seconds'));
    for (const name of shown) expect(used, `the dashboard shows ${name}`).toContain(name);
  });
});
