import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { getPersona } from '@mynakit/testkit';
import { startMockEnvironment } from '@mynakit/testkit/environment';
import { PhoneClient, ServerClient } from '@mynakit/workflows/device';

// Only `--mock` loads this module (main.ts imports it on demand): a production kiosk never loads the testkit.

/**
 * The kiosk's self-contained demo: a mock environment, and the applicant's phone with a virtual card that applies
 * for a 住民票の写し and answers "print" when the kiosk presents the number (examples/phone-w3 is the phone
 * application itself). `collect` is the kiosk's part: it gets a kiosk ServerClient and the number.
 */
export async function withMockPhone(
  collect: (server: ServerClient, receptionNumber: string) => Promise<boolean>,
): Promise<boolean> {
  // No booth workflows here, so no face check: the server starts without a face pool.
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
        deviceId: 'demo-phone',
      });
      const { receptionNumber } = await phone.apply({
        authPin: persona.pins.auth,
        application: { certificateKind: 'resident-record', copies: 1 },
      });
      console.log('[phone] applied; the applicant walks to the kiosk');
      // The phone waits in the background: the request comes once the kiosk presents the number.
      const answered = (async () => {
        const request = await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 60_000 });
        return request === null ? 'no request' : phone.answer(receptionNumber, 'print');
      })();
      const printed = await collect(
        new ServerClient({ baseUrl: env.url, apiKey: env.apiKeys.kiosk }),
        receptionNumber,
      );
      console.log(`[phone] answered: ${await answered}`);
      return printed;
    } finally {
      await card.close();
    }
  } finally {
    await env.close();
  }
}
