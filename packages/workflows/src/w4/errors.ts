import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Failures of the W4 eKYC service itself (verification failures stay JpkiErrors). Stable codes, never renamed. */
export const ekycServiceErrorCodes = [
  /** No identity evidence or account is kept for that customer id. */
  'UNKNOWN_CUSTOMER',
  /** The card's account key is bound to another customer than the one the caller named. */
  'ACCOUNT_CONFLICT',
  /** `latest` was called but no latest-basic-four port was configured. */
  'LATEST_BASIC_FOUR_NOT_CONFIGURED',
  /** W4.5: a selfie was sent but no face check is configured. */
  'SELFIE_MATCH_NOT_CONFIGURED',
  /** W4.6: a My Number was sent but this service does not collect them (no vault configured: the default). */
  'MY_NUMBER_COLLECTION_DISABLED',
  /** W4.6: not 12 digits with a valid check digit (the value itself is never echoed). */
  'MY_NUMBER_INVALID',
] as const;
export type EkycServiceErrorCode = (typeof ekycServiceErrorCodes)[number];

/** Details carry customer ids and serials at most, never basic-four values. */
export class EkycServiceError extends MynakitError<EkycServiceErrorCode> {
  constructor(code: EkycServiceErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'EkycServiceError';
  }
}
