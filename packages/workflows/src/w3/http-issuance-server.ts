import { z } from 'zod';
import { fromBase64 } from '../checks/base64.js';
import { W3Error } from './errors.js';
import type { CertificateDocumentPort, IssuedDocument } from './ports.js';
import type { CertificateApplication } from './w3-workflow.js';

export const httpIssuanceServerOptionsSchema = z.strictObject({
  /** Base URL of the issuance server; documents are requested at `{url}/documents`. */
  url: z.url(),
  /** Per-request timeout (default 10 s). */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Extra request headers (e.g. the server's own credentials towards the issuance server). */
  headers: z.record(z.string(), z.string()).default({}),
});
export type HttpIssuanceServerOptions = z.input<typeof httpIssuanceServerOptionsSchema> & {
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
};

const documentResponseSchema = z.object({
  documentId: z.string().min(1).max(256),
  mediaType: z.string().min(1).max(128),
  document: z.base64(),
});

/**
 * The certificate issuance server (証明書交付サーバ) over HTTP: `POST {url}/documents` with
 * `{ caseId, application, idempotencyKey }` → 200 `{ documentId, mediaType, document (base64) }`. The server
 * dedupes by `idempotencyKey`. Network failures and 5xx are ISSUANCE_SERVER_UNAVAILABLE (the outbox retries with the
 * same key); errors never carry the response body (it could hold the document).
 */
export class HttpIssuanceServer implements CertificateDocumentPort {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly fetch: typeof fetch;

  constructor(options: HttpIssuanceServerOptions) {
    const parsed = httpIssuanceServerOptionsSchema.parse({
      url: options.url,
      timeoutMs: options.timeoutMs,
      headers: options.headers,
    });
    this.endpoint = `${parsed.url.replace(/\/+$/, '')}/documents`;
    this.timeoutMs = parsed.timeoutMs;
    this.headers = parsed.headers;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async issue(input: {
    caseId: string;
    application: CertificateApplication;
    idempotencyKey: string;
  }): Promise<IssuedDocument> {
    let response: Response;
    try {
      response = await this.fetch(this.endpoint, {
        method: 'POST',
        headers: {
          ...this.headers,
          'content-type': 'application/json',
          accept: 'application/json',
          'idempotency-key': input.idempotencyKey,
        },
        body: JSON.stringify(input),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new W3Error('ISSUANCE_SERVER_UNAVAILABLE', 'the issuance server could not be reached', {
        cause: error,
        details: { caseId: input.caseId },
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      const code = response.status >= 500 ? 'ISSUANCE_SERVER_UNAVAILABLE' : 'ISSUANCE_SERVER_REFUSED';
      throw new W3Error(code, `the issuance server answered ${response.status}`, {
        details: { caseId: input.caseId, status: response.status },
      });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new W3Error('ISSUANCE_SERVER_BAD_RESPONSE', 'the issuance server answered no JSON', {
        cause: error,
        details: { caseId: input.caseId },
      });
    }
    const parsed = documentResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new W3Error('ISSUANCE_SERVER_BAD_RESPONSE', 'the issuance server answered no document', {
        details: { caseId: input.caseId },
      });
    }
    return {
      documentId: parsed.data.documentId,
      mediaType: parsed.data.mediaType,
      document: fromBase64(parsed.data.document),
    };
  }
}
