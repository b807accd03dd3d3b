import { z } from 'zod';
import { JpkiError } from '../errors.js';
import type { LatestBasicFourPort, LatestBasicFourResult } from './ports.js';

const answerSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('no-consent') }),
  z.object({ status: z.literal('unchanged') }),
  z.object({
    status: z.literal('updated'),
    basicFour: z.object({ name: z.string(), address: z.string(), birthDate: z.string(), sex: z.string() }),
    newSignSerial: z.string(),
  }),
]);

/** The latest-basic-four port over HTTP (`POST {url}` with `{ signSerial, verifier }`), as the mock J-LIS serves it. */
export class HttpLatestBasicFourPort implements LatestBasicFourPort {
  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
  ) {}

  async latestBasicFour(signSerialHex: string, verifier: string): Promise<LatestBasicFourResult> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ signSerial: signSerialHex, verifier }),
      });
    } catch (cause) {
      throw new JpkiError('JLIS_UNAVAILABLE', 'the latest-basic-four service did not answer', { cause });
    }
    if (!response.ok) {
      throw new JpkiError(
        'JLIS_UNAVAILABLE',
        `the latest-basic-four service answered HTTP ${response.status}`,
      );
    }
    const parsed = answerSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success)
      throw new JpkiError('JLIS_UNAVAILABLE', 'the latest-basic-four service answered nonsense');
    return parsed.data;
  }
}
