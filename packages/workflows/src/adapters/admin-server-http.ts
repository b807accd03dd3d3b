import { z } from 'zod';
import type { AdminServerPort } from '../w2/ports.js';
import { type FetchLike, postJson, toBase64 } from './post-json.js';

const registrationSchema = z.object({ registrationId: z.string().min(1).max(200) });

export interface HttpAdminServerOptions {
  /** The registration endpoint itself (the request is POSTed to exactly this URL). */
  readonly url: string;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Extra headers, e.g. the operator's credentials at the administrative server. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: FetchLike;
}

/**
 * W2.3 over HTTP: POSTs `{ personKey, photo (base64), mediaType, capturedAt, idempotencyKey }` with an
 * `Idempotency-Key` header to the administrative server (行政サーバ), which dedupes by the key. Failures throw
 * AdapterError so the outbox retries with the same key.
 */
export class HttpAdminServer implements AdminServerPort {
  constructor(private readonly options: HttpAdminServerOptions) {}

  async registerPhoto(
    input: Parameters<AdminServerPort['registerPhoto']>[0],
  ): Promise<{ registrationId: string }> {
    const { registrationId } = await postJson({
      remote: 'administrative server',
      url: this.options.url,
      body: {
        personKey: input.personKey,
        photo: toBase64(input.photo),
        mediaType: input.mediaType,
        capturedAt: input.capturedAt,
        idempotencyKey: input.idempotencyKey,
      },
      idempotencyKey: input.idempotencyKey,
      response: registrationSchema,
      timeoutMs: this.options.timeoutMs ?? 30_000,
      ...(this.options.headers !== undefined && { headers: this.options.headers }),
      ...(this.options.fetch !== undefined && { fetch: this.options.fetch }),
    });
    return { registrationId };
  }
}
