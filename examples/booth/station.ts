import { MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import {
  type BoothApplicationInput,
  type CameraPort,
  FileCamera,
  ServerClient,
} from '@mynakit/workflows/device';
import { photoFiles } from './photos.js';
import { readSecret } from './secrets.js';

/** What the booth application runs on: a card in a reader, a camera, the server, and the applicant's PIN pad. */
export interface BoothStation {
  readonly card: MyNumberCard;
  readonly camera: CameraPort;
  readonly server: ServerClient;
  /** Asks the applicant for their PINs (a real booth: the PIN pad). */
  readonly pins: () => Promise<Omit<BoothApplicationInput, 'idempotencyKey' | 'signal'>>;
  close(): Promise<void>;
}

/** Production wiring: the card in a PC/SC reader, photos from files, the operator's reference server. */
export async function openPcscStation(options: {
  reader: string | undefined;
  photos: string;
  server: string;
  apiKey: string | undefined;
}): Promise<BoothStation> {
  if (options.apiKey === undefined) throw new Error('give --api-key or BOOTH_API_KEY');
  const camera = new FileCamera(await photoFiles(options.photos));
  const transport = new PcscTransport();
  try {
    const card = await MyNumberCard.open(transport, options.reader);
    return {
      card,
      camera,
      server: new ServerClient({ baseUrl: options.server, apiKey: options.apiKey }),
      pins: async () => {
        const inputSupportPin = await readSecret(
          'BOOTH_INPUT_SUPPORT_PIN',
          'Card input-support PIN (4 digits)',
        );
        const collationNumberB = await readSecret(
          'BOOTH_COLLATION_NUMBER_B',
          'Collation number B (birth date YYMMDD + expiry year + security code)',
        );
        const signPassword = await readSecret(
          'BOOTH_SIGN_PASSWORD',
          'Signing-certificate password (empty: renew the authentication certificate only)',
        );
        return { inputSupportPin, collationNumberB, ...(signPassword !== '' && { signPassword }) };
      },
      close: async () => {
        await card.close();
        await transport.close();
      },
    };
  } catch (error) {
    await transport.close();
    throw error;
  }
}
