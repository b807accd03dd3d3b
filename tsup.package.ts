import { defineConfig, type Options } from 'tsup';

/** The one build every package shares: ESM for Node 20 with typings; `entry` names the package's entry points. */
export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    dts: true,
    sourcemap: true,
    clean: true,
    ...overrides,
  });
}
