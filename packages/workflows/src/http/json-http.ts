import type { z } from 'zod';

// The JSON plumbing the workflow HTTP handlers share. Structural request/response types keep it free of `node:`
// imports: `node:http`'s IncomingMessage and ServerResponse fit, and so does anything that passes such a pair.

/** What a handler reads from a request. */
export interface HttpRequestLike extends AsyncIterable<Uint8Array | string> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
}

/** What a handler writes to a response. */
export interface HttpResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** A failure the handler answers itself with a status and a stable code. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** JSON with `no-store`: challenges, reception numbers, basic four and evidence must never sit in a cache. */
export function sendJson(
  res: HttpResponseLike,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(JSON.stringify(body));
}

/** `{ "error": { code, message, ...extra } }`. */
export function sendJsonError(
  res: HttpResponseLike,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message, ...extra } }, headers);
}

/**
 * The body as JSON, refusing more than `maxBytes` (413) and anything that is not UTF-8 JSON (400).
 * `emptyBody` is what an empty body means (default: an error).
 */
export async function readJsonBody(
  req: HttpRequestLike,
  maxBytes: number,
  options: { emptyBody?: unknown } = {},
): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const encoder = new TextEncoder();
  for await (const chunk of req) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxBytes) throw new HttpFailure(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    chunks.push(bytes);
  }
  if (size === 0 && 'emptyBody' in options) return options.emptyBody;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(all));
  } catch {
    throw new HttpFailure(400, 'INVALID_REQUEST', 'the request body is not JSON');
  }
}

/** Validate a body; the error names paths and issue codes only, never the values (they may be a number or a PIN). */
export function parseJsonBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.code}`)
    .join('; ');
  throw new HttpFailure(400, 'INVALID_REQUEST', `invalid request: ${issues}`);
}
