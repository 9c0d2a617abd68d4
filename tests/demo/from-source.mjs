// Lets Node run a program that imports 'bulwark' and 'bulwark/<module>' against src/ instead of
// dist/, so the demo's test needs no build: `node --experimental-transform-types --import
// ./tests/demo/from-source.mjs examples/demo/main.ts`. (src/ uses parameter properties, so plain
// type stripping is not enough.) The same mapping as vitest.config.ts's aliases.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const src = new URL('../../src/', import.meta.url);

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'bulwark') return { url: new URL('index.ts', src).href, shortCircuit: true };
    const subpath = /^bulwark\/([a-z-]+)$/.exec(specifier);
    if (subpath) return { url: new URL(`${subpath[1]}/index.ts`, src).href, shortCircuit: true };
    // Inside src/, './x.js' means the source './x.ts' (NodeNext style imports).
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.startsWith(src.href)) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
