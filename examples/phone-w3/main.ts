/*
 * The applicant's phone in W3 (certificate issuance with a reception number) on @mynakit/workflows/device. With
 * --mock it also runs a kiosk against a mock environment, to show the whole of W3 in one terminal. See README.md.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import { PhoneClient, type PrintRequest, ServerClient } from '@mynakit/workflows/device';
import { loadDeviceId } from './device-id.js';
import { application, type PhoneOptions, parsePhoneOptions, showNumber, usage } from './options.js';
import { runPhoneFlow } from './phone-flow.js';
import { readSecret } from './secrets.js';

async function askToPrint(request: PrintRequest): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(
      `[phone] kiosk ${request.kioskId} asks to print ${request.copies} × ${request.certificateKind}. Print? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** The phone against a real server, with the card on a PC/SC reader standing in for the phone's NFC. */
async function runWithReader(options: PhoneOptions): Promise<number> {
  const transport = new PcscTransport();
  try {
    const card = await MyNumberCard.open(transport, options.reader);
    try {
      const phone = new PhoneClient({
        card,
        server: new ServerClient({ baseUrl: options.server! }),
        deviceId: options.deviceId ?? (await loadDeviceId(join(import.meta.dirname, '.phone-device-id'))),
      });
      const result = await runPhoneFlow({
        phone,
        authPin: await readSecret('PHONE_AUTH_PIN', 'User-authentication PIN (4 digits)'),
        application: application(options),
        onReceptionNumber: showNumber,
        confirm: options.yes ? async () => true : askToPrint,
      });
      console.log(`[phone] ${result}`);
      return result === 'no-request' ? 1 : 0;
    } finally {
      await card.close();
    }
  } finally {
    await transport.close();
  }
}

async function main(): Promise<number> {
  const options = parsePhoneOptions(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return 0;
  }
  return options.mock ? (await import('./mock.js')).runMock(options) : runWithReader(options);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Card errors carry codes such as WRONG_PIN or LOCK_GUARD, never the PIN.
    const code = (error as { code?: unknown }).code;
    console.error(
      `phone: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message ?? error}`,
    );
    process.exitCode = 1;
  },
);
