/**
 * Issue 14, item 7: fileSink on a really full disk. A 16 KiB tmpfs is mounted (this needs root;
 * without it the test is skipped and says so): the kernel then returns a short write for the
 * line that crosses the last free byte, and ENOSPC after. The cut line must be counted, and
 * completed once there is room, so the next line starts on its own line and the file stays valid
 * JSON lines.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, fileSink } from 'bulwark/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function mountTmpfs(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmdirSync(dir);
    return undefined;
  }
}

let mounted: string | undefined;

beforeAll(() => {
  mounted = mountTmpfs();
});

afterAll(() => {
  if (mounted === undefined) return;
  execFileSync('umount', [mounted], { stdio: 'ignore' });
  rmdirSync(mounted);
});

describe('fileSink on a full tmpfs (real short writes; needs root to mount, skipped otherwise)', () => {
  it('counts the cut line, completes it when there is room, and the next line starts clean', (ctx) => {
    if (mounted === undefined) {
      // CI runs as root and must run this test: a mount that fails there is a failure, not a skip.
      if (process.env.CI && process.getuid?.() === 0) throw new Error('CI runs as root but could not mount a tmpfs');
      return ctx.skip();
    }
    // Leave little room, so the disk fills after a few lines.
    const ballast = join(mounted, 'ballast');
    writeFileSync(ballast, Buffer.alloc(8 * 1024));
    const file = join(mounted, 'app.jsonl');
    const sink = fileSink(file);
    const log = createLogger({ sink, name: 'full' });
    const payload = 'p'.repeat(700);
    for (let i = 0; i < 30; i++) log.info('filling', { i, payload });
    expect(sink.failures).toBeGreaterThan(0);
    const whileFull = readFileSync(file, 'utf8');
    // The disk is full: the last line in the file is cut (a short write happened).
    expect(whileFull.endsWith('\n')).toBe(false);

    unlinkSync(ballast);
    log.info('after', { i: 'room again' });
    sink.close?.();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(lines[lines.length - 1] as string)).toMatchObject({ msg: 'after' });
    // Written whole: every line logged before the disk filled, the cut one (completed), and the last.
    const failures = sink.failures;
    expect(lines.length).toBe(30 - failures + 1 + 1);
  });
});
