/**
 * A config file bound to live policies: real files, real file events, the debounce on a FakeClock.
 * Editing the file reaches the live breakers of a `policies()` registry without resetting them,
 * and an edit the policies refuse is refused whole: no policy changes, the config stays as it was.
 */
import { writeFileSync } from 'node:fs';
import { CircuitOpenError, compose, policies } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { type ConfigError, watchConfig } from 'bulwark/config';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { tempDirs } from './helpers.ts';

failOnUnhandledRejections();
const dirs = tempDirs();
const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

const provider = z.object({
  breaker: z.object({ openMs: z.int().positive() }),
  attempt: z.object({ ms: z.int().min(-1000) }), // the schema lets -1 through: the policy refuses it
});
const schema = z.object({ providers: z.record(z.string(), provider) });
type Provider = z.output<typeof provider>;

/** Waits (really) for file events, which arrive on their own time; the debounce is on `clock`. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function yaml(openMs: number, ms: number): string {
  return `providers:\n  openai:\n    breaker: { openMs: ${openMs} }\n    attempt: { ms: ${ms} }\n`;
}

describe('watcher.bind', () => {
  it('an edit of the file reaches the live breaker, keeping its state; a refused edit reaches none', async () => {
    const file = dirs.write('app.yaml', yaml(30_000, 1000));
    const clock = new FakeClock();
    const config = watchConfig({ schema, files: [file], env: {}, clock, debounceMs: 50 });
    closing.push(() => config.close());
    const errors: ConfigError[] = [];
    config.on('error', (err) => errors.push(err));

    const providers = policies({
      create: (_name, s: Provider | undefined) =>
        compose(
          circuitBreaker({ name: 'breaker', trip: consecutiveFailures(1), openMs: s?.breaker.openMs ?? 1, clock }),
          timeout({ name: 'attempt', ms: s?.attempt.ms ?? 1000, clock }),
        ),
      settings: config.current.providers,
    });
    const openai = providers.get('openai');
    const unbind = config.bind((c) => c.providers, providers);
    closing.push(async () => unbind());

    const refusal = async () => {
      const err = await openai.execute(() => 1).catch((e: unknown) => e);
      return err instanceof CircuitOpenError ? err.retryAfterMs : undefined;
    };
    await openai.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    expect(await refusal()).toBe(30_000);

    // A good edit: the live breaker takes the new openMs from its next opening, and stays open now.
    writeFileSync(file, yaml(5_000, 1000));
    await until(() => clock.pendingTimers > 0, 'the file event');
    await clock.advance(50);
    expect(config.current.providers.openai?.breaker.openMs).toBe(5_000);
    expect(await refusal()).toBe(30_000 - 50); // the opening in force keeps its time
    await clock.advance(30_000 - 50); // half-open: the probe fails, it opens again, now for 5 s
    await openai.execute(() => Promise.reject(new Error('still down'))).catch(() => {});
    expect(await refusal()).toBe(5_000);

    // A bad edit: the schema accepts it, the timeout refuses -1; nothing changes anywhere.
    writeFileSync(file, yaml(7_000, -1));
    await until(() => clock.pendingTimers > 0, 'the second file event');
    await clock.advance(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/bound policies refused the new settings: .*"attempt".*"ms"/);
    expect(config.current.providers.openai?.breaker.openMs).toBe(5_000);
    expect(config.lastError).toBe(errors[0]);
    expect((await config.healthCheck()()).status).toBe('warn');
    await clock.advance(5_000);
    await openai.execute(() => Promise.reject(new Error('down again'))).catch(() => {});
    expect(await refusal()).toBe(5_000); // not 7 s: the refused edit reached no policy
  });

  it('binding refuses a section the target refuses, at once', () => {
    const file = dirs.write('app.yaml', yaml(1000, -5));
    const config = watchConfig({ schema, files: [file], env: {} });
    closing.push(() => config.close());
    const t = timeout({ name: 'attempt', ms: 10 });
    expect(() => config.bind((c) => ({ ms: c.providers.openai?.attempt.ms }), t)).toThrow(
      /watchConfig.bind: timeout.configure: option "ms"/,
    );
    expect(t.ms).toBe(10);
    expect(() => config.bind('x' as never, t)).toThrow(/select must be a function/);
  });
});
