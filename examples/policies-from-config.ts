/**
 * A breaker per model provider, configured from a YAML file and reconfigured live: an edit of the
 * file reaches the running breakers (an open one stays open), and an edit the policies refuse is
 * refused whole, reaching none of them.
 * Run: npm run build && node examples/policies-from-config.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CircuitOpenError, compose, policies } from 'bulwark';
import { type CircuitBreakerSettings, circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { watchConfig } from 'bulwark/config';
import { type TimeoutSettings, timeout } from 'bulwark/timeout';
import { z } from 'zod';

const provider = z.object({
  breaker: z.object({ openMs: z.int().positive(), failures: z.int().positive() }),
  attempt: z.object({ ms: z.int() }), // the timeout itself refuses 0 or less
});
type Provider = z.output<typeof provider>;

const dir = mkdtempSync(join(tmpdir(), 'bulwark-example-'));
const file = join(dir, 'providers.yaml');
const yaml = (openMs: number, ms: number) =>
  `providers:\n  openai:\n    breaker: { openMs: ${openMs}, failures: 1 }\n    attempt: { ms: ${ms} }\n` +
  `  anthropic:\n    breaker: { openMs: ${openMs}, failures: 3 }\n    attempt: { ms: ${ms} }\n`;
writeFileSync(file, yaml(30_000, 5_000));

const config = watchConfig({ schema: z.object({ providers: z.record(z.string(), provider) }), files: [file] });
type Config = typeof config.current;

// One shape for both: what `create` makes a provider's pipeline from, and what `configure` gives
// its parts by name ({ breaker: {...}, attempt: {...} }) on every reload.
interface Settings {
  readonly breaker: CircuitBreakerSettings;
  readonly attempt: TimeoutSettings;
}
const settingsOf = (c: Config): Record<string, Settings> =>
  Object.fromEntries(
    Object.entries(c.providers).map(([name, p]: [string, Provider]) => [
      name,
      { breaker: { openMs: p.breaker.openMs, trip: consecutiveFailures(p.breaker.failures) }, attempt: p.attempt },
    ]),
  );

const providers = policies({
  create: (_name, s: Settings | undefined) =>
    compose(
      circuitBreaker({ name: 'breaker', ...s?.breaker }),
      timeout({ name: 'attempt', ms: s?.attempt.ms ?? 10_000 }),
    ),
  settings: settingsOf(config.current),
  maxKeys: 100,
});
const unbind = config.bind(settingsOf, providers);

const openai = providers.get('openai');
const refusedFor = async (): Promise<number | undefined> => {
  const err = await openai.execute(() => 'ok').catch((e: unknown) => e);
  return err instanceof CircuitOpenError ? err.retryAfterMs : undefined;
};

await openai.execute(() => Promise.reject(new Error('503 from upstream'))).catch(() => {});
console.log(`openai is down; its breaker refuses calls for ~${Math.round((await refusedFor()) ?? 0)} ms`);

// An operator shortens the open time in the file: the live breaker keeps its state (still open).
writeFileSync(file, yaml(2_000, 5_000));
const applied = await config.reload();
console.log(`reload applied: ${applied.applied}; openai breaker still open: ${(await refusedFor()) !== undefined}`);

// A bad edit (an attempt limit of 0 ms): the schema lets it through, the timeout refuses it, so
// the whole reload is refused and no breaker or timeout changes.
writeFileSync(file, yaml(1_000, 0));
const refused = await config.reload().catch((err: Error) => err.message.split('\n')[1]?.trim());
console.log(`bad edit refused: ${refused}`);
console.log(`config still says openMs ${config.current.providers.openai?.breaker.openMs}`);

unbind();
await config.close();
rmSync(dir, { recursive: true, force: true });
