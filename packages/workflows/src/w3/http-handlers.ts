import { isJpkiErrorCode, JpkiError, type JpkiErrorCode } from '@mynakit/jpki';
import { fromBase64, toBase64 } from '../checks/base64.js';
import {
  HttpFailure,
  type HttpRequestLike,
  type HttpResponseLike,
  parseJsonBody,
  readJsonBody,
  sendJson,
  sendJsonError,
} from '../http/json-http.js';
import { statusOfJpki } from '../w4/http-handlers.js';
import {
  applyRequestSchema,
  confirmRequestSchema,
  deviceWaitRequestSchema,
  type IssuanceService,
  kioskWaitRequestSchema,
  presentRequestSchema,
  printedRequestSchema,
} from './issuance-service.js';

/**
 * Plain HTTP handlers for W3, compatible with `node:http` and anything that passes a node-style request/response
 * pair. Structural types keep this file free of `node:` imports. Phones carry no API key: W3.1 card authentication
 * and (deviceId, reception number) authorize them. Kiosk routes need the authenticated caller (the mount point's
 * API-key check): the kiosk id is always the caller's id, never taken from a body.
 */

export type W3HttpRequest = HttpRequestLike;
export type W3HttpResponse = HttpResponseLike;

/** The authenticated caller, as the mount point's API-key check found it. */
export interface W3Actor {
  readonly id: string;
  readonly role: string;
}

/** Codes of the handler itself; W3.1 failures carry their JpkiErrorCode. Stable API, never renamed. */
export const w3HttpErrorCodes = [
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  /** A kiosk route without an authenticated caller. */
  'UNAUTHENTICATED',
  /** A kiosk route called by another role. */
  'FORBIDDEN',
  /** The reception number or job cannot be used (malformed, unknown, expired, used, or not this caller's). */
  'RECEPTION_NUMBER_NOT_AVAILABLE',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type W3HttpErrorCode = (typeof w3HttpErrorCodes)[number] | JpkiErrorCode;

export interface W3HttpOptions {
  /** Largest accepted body (default 32 KiB: an application with a certificate and a signature). */
  readonly maxBodyBytes?: number;
  /** The caller of a request when the mount point does not pass it as the third argument. */
  readonly actorOf?: (req: W3HttpRequest) => W3Actor | undefined;
  /** The role allowed on kiosk routes (default `kiosk`). */
  readonly kioskRole?: string;
  /** Called for unexpected failures (log the error's code/name, not the body). Defaults to nothing. */
  readonly onError?: (error: unknown) => void;
}

export type W3HttpHandler = (req: W3HttpRequest, res: W3HttpResponse, actor?: W3Actor) => void;

/** Status, JSON body and extra headers of an answer. */
type Answer = readonly [number, unknown, Record<string, string>?];
type Route = (body: unknown, caller: () => string) => Promise<Answer>;

const error = (code: W3HttpErrorCode, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, ...extra },
});
const notAvailable: Answer = [
  404,
  error('RECEPTION_NUMBER_NOT_AVAILABLE', 'the reception number cannot be used'),
];

const seconds = (wait: number | undefined) => (wait === undefined ? 0 : wait * 1000);

/**
 * One handler for the W3 routes (all POST, JSON in and out, binary as base64):
 * - `/w3/challenge` `{}` → 200 `{ challengeId, challenge, expiresAt }` (sign with the user-authentication key)
 * - `/w3/applications` `{ deviceId, application, auth: { challengeId, certificate, signature } }` →
 *   201 `{ receptionNumber, expiresAt }`; a failed W3.1 check answers its JpkiError code (401/403/503, …)
 * - `/w3/device/wait` `{ deviceId, receptionNumber, wait? }` → 200 `{ status, request: null | { kioskId,
 *   certificateKind, copies, answerBy } }` (long-poll up to `wait` seconds, at most 30)
 * - `/w3/device/confirm` `{ deviceId, receptionNumber, decision }` → 200 `{ status: "printing" | "declined" }`
 * - kiosk: `/w3/kiosk/present` `{ receptionNumber }` → 202 `{ status: "confirmation-requested" }` (429 with
 *   Retry-After when throttled); `/w3/kiosk/wait` `{ receptionNumber, wait? }` → 200 `{ status, job: null | { jobId,
 *   certificateKind, copies, mediaType, document } }`; `/w3/kiosk/printed` `{ jobId }` → 200 `{ status: "printed" }`
 * A number or job that cannot be used is always 404 RECEPTION_NUMBER_NOT_AVAILABLE.
 */
