/**
 * Runs every suite in one mitata run (so ratios compare numbers taken on the same machine at
 * the same moment), then prints one table of bulwark against each anchor.
 */
import { bench, group, run } from 'mitata';

/** A set of cases measured side by side; each case returns the promise of one call. */
export interface Suite {
  readonly name: string;
  readonly cases: Record<string, () => unknown>;
}

/** `subject` costs at most `target` times what `anchor` costs (lower is better). */
export interface Comparison {
  readonly subject: string;
  readonly anchor: string;
  /**
   * The anchor measured again after the subject (an A-B-A design): the anchor's figure is the
   * mean of both. For a subject compared with a near twin (the shared breaker with the local
   * one), where mitata's drift over a run and the order the JIT meets the cases in are as large
   * as the difference being measured.
   */
  readonly anchorAgain?: string;
  readonly target: number;
}

export interface Row {
  readonly suite: string;
  readonly subject: string;
  readonly anchor: string;
  readonly subjectNs: number;
  readonly anchorNs: number;
  /** The subject's cost above its suite's `await fn()` floor, when the suite has one. */
  readonly aboveFloorNs: number | undefined;
  readonly ratio: number;
  readonly target: number;
  readonly met: boolean;
}

export interface Results {
  /** Mean ns/op of every case, keyed `suite :: case`. */
  readonly cases: ReadonlyMap<string, number>;
  readonly rows: Row[];
}

export async function runSuites(suites: ReadonlyArray<{ suite: Suite; comparisons: Comparison[] }>): Promise<Results> {
  for (const { suite } of suites) {
    group(suite.name, () => {
      for (const [name, fn] of Object.entries(suite.cases)) {
        bench(`${suite.name} :: ${name}`, async () => {
          await fn();
        });
      }
    });
  }
  const { benchmarks } = await run({ format: process.env.CI ? 'quiet' : 'mitata' });
  const avg = new Map<string, number>();
  for (const b of benchmarks) {
    const stats = b.runs[0]?.stats;
    if (stats) avg.set(b.alias, stats.avg);
  }
  return { cases: avg, rows: compare(suites, avg) };
}

function compare(
  suites: ReadonlyArray<{ suite: Suite; comparisons: Comparison[] }>,
  ns: ReadonlyMap<string, number>,
): Row[] {
  const rows: Row[] = [];
  for (const { suite, comparisons } of suites) {
    for (const c of comparisons) {
      const subjectNs = ns.get(`${suite.name} :: ${c.subject}`);
      const first = ns.get(`${suite.name} :: ${c.anchor}`);
      const again = c.anchorAgain === undefined ? first : ns.get(`${suite.name} :: ${c.anchorAgain}`);
      const anchorNs = first === undefined || again === undefined ? undefined : (first + again) / 2;
      if (subjectNs === undefined || anchorNs === undefined)
        throw new Error(`no result for ${c.subject} or ${c.anchor}`);
      const ratio = subjectNs / anchorNs;
      const floorNs = ns.get(`${suite.name} :: await fn()`);
      const aboveFloorNs = floorNs === undefined ? undefined : subjectNs - floorNs;
      const anchor = c.anchorAgain === undefined ? c.anchor : `${c.anchor} (mean of before and after)`;
      rows.push({ suite: suite.name, ...c, anchor, subjectNs, anchorNs, aboveFloorNs, ratio, met: ratio <= c.target });
    }
  }
  return rows;
}

export function printResults({ cases, rows }: Results): void {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log('');
  console.log(line(['case', 'ns/op']));
  console.log(line(['---', '---:']));
  for (const [name, ns] of cases) console.log(line([name, ns.toFixed(0)]));
  console.log('');
  console.log(
    line(['suite', 'bulwark', 'anchor', 'bulwark ns/op', 'above floor', 'anchor ns/op', 'ratio', 'target', 'met']),
  );
  console.log(line(['---', '---', '---', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const r of rows) {
    console.log(
      line([
        r.suite,
        r.subject,
        r.anchor,
        r.subjectNs.toFixed(0),
        r.aboveFloorNs === undefined ? '' : r.aboveFloorNs.toFixed(0),
        r.anchorNs.toFixed(0),
        `${r.ratio.toFixed(2)}x`,
        `<= ${r.target}x`,
        r.met ? 'yes' : 'NO',
      ]),
    );
  }
  console.log('');
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
}

/**
 * The same comparisons measured a second way, for a machine that is not quiet: every case of a
 * suite runs in turn, `rounds` times, each turn a batch of calls timed in CPU time
 * (`process.cpuUsage`: time the process ran, so being descheduled by other load adds nothing;
 * garbage collection it causes counts). A case's figure is its best round. mitata's means swing
 * with whatever else runs; these move far less (docs/benchmarks.md records both).
 */
export async function runSuitesCpu(
  suites: ReadonlyArray<{ suite: Suite; comparisons: Comparison[] }>,
  { rounds = 12, batch = 5000 }: { rounds?: number; batch?: number } = {},
): Promise<Results> {
  const best = new Map<string, number>();
  for (const { suite } of suites) {
    const cases = Object.entries(suite.cases);
    for (let round = 0; round < rounds; round++) {
      for (const [name, fn] of cases) {
        const start = process.cpuUsage();
        for (let i = 0; i < batch; i++) await fn();
        const spent = process.cpuUsage(start);
        const ns = ((spent.user + spent.system) * 1000) / batch;
        const key = `${suite.name} :: ${name}`;
        // The first rounds warm the JIT up; they do not count.
        if (round >= 2) best.set(key, Math.min(best.get(key) ?? Number.POSITIVE_INFINITY, ns));
      }
    }
  }
  return { cases: best, rows: compare(suites, best) };
}
