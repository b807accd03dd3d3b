import { z } from 'zod';
import type { CardCertificates } from '../checks/ports.js';
import type { RenewalConfirmation, RenewalPort } from '../w1/ports.js';
import { type CardAnswer, type UpdateScript, updateScriptSchema } from '../w1/update-script.js';
import { type FetchLike, postJson, toBase64, withTrailingSlash } from './post-json.js';

const confirmationSchema = z.union([
  z.object({ activated: z.literal(true), revoked: z.array(z.string()) }),
  z.object({ activated: z.literal(false), reason: z.string().min(1).max(200) }),
]);

export interface HttpJlisRenewalOptions {
  /** J-LIS's renewal service base URL: requests go to `<url>renewal` and `<url>renewal/confirm`. */
  readonly url: string;
  /** Per request; default 30 s (J-LIS issues two RSA keys and certificates per renewal). */
  readonly timeoutMs?: number;
  /** Extra headers, e.g. the operator's credentials at J-LIS. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: FetchLike;
}

/**
 * W1.4 over HTTP: asks J-LIS to renew the card's certificates (J-LIS finds the holder by the current auth
 * certificate) and reports the card's answers. The idempotency key travels as the `Idempotency-Key` header and in
 * the body, so a retry after a lost answer gets the same script and J-LIS renews once. Failures throw AdapterError.
 */
export class HttpJlisRenewal implements RenewalPort {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(private readonly options: HttpJlisRenewalOptions) {
    this.#base = withTrailingSlash(options.url);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  requestRenewal(input: {
    readonly certificates: CardCertificates;
    readonly idempotencyKey: string;
  }): Promise<UpdateScript> {
    const { auth, sign } = input.certificates;
    return this.#post('renewal', input.idempotencyKey, updateScriptSchema, {
      current: { auth: toBase64(auth), sign: sign === null ? null : toBase64(sign) },
      idempotencyKey: input.idempotencyKey,
    });
  }

  async confirmRenewal(input: {
    readonly scriptId: string;
    readonly answers: readonly CardAnswer[];
    readonly idempotencyKey: string;
  }): Promise<RenewalConfirmation> {
    const answer = await this.#post('renewal/confirm', input.idempotencyKey, confirmationSchema, {
      scriptId: input.scriptId,
      answers: input.answers.map((a) => ({ sw: a.sw, data: a.data })),
      idempotencyKey: input.idempotencyKey,
    });
    return answer.activated
      ? { activated: true, revoked: answer.revoked }
      : { activated: false, reason: answer.reason };
  }

  #post<T extends z.ZodType>(path: string, idempotencyKey: string, response: T, body: unknown) {
    return postJson({
      remote: 'J-LIS renewal',
      url: new URL(path, this.#base).toString(),
      body,
      idempotencyKey,
      response,
      timeoutMs: this.#timeoutMs,
      ...(this.options.headers !== undefined && { headers: this.options.headers }),
      ...(this.options.fetch !== undefined && { fetch: this.options.fetch }),
    });
  }
}
