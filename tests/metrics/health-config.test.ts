// The config watcher is the real one; the health checker (#7) lands separately, so a fake with
// the shape of its contract stands in for it until then.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, watchConfig } from 'bulwark/config';
import { createMetrics, type HealthCheckerShape, type HealthCheckStatus } from 'bulwark/metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { samples } from './exposition.ts';

function fakeChecker() {
  const checks: Record<
    string,
    { status: HealthCheckStatus; durationMs: number; lastRunAt: number; consecutiveFailures: number }
  > = {};
  const checker: HealthCheckerShape & { set(name: string, status: HealthCheckStatus, durationMs: number): void } = {
    status: () => ({ status: 'pass', checks: { ...checks }, generatedAt: 0 }),
    register: () => {},
    set(name, status, durationMs) {
      checks[name] = { status, durationMs, lastRunAt: 0, consecutiveFailures: status === 'fail' ? 1 : 0 };
    },
  };
  return checker;
}

describe('metrics of a health checker', () => {
  it('shows each check as 1 pass, 0.5 warn, 0 fail, and its last duration, read when scraped', async () => {
    const registry = new Registry();
    const checker = fakeChecker();
    const stop = createMetrics({ registry }).observe(checker);
    checker.set('db', 'pass', 12);
    checker.set('cache', 'warn', 1500);
    checker.set('queue', 'fail', 2000);
    expect(await samples(registry, 'bulwark_health_check_status')).toEqual([
      'bulwark_health_check_status{check="cache"} 0.5',
      'bulwark_health_check_status{check="db"} 1',
      'bulwark_health_check_status{check="queue"} 0',
    ]);
    expect(await samples(registry, 'bulwark_health_check_duration_seconds')).toEqual([
      'bulwark_health_check_duration_seconds{check="cache"} 1.5',
      'bulwark_health_check_duration_seconds{check="db"} 0.012',
      'bulwark_health_check_duration_seconds{check="queue"} 2',
    ]);
    checker.set('db', 'fail', 2000);
    expect(await samples(registry, 'bulwark_health_check_status')).toContain(
      'bulwark_health_check_status{check="db"} 0',
    );
    stop();
    expect(await samples(registry, 'bulwark_health_check_status')).toEqual([]);
  });

  it('a second checker on the same metrics is an error that says how to observe it', () => {
    const metrics = createMetrics({ registry: new Registry() });
    metrics.observe(fakeChecker());
    expect(() => metrics.observe(fakeChecker())).toThrow(
      /a health checker is already observed .* other "labels" values/,
    );
  });
});

describe('metrics of a config watcher', () => {
  it('counts reloads by result and shows the generation, from a real watchConfig', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-metrics-config-'));
    const file = join(dir, 'app.yaml');
    writeFileSync(file, 'limit: 1\n');
    const watcher = watchConfig({
      schema: z.object({ limit: z.int().positive() }),
      files: [file],
      env: {},
      pollMs: 60_000,
    });
    try {
      const registry = new Registry();
      const stop = createMetrics({ registry, labels: { service: 'shop' } }).observe(watcher);
      expect(await samples(registry, 'bulwark_config_generation')).toEqual([
        'bulwark_config_generation{service="shop"} 1',
      ]);
      writeFileSync(file, 'limit: 2\n');
      await watcher.reload();
      writeFileSync(file, 'limit: -1\n');
      await expect(watcher.reload()).rejects.toThrow(ConfigError);
      writeFileSync(file, 'limit: 3\n');
      await watcher.reload();
      expect(await samples(registry, 'bulwark_config_reloads_total')).toEqual([
        'bulwark_config_reloads_total{service="shop",result="failure"} 1',
        'bulwark_config_reloads_total{service="shop",result="success"} 2',
      ]);
      expect(await samples(registry, 'bulwark_config_generation')).toEqual([
        'bulwark_config_generation{service="shop"} 3',
      ]);
      stop();
      writeFileSync(file, 'limit: 4\n');
      await watcher.reload();
      expect(await samples(registry, 'bulwark_config_reloads_total')).toContain(
        'bulwark_config_reloads_total{service="shop",result="success"} 2',
      );
      expect(await samples(registry, 'bulwark_config_generation')).toEqual([]);
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
