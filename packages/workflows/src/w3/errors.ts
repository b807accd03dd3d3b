import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Failures of W3's adapters (verification failures stay JpkiErrors). Stable codes, never renamed. */
export const w3ErrorCodes = [
  /** The certificate issuance server could not be reached, timed out or failed (5xx): the outbox retries. */
  'ISSUANCE_SERVER_UNAVAILABLE',
  /** The issuance server refused the request (4xx). */
  'ISSUANCE_SERVER_REFUSED',
  /** The issuance server answered something that is not a document. */
  'ISSUANCE_SERVER_BAD_RESPONSE',
  /** A stored print job could not be read (corrupt, or sealed with a key this server does not hold). */
  'PRINT_JOB_UNREADABLE',
] as const;
export type W3ErrorCode = (typeof w3ErrorCodes)[number];

/** Details carry case ids, job ids and HTTP statuses at most, never application or document content. */
export class W3Error extends MynakitError<W3ErrorCode> {
  constructor(code: W3ErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'W3Error';
  }
}
