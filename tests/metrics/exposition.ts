import type { Registry } from 'prom-client';

/** The sample lines of `metric` in the registry's exposition text (no HELP or TYPE). */
export async function samples(registry: Registry, metric: string): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .sort();
}

/** `samples` for a histogram's `_bucket`, `_sum` and `_count` lines. */
export async function histogramSamples(registry: Registry, metric: string): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((line) => /^\w+(_bucket|_sum|_count)[{ ]/.test(line) && line.startsWith(metric))
    .sort();
}
