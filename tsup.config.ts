import { defineConfig } from 'tsup';

// One entry per public subpath; shared code lands in chunks, so an error class is the same
// object whichever subpath a user imports it from.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'timeout/index': 'src/timeout/index.ts',
    'retry/index': 'src/retry/index.ts',
    'breaker/index': 'src/breaker/index.ts',
    'bulkhead/index': 'src/bulkhead/index.ts',
    'logger/index': 'src/logger/index.ts',
    'config/index': 'src/config/index.ts',
    'health/index': 'src/health/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'rate-limit/index': 'src/rate-limit/index.ts',
    'fallback/index': 'src/fallback/index.ts',
    'hedge/index': 'src/hedge/index.ts',
    'testing/index': 'src/testing/index.ts',
    'http/index': 'src/http/index.ts',
    'redis/index': 'src/redis/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'neutral',
  dts: true,
  sourcemap: false,
  clean: true,
  splitting: true,
  treeshake: true,
  // Keep 'node:fs' as written: Deno and Bun resolve the node: form, and it says what is Node-only.
  removeNodeProtocol: false,
  // The frameworks are optional peers that bulwark/http's types name; they are never bundled.
  external: [/^node:/, 'fastify', 'hono'],
});
