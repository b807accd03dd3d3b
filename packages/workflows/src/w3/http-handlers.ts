import type { z } from 'zod';
import {
  applyRequestSchema,
  confirmRequestSchema,
  type IssuanceService,
  presentRequestSchema,
} from './issuance-service.js';

/**
 * Plain HTTP handlers for W3, compatible with `node:http` (`createServer(handler)`) and anything that passes a
 * node-style request/response pair (Express, Fastify's raw objects, …). Structural types keep this file free of
 * `node:` imports. The mount point is expected to authenticate callers (device session, kiosk client certificate)
 * and make sure the `deviceId`/`kioskId` in the body is the caller's own: the kiosk rate limit is keyed by it.
 */

/** What the handler reads from a request: `node:http`'s IncomingMessage fits. */
export interface W3HttpRequest extends AsyncIterable<Uint8Array | string> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
}

/** What the handler writes to a response: `node:http`'s ServerResponse fits. */
export interface W3HttpResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** Error codes in JSON bodies (`{ "error": { "code", "message" } }`): stable API, never renamed. */
export const w3HttpErrorCodes = [
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  /** The reception number cannot be used (malformed, unknown, expired, used, or not this device's). */
  'RECEPTION_NUMBER_NOT_AVAILABLE',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type W3HttpErrorCode = (typeof w3HttpErrorCodes)[number];

export interface W3HttpOptions {
  /** Largest accepted body (default 16 KiB: applications are small). */
  readonly maxBodyBytes?: number;
  /** Called for unexpected failures (log the error's code/name, not the body). Defaults to nothing. */
  readonly onError?: (error: unknown) => void;
}

export type W3HttpHandler = (req: W3HttpRequest, res: W3HttpResponse) => void;

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: W3HttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function send(
  res: W3HttpResponse,
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

function sendError(
  res: W3HttpResponse,
  status: number,
  code: W3HttpErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  send(res, status, { error: { code, message, ...extra } }, headers);
}

async function readJson(req: W3HttpRequest, maxBytes: number): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const encoder = new TextEncoder();
  for await (const chunk of req) {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxBytes) throw new HttpFailure(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    chunks.push(bytes);
  }
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
function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.code}`)
    .join('; ');
  throw new HttpFailure(400, 'INVALID_REQUEST', `invalid request: ${issues}`);
}

const notAvailable = (res: W3HttpResponse) =>
  sendError(res, 404, 'RECEPTION_NUMBER_NOT_AVAILABLE', 'the reception number cannot be used');

/**
 * One handler for the three W3 routes:
 * - `POST /w3/applications` `{ deviceId, application }` → 201 `{ receptionNumber, expiresAt }`
 * - `POST /w3/kiosk/present` `{ kioskId, receptionNumber }` → 202 `{ status: "confirmation-requested" }`
 * - `POST /w3/device/confirm` `{ deviceId, receptionNumber, decision }` → 200 `{ status: "printing" | "declined" }`
 * A number that cannot be used is always 404 RECEPTION_NUMBER_NOT_AVAILABLE; a throttled kiosk gets 429 with
 * Retry-After (seconds).
 */
export function createW3HttpHandler(service: IssuanceService, options: W3HttpOptions = {}): W3HttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const routes: Record<string, (body: unknown, res: W3HttpResponse) => Promise<void>> = {
    '/w3/applications': async (body, res) => {
      const result = await service.apply(parseBody(applyRequestSchema, body));
      send(res, 201, result);
    },
    '/w3/kiosk/present': async (body, res) => {
      const result = await service.present(parseBody(presentRequestSchema, body));
      if (result.outcome === 'rate-limited') {
        const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
        sendError(
          res,
          429,
          'RATE_LIMITED',
          'too many attempts from this kiosk',
          { retryAfterSeconds: seconds },
          {
            'retry-after': String(seconds),
          },
        );
      } else if (result.outcome === 'not-available') notAvailable(res);
      else send(res, 202, { status: result.outcome });
    },
    '/w3/device/confirm': async (body, res) => {
      const result = await service.confirm(parseBody(confirmRequestSchema, body));
      if (result.outcome === 'not-available') notAvailable(res);
      else send(res, 200, { status: result.outcome });
    },
  };

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) {
      sendError(res, 404, 'NOT_FOUND', 'no such route');
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST', {}, { allow: 'POST' });
      return;
    }
    void (async () => {
      try {
        await route(await readJson(req, maxBodyBytes), res);
      } catch (error) {
        if (error instanceof HttpFailure) {
          sendError(res, error.status, error.code, error.message);
          return;
        }
        options.onError?.(error);
        sendError(res, 500, 'INTERNAL', 'internal error');
      }
    })();
  };
}
