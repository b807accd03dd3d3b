import {
  HttpFailure,
  type HttpRequestLike,
  type HttpResponseLike,
  parseJsonBody,
  readJsonBody,
  sendJson,
  sendJsonError,
} from '../http/json-http.js';
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

export type W3HttpRequest = HttpRequestLike;
export type W3HttpResponse = HttpResponseLike;

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

const notAvailable = (res: W3HttpResponse) =>
  sendJsonError(res, 404, 'RECEPTION_NUMBER_NOT_AVAILABLE', 'the reception number cannot be used');

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
      const result = await service.apply(parseJsonBody(applyRequestSchema, body));
      sendJson(res, 201, result);
    },
    '/w3/kiosk/present': async (body, res) => {
      const result = await service.present(parseJsonBody(presentRequestSchema, body));
      if (result.outcome === 'rate-limited') {
        const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
        sendJsonError(
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
      else sendJson(res, 202, { status: result.outcome });
    },
    '/w3/device/confirm': async (body, res) => {
      const result = await service.confirm(parseJsonBody(confirmRequestSchema, body));
      if (result.outcome === 'not-available') notAvailable(res);
      else sendJson(res, 200, { status: result.outcome });
    },
  };

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) {
      sendJsonError(res, 404, 'NOT_FOUND', 'no such route');
      return;
    }
    if (req.method !== 'POST') {
      sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST', {}, { allow: 'POST' });
      return;
    }
    void (async () => {
      try {
        await route(await readJsonBody(req, maxBodyBytes), res);
      } catch (error) {
        if (error instanceof HttpFailure) {
          sendJsonError(res, error.status, error.code, error.message);
          return;
        }
        options.onError?.(error);
        sendJsonError(res, 500, 'INTERNAL', 'internal error');
      }
    })();
  };
}
