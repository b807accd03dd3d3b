import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { getPersona } from '@mynakit/testkit';
import { startMockEnvironment } from '@mynakit/testkit/environment';
import {
  KioskClient,
  type KioskJob,
  type KioskResult,
  PhoneClient,
  ServerClient,
} from '@mynakit/workflows/device';
import { application, type PhoneOptions, showNumber } from './options.js';
import { runPhoneFlow } from './phone-flow.js';

// Only `--mock` loads this module (main.ts imports it on demand): a production app never loads the testkit.

/** The whole of W3 on loopback: mock environment, a virtual card in the "phone", and a kiosk printing to memory. */
export async function runMock(options: PhoneOptions): Promise<number> {
  // W3 needs no face check: the server starts without a face pool.
  const env = await startMockEnvironment({ config: { face: undefined } });
  try {
    console.log(`mock environment: reference server ${env.url}`);
    const persona = getPersona('hanako');
    const transport = new MemoryTransport(['phone NFC']);
    transport.insert('phone NFC', await env.issueCard(persona.id));
    const card = await MyNumberCard.open(transport, 'phone NFC');
    try {
      const phone = new PhoneClient({
        card,
        server: new ServerClient({ baseUrl: env.url }),
        deviceId: options.deviceId ?? 'demo-phone',
      });
      const printouts: KioskJob[] = [];
      const kiosk = new KioskClient({
        server: new ServerClient({ baseUrl: env.url, apiKey: env.apiKeys.kiosk }),
        printer: { print: async (job) => void printouts.push(job) },
      });
      kiosk.on('progress', (event) => console.log(`[kiosk] ${event.step}`));
      let kioskDone: Promise<KioskResult> | undefined;
      const result = await runPhoneFlow({
        phone,
        authPin: persona.pins.auth,
        application: application(options),
        onReceptionNumber: (number, expiresAt) => {
          showNumber(number, expiresAt);
          // The applicant walks to the kiosk and types the number.
          kioskDone = kiosk.collect(number);
        },
        confirm: async (request) => {
          console.log(`[phone] kiosk ${request.kioskId} asks to print ${request.certificateKind}: print`);
          return true;
        },
        waitMs: 60_000,
      });
      console.log(`[phone] ${result}`);
      const collected = await kioskDone;
      if (collected?.outcome !== 'printed') return 1;
      for (const job of printouts) {
        console.log(`[kiosk] printed ${job.copies} × ${job.certificateKind} (${job.document.length} bytes)`);
      }
      return result === 'printing' ? 0 : 1;
    } finally {
      await card.close();
    }
  } finally {
    await env.close();
  }
}
