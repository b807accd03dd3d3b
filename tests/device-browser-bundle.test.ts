import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('@mynakit/workflows/device in a browser bundle', () => {
  it('bundles for the browser platform (no Node built-in on the static import graph)', async () => {
    const result = await build({
      stdin: {
        contents:
          "export { BoothClient, FileCamera, KioskClient, PhoneClient, ServerClient, StreamCamera } from '@mynakit/workflows/device';",
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      conditions: ['@mynakit/source', 'browser', 'module', 'import'],
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).toContain('/w3/kiosk/present');
  });
});
