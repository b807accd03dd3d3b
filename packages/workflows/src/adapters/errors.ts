import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/**
 * Failures talking to a remote partner (J-LIS, the administrative server). Every one is thrown, so the outbox retries
 * the effect with the same idempotency key. Codes are stable API, never renamed.
 */
export const adapterErrorCodes = [
  /** The remote could not be reached, or answered 5xx / 408 / 429: try again later. */
  'REMOTE_UNAVAILABLE',
  /** No answer within the adapter's timeout. */
  'REMOTE_TIMEOUT',
  /** The remote refused the request (another 4xx); `details.status` holds the HTTP status. */
  'REMOTE_REJECTED',
  /** The remote answered something its schema does not allow. */
  'REMOTE_INVALID_RESPONSE',
] as const;

export type AdapterErrorCode = (typeof adapterErrorCodes)[number];

/** Details carry the partner's name, the HTTP status and the path at most: never a body (it may hold photos). */
export class AdapterError extends MynakitError<AdapterErrorCode> {
  constructor(code: AdapterErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'AdapterError';
  }
}

export function isAdapterErrorCode(code: string): code is AdapterErrorCode {
  return (adapterErrorCodes as readonly string[]).includes(code);
}
