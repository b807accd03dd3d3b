import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { collationNumberB, getPersona } from '@mynakit/testkit';
import {
  cardPhotoOf,
  closeFaceEngine,
  portraitPhoto,
  type SampleNumber,
  samplePhoto,
  startMockEnvironment,
} from '@mynakit/testkit/environment';
import { FileCamera, ServerClient } from '@mynakit/workflows/device';
import { photoFiles } from './photos.js';
import type { BoothStation } from './station.js';

// Only `--mock` loads this module (main.ts imports it on demand): a production booth never loads the testkit.

/**
 * Everything on loopback: the testkit's mock J-LIS and reference server, and a virtual card issued to a persona
 * whose card-face photo is a real face (face-api's sample `sample`); the camera shows the same person unless
 * `photos` says otherwise.
 */
export async function openMockStation(options: {
  persona: string;
  sample: SampleNumber;
  photos: string | undefined;
}): Promise<BoothStation> {
  const env = await startMockEnvironment();
  try {
    const persona = getPersona(options.persona);
    const virtual = await env.issueCard(persona.id, {
      facePhoto: await cardPhotoOf(samplePhoto(options.sample)),
    });
    const camera = new FileCamera(
      options.photos === undefined ? [await portraitPhoto(options.sample)] : await photoFiles(options.photos),
    );
    // The face engine only prepared the demo photos: the server has its own.
    await closeFaceEngine();
    const transport = new MemoryTransport(['virtual reader']);
    transport.insert('virtual reader', virtual);
    const card = await MyNumberCard.open(transport, 'virtual reader');
    console.log(`mock environment: reference server ${env.url}, virtual card of persona "${persona.id}"`);
    return {
      card,
      camera,
      server: new ServerClient({ baseUrl: env.url, apiKey: env.apiKeys.booth }),
      // The persona's PINs stand in for the PIN pad.
      pins: async () => ({
        inputSupportPin: persona.pins.textAp,
        collationNumberB: collationNumberB(persona),
        ...(persona.pins.sign !== null && { signPassword: persona.pins.sign }),
      }),
      close: async () => {
        await card.close();
        await env.close();
      },
    };
  } catch (error) {
    await closeFaceEngine();
    await env.close();
    throw error;
  }
}
