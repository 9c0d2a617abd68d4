import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from 'bulwark/config';
import { afterEach, expect } from 'vitest';

/** A fresh temp directory per test, removed after it; `write` puts a file in it and returns its path. */
export function tempDirs(): { dir(): string; write(name: string, text: string): string } {
  const made: string[] = [];
  let current: string | undefined;
  afterEach(() => {
    current = undefined;
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir() {
      current = mkdtempSync(join(tmpdir(), 'bulwark-config-'));
      made.push(current);
      return current;
    },
    write(name: string, text: string) {
      current ??= this.dir();
      const path = join(current, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/** The ConfigError `fn` throws; fails the test when it throws something else or nothing. */
export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
