/*
 * A convenience-store kiosk (W3.4–5) on @mynakit/workflows/device: the applicant types the reception number from
 * their phone, the kiosk presents it, the phone confirms, the kiosk prints. Run with --mock for a self-contained
 * demo. See README.md.
 */
import { KioskClient, type KioskProgress, type KioskStep, ServerClient } from '@mynakit/workflows/device';
import { FilePrinter } from './file-printer.js';
import { parseKioskOptions, usage } from './options.js';
import { readReceptionNumber } from './reception-number.js';

/** The kiosk's screen. Progress events never carry the number or the document. */
const SCREEN: Record<KioskStep, string> = {
  presented: 'number accepted',
  'waiting-for-phone': 'please confirm the print on your phone',
  printing: 'printing',
  printed: 'printed',
  declined: 'the print was declined on the phone',
  'not-available': 'this number cannot be used (wrong, expired or already used)',
  'rate-limited': 'too many attempts: please wait a moment',
  'no-answer': 'no answer from the phone: enter the number again',
  timeout: 'no answer from the phone in time',
};

async function collect(server: ServerClient, out: string, receptionNumber: string): Promise<boolean> {
  const printer = new FilePrinter(out);
  const kiosk = new KioskClient({ server, printer });
  kiosk.on('progress', (event: KioskProgress) => console.log(`[kiosk] ${SCREEN[event.step]}`));
  const result = await kiosk.collect(receptionNumber);
  if (result.outcome !== 'printed') return false;
  console.log(`printed job ${result.jobId} to ${printer.printed.join(', ')}`);
  return true;
}

async function main(): Promise<number> {
  const options = parseKioskOptions(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return 0;
  }
  if (!options.mock) {
    if (options.apiKey === undefined) throw new Error('give --api-key or KIOSK_API_KEY');
    const server = new ServerClient({ baseUrl: options.server!, apiKey: options.apiKey });
    return (await collect(server, options.out, await readReceptionNumber(options.receptionNumber))) ? 0 : 1;
  }

  const { withMockPhone } = await import('./mock-phone.js');
  return (await withMockPhone((server, receptionNumber) => collect(server, options.out, receptionNumber)))
    ? 0
    : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    console.error(
      `kiosk: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message ?? error}`,
    );
    process.exitCode = 1;
  },
);
