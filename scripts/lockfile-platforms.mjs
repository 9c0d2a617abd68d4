#!/usr/bin/env node
// The npm registry this project's machines reach serves only the linux-x64 builds of packages
// with native binaries (rollup, biome). npm then leaves the other platforms' optional packages
// out of package-lock.json, and `npm ci` refuses the lock as "out of sync". This adds an entry
// for each missing optional package (version only: npm skips them on this platform), so the
// lock is complete and `npm ci` works here and on any other machine. Idempotent: with a full
// registry nothing is missing and nothing changes. Run it after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const added = [];
for (const meta of Object.values(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    packages[key] = { version, ...(meta.dev ? { dev: true } : {}), optional: true };
    added.push(`${name}@${version}`);
  }
}
if (added.length > 0) {
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`lockfile-platforms: added ${added.length} optional platform packages to package-lock.json`);
} else {
  console.log('lockfile-platforms: package-lock.json is complete');
}
