import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/** Failures of the booth and review services (W1, W2, review). Codes are stable API (sent over HTTP). */
export const caseServiceErrorCodes = [
  /** No such case, or not one the caller may see (another booth's case looks exactly like an unknown one). */
  'CASE_NOT_FOUND',
  /** The Idempotency-Key was used before by this booth for another request body. */
  'IDEMPOTENCY_CONFLICT',
  /** The case is not in a state that accepts this request (e.g. card answers before the script, a decision on a case that is not held). */
  'WRONG_STATE',
  /** The card answers name another update script than the one the case sent. */
  'SCRIPT_MISMATCH',
  /** The photo is not part of this case's record, or its bytes were purged. */
  'PHOTO_NOT_FOUND',
] as const;

export type CaseServiceErrorCode = (typeof caseServiceErrorCodes)[number];

/** Details carry case ids and statuses only, never personal data. */
export class CaseServiceError extends MynakitError<CaseServiceErrorCode> {
  constructor(code: CaseServiceErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'CaseServiceError';
  }
}
