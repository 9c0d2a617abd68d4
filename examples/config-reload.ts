/**
 * A service's configuration: it refuses to start while a setting is missing (every problem listed,
 * no secret printed), starts once the file is fixed, applies a valid change without a restart, and
 * refuses an invalid one while it keeps the last good config.
 * Run: npm run build && node examples/config-reload.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, explainConfig, loadConfig, secret, watchConfig } from 'bulwark/config';
import { z } from 'zod';

const schema = z.object({
  port: z.int().min(1).max(65535).default(8080),
  logLevel: z.enum(['info', 'debug', 'warn']).default('info'),
  upstream: z.object({
    url: z.url(),
    token: secret(z.string().min(16)),
    timeoutMs: z.int().positive().default(2000),
  }),
});

const dir = mkdtempSync(join(tmpdir(), 'bulwark-example-'));
const file = join(dir, 'app.yaml');
const env = { APP_UPSTREAM__TOKEN: 'tok_live_4f9a8b7c6d5e4f3a', APP_PORT: '80800' };
const options = { schema, files: [file], env, envPrefix: 'APP_' };

// 1. A file that forgets the upstream URL, and an env port out of range: both reported at once.
writeFileSync(file, 'logLevel: debug\nupstream:\n  timeoutMs: 1500\n');
try {
  loadConfig(options);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.log(`refusing to start:\n${err.message}`);
}

// 2. Fixed: it starts, and an operator can see where each value came from (the token masked).
writeFileSync(file, 'logLevel: debug\nupstream:\n  url: https://api.example.com\n  timeoutMs: 1500\n');
env.APP_PORT = '8081';
for (const { path, value, source } of explainConfig(options).settings) {
  console.log(`  ${path.padEnd(18)} ${JSON.stringify(value).padEnd(28)} ${source}`);
}

// 3. Hot reload: a valid change is applied; an invalid one is refused and the last good config stays.
const config = watchConfig({ ...options, debounceMs: 50 });
console.log(`started: ${JSON.stringify(config.current)}`);
const next = (event: 'change' | 'error') =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), 5000);
    const off = config.on(event, () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
config.on('change', ({ changes, generation }) => console.log(`reloaded (generation ${generation}):`, changes));
config.on('error', (err) =>
  console.log(`change refused, still serving generation ${config.generation}:\n${err.message}`),
);

let seen = next('change');
writeFileSync(file, 'logLevel: warn\nupstream:\n  url: https://api.example.com\n  timeoutMs: 900\n');
await seen;

seen = next('error');
writeFileSync(file, 'logLevel: loud\nupstream:\n  url: not a url\n');
await seen;
console.log(`current: logLevel=${config.current.logLevel} timeoutMs=${config.current.upstream.timeoutMs}`);

await config.close();
rmSync(dir, { recursive: true, force: true });
