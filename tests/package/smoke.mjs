#!/usr/bin/env node
// Packaging check: pack the package as npm would publish it, lint the tarball (publint, attw),
// then install it into a fresh project and load every subpath with import and require(), on
// this Node (24, from the node@24 devDependency) and on Node 22, and type-check a consumer
// that uses every export. Any missing file, subpath, export or type fails it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const manifest = JSON.parse(readFileSync(join(import.meta.dirname, 'exports.json'), 'utf8'));
const NODE_22 = process.env.BULWARK_SMOKE_NODE22 ?? 'node@22';

function sh(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...options });
}

const work = mkdtempSync(join(tmpdir(), 'bulwark-smoke-'));
try {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
  );
  const tarball = join(work, packed[0].filename);
  console.log(`packed ${packed[0].filename}: ${packed[0].files.length} files, ${packed[0].size} bytes`);
  const stray = packed[0].files
    .map((f) => f.path)
    .filter((p) => !/^(dist\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(p));
  if (stray.length > 0) throw new Error(`the tarball holds files a user does not need: ${stray.join(', ')}`);

  sh(bin('publint'), ['run', tarball, '--strict']);
  // ESM only: attw's CJS resolution predates require(esm), which the smoke test below proves.
  sh(bin('attw'), [tarball, '--profile', 'esm-only']);

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: consumer });

  // prom-client is an optional peer: without it every subpath but bulwark/metrics loads, and
  // bulwark/metrics fails naming prom-client. Then the consumer installs it, as a user would.
  const withoutPeer = Object.keys(manifest).filter((spec) => spec !== 'bulwark/metrics');
  writeFileSync(
    join(consumer, 'no-peer.mjs'),
    `for (const spec of ${JSON.stringify(withoutPeer)}) await import(spec);
const error = await import('bulwark/metrics').then(() => undefined, (e) => e);
if (!String(error?.message).includes('prom-client')) throw new Error('bulwark/metrics without prom-client: ' + error);
console.log('without prom-client: every other subpath loads');\n`,
  );
  sh(process.execPath, ['no-peer.mjs'], { cwd: consumer });
  const version = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  const tsconfig = (files) =>
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files,
    });
  // fastify and hono are optional peers: bulwark/http's code never imports them (it loaded above
  // without them), and its types declare their shapes, so an express (or node:http) user compiles
  // with skipLibCheck off and neither installed.
  writeFileSync(
    join(consumer, 'http-only.mts'),
    `import { problemHandler, requestDeadline, requestId, type HttpMiddleware } from 'bulwark/http';
export const parts: HttpMiddleware[] = [requestDeadline({ ms: 1000 }), requestId()];
export const handler = problemHandler().express;\n`,
  );
  writeFileSync(join(consumer, 'tsconfig.json'), tsconfig(['http-only.mts']));
  sh(bin('tsc'), ['-p', consumer]);
  sh(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      tarball,
      `prom-client@${version('prom-client')}`,
      `fastify@${version('fastify')}`,
      `hono@${version('hono')}`,
    ],
    { cwd: consumer },
  );

  const entries = Object.entries(manifest);
  const checkNames = (how) =>
    entries
      .map(
        ([spec, names]) => `{
  const m = ${how(spec)};
  const want = ${JSON.stringify([...names].sort())};
  const got = Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(${JSON.stringify(spec)} + ': exports ' + got + ', expected ' + want);
}`,
      )
      .join('\n');
  writeFileSync(
    join(consumer, 'esm.mjs'),
    `${checkNames((s) => `await import(${JSON.stringify(s)})`)}
const { timeout } = await import('bulwark/timeout');
if ((await timeout(1000).execute(async () => 42)) !== 42) throw new Error('timeout did not pass the value through');
console.log('import: ok on', process.version);\n`,
  );
  writeFileSync(
    join(consumer, 'cjs.cjs'),
    `${checkNames((s) => `require(${JSON.stringify(s)})`)}
const { compose, timeout } = require('bulwark');
compose(timeout(1000)).execute(async () => 'ok').then((v) => { if (v !== 'ok') process.exit(1); console.log('require: ok on', process.version); });\n`,
  );

  const typeUse = entries
    .map(
      ([spec, names], i) =>
        `import * as m${i} from ${JSON.stringify(spec)};\nexport const names${i}: Array<keyof typeof m${i}> = ${JSON.stringify(names)};`,
    )
    .join('\n');
  writeFileSync(
    join(consumer, 'use.mts'),
    `${typeUse}\nimport { timeout } from 'bulwark/timeout';\nexport const n: Promise<number> = timeout(5).execute(async () => 1);\n`,
  );
  writeFileSync(join(consumer, 'use.cts'), `${typeUse}\n`);
  // With the frameworks installed, their own register/use/onError take bulwark's shapes.
  writeFileSync(
    join(consumer, 'frameworks.mts'),
    `import Fastify from 'fastify';
import { Hono } from 'hono';
import { loadShedder, problemHandler, requestDeadline } from 'bulwark/http';
const app = Fastify();
await app.register(requestDeadline({ ms: 1000 }).fastify);
await app.register(problemHandler().fastify);
const hono = new Hono();
hono.use(loadShedder({ maxEventLoopDelayMs: 100 }).hono);
hono.onError(problemHandler().hono);\n`,
  );
  writeFileSync(join(consumer, 'tsconfig.json'), tsconfig(['use.mts', 'use.cts', 'frameworks.mts']));
  sh(bin('tsc'), ['-p', consumer]);

  for (const file of ['esm.mjs', 'cjs.cjs']) {
    sh(process.execPath, [file], { cwd: consumer });
    sh('npx', ['--yes', '-p', NODE_22, 'node', file], { cwd: consumer });
  }
  console.log('package check: ok');
} finally {
  rmSync(work, { recursive: true, force: true });
}
