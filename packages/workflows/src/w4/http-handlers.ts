import { isJpkiErrorCode, JpkiError, type JpkiErrorCode } from '@mynakit/jpki';
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
  customerRequestSchema,
  decodeSignedResponse,
  type EkycService,
  identityRequestSchema,
  identityStartRequestSchema,
  loginRequestSchema,
  myNumberRequestSchema,
  selfieRequestSchema,
} from './ekyc-service.js';
import { EkycServiceError, type EkycServiceErrorCode } from './errors.js';

/**
 * Plain HTTP handlers for W4, compatible with `node:http` (`createServer(handler)`) and anything passing a node-style
 * request/response pair. Structural types keep this file free of `node:` imports. The mount point authenticates the
 * caller and must make sure the `customerId` in a body is the caller's own (identity, recheck and latest act on it).
 */

export type W4HttpRequest = HttpRequestLike;
export type W4HttpResponse = HttpResponseLike;

/** Codes of the handler itself; JPKI and service failures carry their own codes (`JpkiErrorCode`, `EkycServiceErrorCode`). */
export const w4HttpErrorCodes = [
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INTERNAL',
] as const;
export type W4HttpErrorCode = (typeof w4HttpErrorCodes)[number] | JpkiErrorCode | EkycServiceErrorCode;

export interface W4HttpOptions {
  /** Largest accepted body (default 32 KiB: a certificate and a signature in base64 fit easily). */
  readonly maxBodyBytes?: number;
  /** Largest accepted `/w4/selfie` body (default 8 MiB). */
  readonly maxSelfieBodyBytes?: number;
  /** Called for unexpected failures (log the error's code/name, not the body). Defaults to nothing. */
  readonly onError?: (error: unknown) => void;
}

export type W4HttpHandler = (req: W4HttpRequest, res: W4HttpResponse) => void;

/** The HTTP status of a JPKI verification failure (shared by the W3 and W4 handlers). */
export function statusOfJpki(code: JpkiErrorCode): number {
  switch (code) {
    case 'CHALLENGE_INVALID':
    case 'MALFORMED_CERTIFICATE':
    case 'UNSUPPORTED_ALGORITHM':
    case 'INVALID_INPUT':
      return 400;
    case 'SIGNATURE_INVALID':
    case 'UNTRUSTED_ROOT':
    case 'ROOT_PIN_MISMATCH':
    case 'NOT_YET_VALID':
    case 'EXPIRED':
    case 'WRONG_CERTIFICATE_TYPE':
    case 'KEY_USAGE_INVALID':
    case 'LEAF_IS_CA':
    case 'ROOT_NOT_CA':
    case 'UNKNOWN_CRITICAL_EXTENSION':
    case 'POLICY_MISMATCH':
    case 'TEST_HIERARCHY_REJECTED':
      return 401;
    case 'CERTIFICATE_REVOKED':
      return 403;
    case 'JLIS_UNAVAILABLE':
      return 502;
    case 'REVOCATION_UNDETERMINED':
      return 503;
    default:
      // OCSP/CRL/CMS internals should not escape the verifier; if one does, it is the server's problem.
      return code.startsWith('OCSP_') || code.startsWith('CRL_') || code === 'TIMEOUT' ? 503 : 500;
  }
}

function statusOfService(code: EkycServiceErrorCode): number {
  switch (code) {
    case 'UNKNOWN_CUSTOMER':
      return 404;
    case 'ACCOUNT_CONFLICT':
      return 409;
    case 'LATEST_BASIC_FOUR_NOT_CONFIGURED':
    case 'SELFIE_MATCH_NOT_CONFIGURED':
      return 501;
    case 'MY_NUMBER_COLLECTION_DISABLED':
      return 403;
    case 'MY_NUMBER_INVALID':
      return 400;
  }
}

function challengeJson(challenge: { challengeId: string; toBeSigned: Uint8Array; expiresAt: Date }) {
  return {
    challengeId: challenge.challengeId,
    toBeSigned: toBase64(challenge.toBeSigned),
    expiresAt: challenge.expiresAt.toISOString(),
  };
}

