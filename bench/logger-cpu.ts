/**
 * `node bench/logger-cpu.ts` after `npm run build`: the logger line against pino with six redact
 * paths, timed in CPU time (process.cpuUsage), interleaved, best of many rounds. On a shared,
 * loaded machine wall-clock benches (mitata) swing by 2x between runs; CPU time of interleaved
 * rounds is steadier. Same records as bench/logger.ts.
 */
import { createLogger } from 'bulwark/logger';
import pino from 'pino';
import { freshRecord, record, SIX_PATHS } from './logger.ts';

const nullStream = { write(_line: string) {} };
const bulwark = createLogger({ sink: nullStream });
const withPaths = pino({ base: null, redact: SIX_PATHS }, nullStream);
const cases: Record<string, () => void> = {
  'bulwark, repeated': () => bulwark.info('request done', record),
  'pino 6 paths, repeated': () => withPaths.info(record, 'request done'),
  'bulwark, fresh strings': () => bulwark.info('request done', freshRecord()),
  'pino 6 paths, fresh strings': () => withPaths.info(freshRecord(), 'request done'),
};
const best: Record<string, number> = {};
for (let round = 0; round < 20; round++) {
  for (const [name, line] of Object.entries(cases)) {
    const started = process.cpuUsage();
    for (let i = 0; i < 20_000; i++) line();
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, (process.cpuUsage(started).user * 1000) / 20_000);
  }
}
const ns = (name: string) => best[name] ?? Number.NaN;
console.log('| case | CPU ns/line (best of 20 rounds) |\n| --- | ---: |');
for (const name of Object.keys(cases)) console.log(`| ${name} | ${ns(name).toFixed(0)} |`);
console.log(
  `\nrepeated: ${(ns('bulwark, repeated') / ns('pino 6 paths, repeated')).toFixed(2)}x pino; ` +
    `fresh strings: ${(ns('bulwark, fresh strings') / ns('pino 6 paths, fresh strings')).toFixed(2)}x pino`,
);
