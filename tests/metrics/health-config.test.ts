// The real health checker (on a FakeClock) and the real config watcher (on real files), observed
// through their public members and events only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, watchConfig } from 'bulwark/config';
import { createHealthChecker } from 'bulwark/health';
import { createMetrics } from 'bulwark/metrics';
import { FakeClock } from 'bulwark/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { samples } from './exposition.ts';

/** A real checker on a FakeClock, with checks whose results the test sets and durations it controls. */
function realChecker() {
  const clock = new FakeClock();
  const checker = createHealthChecker({ clock, intervalMs: 1000, timeoutMs: 5000, random: () => 0.5 });
  const results = new Map<string, { status: 'pass' | 'warn' | 'fail'; ms: number }>();
  const add = (name: string) =>
    checker.register(name, async () => {
      const r = results.get(name) ?? { status: 'pass', ms: 0 };
      await new Promise<void>((resolve) => clock.setTimeout(resolve, r.ms));
      return { status: r.status };
    });
  /** Sets what each named check returns and how long it takes, then runs every check once. */
  const run = async (next: Record<string, { status: 'pass' | 'warn' | 'fail'; ms: number }>) => {
    for (const [name, r] of Object.entries(next)) results.set(name, r);
    await clock.advance(1100 + Math.max(...[...results.values()].map((r) => r.ms)));
  };
  return { checker, add, run, clock };
}

describe('metrics of a health checker', () => {
  it('shows each check as 1 pass, 0.5 warn, 0 fail, and its last duration, read when scraped', async () => {
    const registry = new Registry();
    const { checker, add, run, clock } = realChecker();
    for (const name of ['db', 'cache', 'queue']) add(name);
    const stop = createMetrics({ registry }).observe(checker);
    checker.start();
    await run({
      db: { status: 'pass', ms: 12 },
      cache: { status: 'warn', ms: 1500 },
      queue: { status: 'fail', ms: 2000 },
    });
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
    await run({ db: { status: 'fail', ms: 20 } });
    expect(await samples(registry, 'bulwark_health_check_status')).toContain(
      'bulwark_health_check_status{check="db"} 0',
    );
    stop();
    expect(await samples(registry, 'bulwark_health_check_status')).toEqual([]);
    const stopped = checker.stop(); // waits for runs in flight, which wait on the fake clock
    await clock.advance(5000);
    await stopped;
  });

  it('a second checker on the same metrics is observed too (a check of one name shows the worst status)', () => {
    const metrics = createMetrics({ registry: new Registry() });
    metrics.observe(realChecker().checker);
    expect(() => metrics.observe(realChecker().checker)).not.toThrow();
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
