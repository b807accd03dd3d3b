/*
 * A photo-booth application (W1 certificate renewal, W2 face-photo registration) on @mynakit/workflows/device.
 * Run with --mock for a self-contained demo (mock J-LIS, reference server and a virtual card), or against your
 * reference server with a card in a PC/SC reader. See README.md.
 */
import { BoothClient } from '@mynakit/workflows/device';
import { parseBoothOptions, usage } from './options.js';
import { showProgress, showResult } from './progress.js';
import { type BoothStation, openPcscStation } from './station.js';

async function main(): Promise<number> {
  const options = parseBoothOptions(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const station: BoothStation = options.mock
    ? await (await import('./mock-station.js')).openMockStation(options)
    : await openPcscStation({ ...options, server: options.server!, photos: options.photos! });
  try {
    const booth = new BoothClient({ card: station.card, camera: station.camera, server: station.server });
    const pins = await station.pins();
    let ok = true;
    for (const flow of options.flows) {
      const label = flow === 'renew' ? 'renewal' : 'registration';
      const onProgress = showProgress(label);
      booth.on('progress', onProgress);
      try {
        // One idempotency key per application (the client makes one): a retried POST never starts a second case.
        const result = flow === 'renew' ? await booth.renew(pins) : await booth.register(pins);
        ok = showResult(label, result) && ok;
      } finally {
        booth.off('progress', onProgress);
      }
    }
    return ok ? 0 : 1;
  } finally {
    await station.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Error codes and messages only: card and server errors never carry PINs or card data.
    const code = (error as { code?: unknown }).code;
    console.error(
      `booth: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message ?? error}`,
    );
    process.exitCode = 1;
  },
);
