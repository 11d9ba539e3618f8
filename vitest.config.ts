import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// electron-demo/ imports loopauth by its package name, as an app would; in
// the root's tests that name means this repository's own sources.
const own = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^loopauth$/, replacement: own('./src/index.ts') },
      { find: /^loopauth\/electron$/, replacement: own('./src/electron.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end files start servers and browsers; two cores here.
    maxWorkers: 2,
    pool: 'forks',
  },
});
