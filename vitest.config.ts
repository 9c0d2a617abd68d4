import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

// Tests import 'bulwark' and 'bulwark/<module>' exactly as users do; here those names point at
// the sources, and tests/package checks the built tarball exposes the same names.
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
  },
});