/**
 * One handler for the W4 routes (all POST, JSON in and out, binary as base64):
 * - `/w4/login/start` `{}` → `{ challengeId, toBeSigned, expiresAt }` (sign with the user-authentication key)
 * - `/w4/login` `{ challengeId, certificate, signature, hash?, customerId? }` → `{ customerId, accountKey, authSerial, newlyBound, certificateNotAfter }`
 * - `/w4/identity/start` `{ transaction }` → `{ challengeId, toBeSigned, expiresAt }` (sign with the signing key)
 * - `/w4/identity` `{ challengeId, certificate, signature, hash?, customerId }` → `{ customerId, evidenceId, basicFour, signSerial, retainUntil }`
 * - `/w4/recheck` `{ customerId }` → `{ status, meaning, signSerial, checkedAt, reason?, revokedAt? }`
 * - `/w4/latest` `{ customerId }` → `{ status: "no-consent" | "unchanged" | "updated", basicFour?, newSignSerial? }`
 * - `/w4/selfie` `{ customerId, selfie, cardPhoto }` → `{ outcome, score, threshold, qualityFailures, checkedAt }` (W4.5)
 * - `/w4/my-number` `{ customerId, myNumber }` → 201 `{ customerId, stored: true }` (W4.6; 403 unless enabled)
 * Failures are `{ "error": { "code", "message" } }` with the JpkiError or service code.
 */
export function createW4HttpHandler(service: EkycService, options: W4HttpOptions = {}): W4HttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024;
  // A selfie is the one large body; every other route keeps the small limit.
  const maxSelfieBodyBytes = options.maxSelfieBodyBytes ?? 8 * 1024 * 1024;
  const routes: Record<string, (body: unknown) => Promise<[number, unknown]>> = {
    '/w4/login/start': async () => [200, challengeJson(await service.startLogin())],
    '/w4/login': async (body) => {
      const { customerId, ...signed } = parseJsonBody(loginRequestSchema, body);
      const result = await service.login(
        decodeSignedResponse(signed),
        customerId === undefined ? {} : { customerId },
      );
      return [200, { ...result, certificateNotAfter: result.certificateNotAfter.toISOString() }];
    },
    '/w4/identity/start': async (body) => {
      const { transaction } = parseJsonBody(identityStartRequestSchema, body);
      return [200, challengeJson(await service.startIdentity(transaction))];
    },
    '/w4/identity': async (body) => {
      const { customerId, ...signed } = parseJsonBody(identityRequestSchema, body);
      return [201, await service.verifyIdentity(decodeSignedResponse(signed), { customerId })];
    },
    '/w4/recheck': async (body) => [
      200,
      await service.recheck(parseJsonBody(customerRequestSchema, body).customerId),
    ],
    '/w4/latest': async (body) => [
      200,
      await service.latest(parseJsonBody(customerRequestSchema, body).customerId),
    ],
    '/w4/selfie': async (body) => {
      const { customerId, selfie, cardPhoto } = parseJsonBody(selfieRequestSchema, body);
      return [
        200,
        await service.matchSelfie({
          customerId,
          selfie: fromBase64(selfie),
          cardPhoto: fromBase64(cardPhoto),
        }),
      ];
    },
    '/w4/my-number': async (body) => [
      201,
      await service.collectMyNumber(parseJsonBody(myNumberRequestSchema, body)),
    ],
  };

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (route === undefined) {
      sendJsonError(res, 404, 'NOT_FOUND', 'no such route');
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST');
      return;
    }
    void (async () => {
      try {
        const limit = path === '/w4/selfie' ? maxSelfieBodyBytes : maxBodyBytes;
        const [status, body] = await route(await readJsonBody(req, limit, { emptyBody: {} }));
        sendJson(res, status, body);
      } catch (error) {
        if (error instanceof HttpFailure) {
          sendJsonError(res, error.status, error.code, error.message);
        } else if (error instanceof JpkiError && isJpkiErrorCode(error.code)) {
          const status = statusOfJpki(error.code);
          if (status >= 500) options.onError?.(error);
          // JpkiError messages and details carry certificate metadata at most (never basic-four values).
          const reason = error.details.reason;
          sendJsonError(
            res,
            status,
            error.code,
            error.message,
            error.code === 'CERTIFICATE_REVOKED' && typeof reason === 'string' ? { reason } : {},
          );
        } else if (error instanceof EkycServiceError) {
          sendJsonError(res, statusOfService(error.code), error.code, error.message);
        } else {
          options.onError?.(error);
          sendJsonError(res, 500, 'INTERNAL', 'internal error');
        }
      }
    })();
  };
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
