import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

// Tests import 'bulwark' and 'bulwark/<module>' exactly as users do; here those names point at
// the sources, and tests/package checks the built tarball exposes the same names.
// `npm test` prints the test report and nothing else: vitest's notice that type tests are an
// experimental feature is silenced here (it reads this variable after loading this file).
process.env.VITEST_DISABLE_EXPERIMENTAL_LOG ??= '1';

export default defineConfig({
  resolve: {
    alias: [
      { find: /^bulwark$/, replacement: src('index.ts') },
      { find: /^bulwark\/(.+)$/, replacement: src('$1/index.ts') },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    typecheck: { enabled: true, include: ['tests/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    restoreMocks: true,
    // One worker per test file, said explicitly (so vitest prints no hint to change it): tests
    // add process listeners, stub timers and the environment, and must not see each other's.
    isolate: true,
  },
});
