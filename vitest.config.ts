import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // FUSE mounts and servers are per-file; files run in parallel on the 2 cores.
    pool: 'forks',
    // electron-store imports 'electron' itself; inlining it lets test/support/electron-mock.ts stand in.
    server: { deps: { inline: ['electron-store'] } },
    reporters: ['default'],
  },
});
