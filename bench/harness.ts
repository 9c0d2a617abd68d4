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
  readonly target: number;
}

export interface Row {
  readonly suite: string;
  readonly subject: string;
  readonly anchor: string;
  readonly subjectNs: number;
  readonly anchorNs: number;
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
  const rows: Row[] = [];
  for (const { suite, comparisons } of suites) {
    for (const c of comparisons) {
      const subjectNs = avg.get(`${suite.name} :: ${c.subject}`);
      const anchorNs = avg.get(`${suite.name} :: ${c.anchor}`);
      if (subjectNs === undefined || anchorNs === undefined)
        throw new Error(`no result for ${c.subject} or ${c.anchor}`);
      const ratio = subjectNs / anchorNs;
      rows.push({ suite: suite.name, ...c, subjectNs, anchorNs, ratio, met: ratio <= c.target });
    }
  }
  return { cases: avg, rows };
}

export function printResults({ cases, rows }: Results): void {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log('');
  console.log(line(['case', 'ns/op']));
  console.log(line(['---', '---:']));
  for (const [name, ns] of cases) console.log(line([name, ns.toFixed(0)]));
  console.log('');
  console.log(line(['suite', 'bulwark', 'anchor', 'bulwark ns/op', 'anchor ns/op', 'ratio', 'target', 'met']));
  console.log(line(['---', '---', '---', '---:', '---:', '---:', '---:', '---']));
  for (const r of rows) {
    console.log(
      line([
        r.suite,
        r.subject,
        r.anchor,
        r.subjectNs.toFixed(0),
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