export function createW3HttpHandler(service: IssuanceService, options: W3HttpOptions = {}): W3HttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024;
  const kioskRole = options.kioskRole ?? 'kiosk';
  const phone: Record<string, Route> = {
    '/w3/challenge': async () => {
      const challenge = await service.challenge();
      return [
        200,
        {
          challengeId: challenge.challengeId,
          challenge: toBase64(challenge.challenge),
          expiresAt: challenge.expiresAt.toISOString(),
        },
      ];
    },
    '/w3/applications': async (body) => {
      const { deviceId, application, auth } = parseJsonBody(applyRequestSchema, body);
      const result = await service.apply({
        deviceId,
        application,
        auth: {
          challengeId: auth.challengeId,
          certificate: fromBase64(auth.certificate),
          signature: fromBase64(auth.signature),
          ...(auth.hash !== undefined && { hash: auth.hash }),
        },
      });
      return [201, result];
    },
    '/w3/device/wait': async (body) => {
      const { deviceId, receptionNumber, wait } = parseJsonBody(deviceWaitRequestSchema, body);
      const result = await service.waitForConfirmationRequest({
        deviceId,
        receptionNumber,
        waitMs: seconds(wait),
      });
      if (result.outcome === 'not-available') return notAvailable;
      return [200, { status: result.status, request: result.request }];
    },
    '/w3/device/confirm': async (body) => {
      const result = await service.confirm(parseJsonBody(confirmRequestSchema, body));
      if (result.outcome === 'not-available') return notAvailable;
      return [200, { status: result.outcome }];
    },
  };
  const kiosk: Record<string, Route> = {
    '/w3/kiosk/present': async (body, caller) => {
      const { receptionNumber } = parseJsonBody(presentRequestSchema, body);
      const result = await service.present({ kioskId: caller(), receptionNumber });
      if (result.outcome === 'rate-limited') {
        const retry = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
        return [
          429,
          error('RATE_LIMITED', 'too many attempts from this kiosk', { retryAfterSeconds: retry }),
          { 'retry-after': String(retry) },
        ];
      }
      if (result.outcome === 'not-available') return notAvailable;
      return [202, { status: result.outcome }];
    },
    '/w3/kiosk/wait': async (body, caller) => {
      const { receptionNumber, wait } = parseJsonBody(kioskWaitRequestSchema, body);
      const result = await service.waitForPrintJob({
        kioskId: caller(),
        receptionNumber,
        waitMs: seconds(wait),
      });
      if (result.outcome === 'not-available') return notAvailable;
      const job =
        result.job === null
          ? null
          : {
              jobId: result.job.jobId,
              certificateKind: result.job.certificateKind,
              copies: result.job.copies,
              mediaType: result.job.mediaType,
              document: toBase64(result.job.document),
            };
      return [200, { status: result.status, job }];
    },
    '/w3/kiosk/printed': async (body, caller) => {
      const { jobId } = parseJsonBody(printedRequestSchema, body);
      const result = await service.printed({ kioskId: caller(), jobId });
      if (result.outcome === 'not-available') return notAvailable;
      return [200, { status: result.outcome }];
    },
  };

  return (req, res, actorArgument) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const isKiosk = Object.hasOwn(kiosk, path);
    const route = isKiosk ? kiosk[path] : Object.hasOwn(phone, path) ? phone[path] : undefined;
    if (route === undefined) {
      sendJsonError(res, 404, 'NOT_FOUND', 'no such route');
      return;
    }
    if (req.method !== 'POST') {
      sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST', {}, { allow: 'POST' });
      return;
    }
    let kioskId = '';
    if (isKiosk) {
      const actor = actorArgument ?? options.actorOf?.(req);
      if (actor === undefined) {
        sendJsonError(res, 401, 'UNAUTHENTICATED', 'a kiosk API key is required');
        return;
      }
      if (actor.role !== kioskRole) {
        sendJsonError(res, 403, 'FORBIDDEN', 'this route is for kiosks');
        return;
      }
      kioskId = actor.id;
    }
    void (async () => {
      try {
        const body = await readJsonBody(req, maxBodyBytes, { emptyBody: {} });
        const [status, answer, headers] = await route(body, () => kioskId);
        sendJson(res, status, answer, headers);
      } catch (failure) {
        if (failure instanceof HttpFailure) {
          sendJsonError(res, failure.status, failure.code, failure.message);
        } else if (failure instanceof JpkiError && isJpkiErrorCode(failure.code)) {
          const status = statusOfJpki(failure.code);
          if (status >= 500) options.onError?.(failure);
          // JpkiError messages carry certificate metadata at most; the auth certificate has no personal data.
          sendJsonError(res, status, failure.code, failure.message);
        } else {
          options.onError?.(failure);
          sendJsonError(res, 500, 'INTERNAL', 'internal error');
        }
      }
    })();
  };
}
