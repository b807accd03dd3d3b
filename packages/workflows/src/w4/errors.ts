import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Failures of the W4 eKYC service itself (verification failures stay JpkiErrors). Stable codes, never renamed. */
export const ekycServiceErrorCodes = [
  /** No identity evidence or account is kept for that customer id. */
  'UNKNOWN_CUSTOMER',
  /** The card's account key is bound to another customer than the one the caller named. */
  'ACCOUNT_CONFLICT',
  /** `latest` was called but no latest-basic-four port was configured. */
  'LATEST_BASIC_FOUR_NOT_CONFIGURED',
] as const;
export type EkycServiceErrorCode = (typeof ekycServiceErrorCodes)[number];

/** Details carry customer ids and serials at most, never basic-four values. */
export class EkycServiceError extends MynakitError<EkycServiceErrorCode> {
  constructor(code: EkycServiceErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'EkycServiceError';
  }
}
