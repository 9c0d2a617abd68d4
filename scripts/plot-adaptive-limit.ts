/**
 * Writes docs/adaptive-limit.svg: the adaptive limit over time in the simulation of
 * scripts/adaptive-sim.ts, against the dependency's real capacity and Netflix's AIMD limit.
 *
 *   npm run build && node scripts/plot-adaptive-limit.ts
 */
import { writeFileSync } from 'node:fs';
import { CHOICES, fixed, type Result, SCENARIO, simulate, unloadedP99 } from './adaptive-sim.ts';

const WIDTH = 820;
const PANEL = 230;
const PAD = { left: 56, right: 20, top: 56 };

const adaptive = await simulate(CHOICES.adaptive as NonNullable<(typeof CHOICES)['adaptive']>);
const aimd = await simulate(CHOICES.aimd as NonNullable<(typeof CHOICES)['aimd']>);
const gradient2 = await simulate(CHOICES.gradient2 as NonNullable<(typeof CHOICES)['gradient2']>);
const fixedRuns: Result[] = [];
for (const n of [8, 12, 16, 20, 25, 30, 40]) fixedRuns.push(await simulate(fixed(n)));
const best = fixedRuns.reduce((a, b) => (b.goodput > a.goodput ? b : a));
const totalMs = SCENARIO.phases.reduce((sum, p) => sum + p.durationMs, 0);

type Pt = { t: number; v: number };
const x = (t: number) => PAD.left + (t / totalMs) * (WIDTH - PAD.left - PAD.right);
const steps = (points: readonly Pt[]) => {
  const out: Pt[] = [];
  for (const p of points) {
    const last = out.at(-1);
    if (last !== undefined && last.v !== p.v) out.push({ t: p.t, v: last.v });
    out.push(p);
  }
  return out;
};
const summary = (r: Result) =>
  `${r.name}: goodput ${r.goodput.toFixed(0)}/s, p99 ${r.p99.toFixed(0)} ms, ${r.timeouts} timeouts`;
const capacity = steps(adaptive.points.map((p) => ({ t: p.t, v: p.capacity })));

/** One chart: the capacity (dashed) and one limit over time, with its summary as the caption. */
function panel(top: number, run: Result, colour: string, yMax: number, yStep: number): string {
  const height = PANEL - 40;
  const y = (v: number) => top + (1 - Math.min(v, yMax) / yMax) * height;
  const path = (points: readonly Pt[]) =>
    points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const parts: string[] = [`<text x="${PAD.left}" y="${top - 8}" font-weight="bold">${summary(run)}</text>`];
  for (let v = 0; v <= yMax; v += yStep) {
    parts.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${PAD.left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  for (let t = 0; t <= totalMs; t += 5000) {
    parts.push(`<text x="${x(t)}" y="${top + height + 16}" text-anchor="middle">${t / 1000} s</text>`);
  }
  parts.push(
    `<path d="${path(capacity)}" fill="none" stroke="#888" stroke-width="2" stroke-dasharray="6 4"/>`,
    `<path d="${path(run.points.map((p) => ({ t: p.t, v: p.limit })))}" fill="none" stroke="${colour}" stroke-width="1.6"/>`,
  );
  return parts.join('\n');
}

const height = PAD.top + 2 * PANEL + 40;
const svg = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" fill="#222">
<title>bulwark adaptiveLimit() over time against the dependency's capacity, and Netflix's AIMD limit</title>
<rect width="${WIDTH}" height="${height}" fill="#fff"/>
<text x="${PAD.left}" y="18" font-size="15" font-weight="bold">The concurrency limit over time (dashed: the capacity C, unknown to the limit)</text>
<text x="${PAD.left}" y="36" fill="#555">scripts/adaptive-sim.ts on FakeClock: ${SCENARIO.arrivalsPerSecond} calls/s, ${SCENARIO.baseMs} ms ±${SCENARIO.jitter * 100}% service, ${SCENARIO.deadlineMs} ms deadline, unloaded p99 ${unloadedP99(SCENARIO).toFixed(0)} ms</text>
${panel(PAD.top + 24, adaptive, '#1f6fc5', 50, 10)}
${panel(PAD.top + PANEL + 24, aimd, '#e08a2c', 100, 20)}
<text x="${PAD.left}" y="${height - 8}" fill="#555">Best fixed limit (${best.name}): goodput ${best.goodput.toFixed(0)}/s, p99 ${best.p99.toFixed(0)} ms. Gradient2 as published: limit ${Math.round(gradient2.points.at(-1)?.limit ?? 0)} at the end, goodput ${gradient2.goodput.toFixed(0)}/s.</text>
</svg>
`;

const target = new URL('../docs/adaptive-limit.svg', import.meta.url);
writeFileSync(target, svg);
for (const r of [adaptive, aimd, gradient2, ...fixedRuns]) {
  const phases = r.phases.map((p) => `C=${p.capacity}: limit ${p.settledLimit.toFixed(1)}, ${p.goodput.toFixed(0)}/s`);
  console.log(`${summary(r)}, p50 ${r.p50.toFixed(0)} ms | ${phases.join(' | ')}`);
}
console.log(`wrote ${target.pathname}`);
