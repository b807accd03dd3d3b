import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Every failure a device client reports about the server. Codes are stable API, never renamed. */
export const deviceClientErrorCodes = [
  /** The server could not be reached (DNS, refused, reset) even after the retries. */
  'NETWORK',
  /** No answer within the request timeout, even after the retries. */
  'TIMEOUT',
  /** The caller aborted the request through its own signal. */
  'CANCELLED',
  /** 401: no API key, or a key the server does not know. */
  'UNAUTHENTICATED',
  /** 403: the key's role may not use this route. */
  'FORBIDDEN',
  /** 429: too many attempts; `retryAfterSeconds` says when to try again. */
  'RATE_LIMITED',
  /** The reception number cannot be used (malformed, unknown, expired, used, declined or not this device's). */
  'NOT_AVAILABLE',
  /** 404 for anything else: no such case or route. */
  'NOT_FOUND',
  /** Any other 4xx: the server refused the request as it is; sending it again will not help. */
  'REJECTED',
  /** 5xx after the retries. */
  'SERVER_ERROR',
  /** The answer is not what the API promises (not JSON, wrong shape). */
  'PROTOCOL',
] as const;

export type DeviceClientErrorCode = (typeof deviceClientErrorCodes)[number];

export interface DeviceClientErrorOptions extends MynakitErrorOptions {
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  /** RATE_LIMITED only: seconds to wait before the next attempt. */
  readonly retryAfterSeconds?: number;
}

/**
 * A failure talking to the reference server. Messages and details name the method, path, status and the server's
 * error code, never a request body (PINs, photos, reception numbers and card data travel in bodies only).
 */
export class DeviceClientError extends MynakitError<DeviceClientErrorCode> {
  readonly status?: number;
  readonly retryAfterSeconds?: number;

  constructor(code: DeviceClientErrorCode, message: string, options: DeviceClientErrorOptions = {}) {
    super(code, message, options);
    this.name = 'DeviceClientError';
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isDeviceClientError(
  error: unknown,
  code?: DeviceClientErrorCode,
): error is DeviceClientError {
  return error instanceof DeviceClientError && (code === undefined || error.code === code);
}
