/**
 * Issue 14, item 2: a watched directory replaced (moved away and made anew, removed and made
 * anew, an include's directory recreated) is noticed, watched again, and its new content applied;
 * when the files cannot be watched, the health check says so. Real directories and events; the
 * debounce runs on a FakeClock.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigWatcher, watchConfig } from 'bulwark/config';
import { FakeClock } from 'bulwark/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { tempDirs } from './helpers.ts';

failOnUnhandledRejections();
const files = tempDirs();
const schema = z.object({ limit: z.int().positive(), extra: z.string().default('none') });

const open: ConfigWatcher<typeof schema>[] = [];
afterEach(async () => {
  for (const watcher of open.splice(0)) await watcher.close();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(file: string, options: { pollMs?: number } = {}) {
  const clock = new FakeClock();
  const watcher = watchConfig({ schema, files: [file], env: {}, clock, debounceMs: 100, ...options });
  open.push(watcher);
  /** Waits until a change to `limit` is applied (advancing the debounce as events come). */
  const applied = async (limit: number) => {
    await until(() => {
      if (clock.pendingTimers > 0) void clock.advance(100);
      return watcher.current.limit === limit;
    }, `limit ${limit} applied`);
  };
  return { clock, watcher, applied };
}

describe('watchConfig when a watched directory is replaced', () => {
  it('follows a directory moved away and made anew (mv, mkdir)', async () => {
    const dir = files.dir();
    const conf = join(dir, 'conf');
    mkdirSync(conf);
    writeFileSync(join(conf, 'app.yaml'), 'limit: 10\n');
    const { watcher, applied } = start(join(conf, 'app.yaml'));
    renameSync(conf, join(dir, 'conf.old'));
    mkdirSync(conf);
    writeFileSync(join(conf, 'app.yaml'), 'limit: 11\n');
    await applied(11);
    // The new directory is the one watched now: a later write is seen, the old one's are not.
    writeFileSync(join(dir, 'conf.old', 'app.yaml'), 'limit: 99\n');
    writeFileSync(join(conf, 'app.yaml'), 'limit: 12\n');
    await applied(12);
    expect(watcher.current.limit).toBe(12);
    expect(await watcher.healthCheck()()).toMatchObject({ status: 'pass' });
  });

  it('follows a directory removed and made anew (rm -rf, mkdir)', async () => {
    const dir = files.dir();
    const conf = join(dir, 'conf');
    mkdirSync(conf);
    writeFileSync(join(conf, 'app.yaml'), 'limit: 10\n');
    const { watcher, applied } = start(join(conf, 'app.yaml'));
    rmSync(conf, { recursive: true });
    mkdirSync(conf);
    writeFileSync(join(conf, 'app.yaml'), 'limit: 11\n');
    await applied(11);
    writeFileSync(join(conf, 'app.yaml'), 'limit: 12\n');
    await applied(12);
    expect(watcher.lastError).toBeUndefined();
  });

  it("follows an include's directory recreated", async () => {
    const dir = files.dir();
    mkdirSync(join(dir, 'main'));
    mkdirSync(join(dir, 'inc'));
    writeFileSync(join(dir, 'inc', 'extra.yaml'), 'extra: one\n');
    writeFileSync(join(dir, 'main', 'app.yaml'), '$include: ../inc/extra.yaml\nlimit: 10\n');
    const { watcher, clock } = start(join(dir, 'main', 'app.yaml'));
    rmSync(join(dir, 'inc'), { recursive: true });
    mkdirSync(join(dir, 'inc'));
    writeFileSync(join(dir, 'inc', 'extra.yaml'), 'extra: two\n');
    await until(() => {
      if (clock.pendingTimers > 0) void clock.advance(100);
      return watcher.current.extra === 'two';
    }, 'the new include applied');
    writeFileSync(join(dir, 'inc', 'extra.yaml'), 'extra: three\n');
    await until(() => {
      if (clock.pendingTimers > 0) void clock.advance(100);
      return watcher.current.extra === 'three';
    }, 'a later write to the new include applied');
  });

  it('says so in its health check when it cannot watch, polls meanwhile, and watches again when it can', async () => {
    const dir = files.dir();
    const deep = join(dir, 'not', 'yet');
    const clock = new FakeClock();
    const watcher = watchConfig({
      schema: schema.extend({ limit: z.int().positive().default(1) }),
      files: [{ path: join(deep, 'app.yaml'), optional: true }],
      env: {},
      clock,
      debounceMs: 100,
    });
    open.push(watcher as never);
    const health = await watcher.healthCheck()();
    expect(health.status).toBe('warn');
    expect(health.output).toMatch(/cannot watch the config files: .*not.*polling every 1000 ms/);
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'app.yaml'), 'limit: 7\n');
    await clock.advance(1000); // the poll sees the file, and watching can start again
    await clock.advance(100);
    expect(watcher.current.limit).toBe(7);
    expect(await watcher.healthCheck()()).toMatchObject({ status: 'pass' });
    writeFileSync(join(deep, 'app.yaml'), 'limit: 8\n');
    await until(() => {
      if (clock.pendingTimers > 0) void clock.advance(100);
      return watcher.current.limit === 8;
    }, 'an event-driven change after polling stopped');
  });
});
