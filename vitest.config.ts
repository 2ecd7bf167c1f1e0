import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // FUSE mounts and servers are per-file; files run in parallel on the 2 cores.
    pool: 'forks',
    reporters: ['default'],
  },
});
