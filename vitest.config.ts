import { defineConfig } from 'vitest/config';

// Tests run against each package's src (the @mynakit/source export condition), never a stale dist.
const conditions = ['@mynakit/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['**/*.pcsc.test.ts', 'tests/pack-install.test.ts', '**/node_modules/**'],
          // Some tests start the CLI or an HTTP server as a child process: generous on a busy 2-core machine.
          testTimeout: 30_000,
        },
      },
      {
        // Tests that go through the real pcscd + vpcd stack; one file at a time because they share the readers.
        extends: true,
        test: {
          name: 'pcsc',
          include: ['packages/*/test/**/*.pcsc.test.ts', 'tests/**/*.pcsc.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Packs every package and installs the tarballs with npm into a project outside the workspace (native
        // dependencies compile there): minutes, and it needs the npm registry.
        extends: true,
        test: {
          name: 'pack',
          include: ['tests/pack-install.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
