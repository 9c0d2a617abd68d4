import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Fails the test during which a promise rejection went unhandled (vitest would report it too,
 * but not against the test that caused it). Call once at the top of a test file.
 */
export function failOnUnhandledRejections(): void {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
}
