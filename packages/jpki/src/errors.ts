import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/**
 * Every failure the JPKI layer reports. Codes are stable API (integrators switch on them and persist them),
 * so they are never renamed; new ones are only appended.
 */
export const jpkiErrorCodes = [
  /** The bytes are not a well-formed X.509 certificate (or PEM), or a JPKI field in it is malformed. */
  'MALFORMED_CERTIFICATE',
  /** A signature or key algorithm the validator does not accept (only RSA with SHA-256/384/512). */
  'UNSUPPORTED_ALGORITHM',
  /** No trust anchor of the requested type matches the certificate's issuer (by key or by name). */
  'UNTRUSTED_ROOT',
  /** A root's SHA-256 fingerprint differs from the pin it was added with. */
  'ROOT_PIN_MISMATCH',
  /** The certificate's signature does not verify with any candidate root. */
  'SIGNATURE_INVALID',
  'NOT_YET_VALID',
  'EXPIRED',
  /** A signing certificate where an auth one was asked for, or the reverse. */
  'WRONG_CERTIFICATE_TYPE',
  /** Missing or wrong keyUsage bits (leaf or root). */
  'KEY_USAGE_INVALID',
  /** The end-entity certificate claims to be a CA (basicConstraints CA:TRUE, keyCertSign or cRLSign). */
  'LEAF_IS_CA',
  /** The trust anchor is not a CA (basicConstraints missing or CA:FALSE). */
  'ROOT_NOT_CA',
  /** The leaf carries a critical extension outside the JPKI profile. */
  'UNKNOWN_CRITICAL_EXTENSION',
  /** The leaf carries no JPKI policy OID (or contradictory ones). */
  'POLICY_MISMATCH',
  /** The certificate or its root belongs to the J-LIS test hierarchy (JPKI-TEST) and that was not allowed. */
  'TEST_HIERARCHY_REJECTED',
  /** A caller argument is invalid (e.g. a malformed pin). */
  'INVALID_INPUT',
] as const;

export type JpkiErrorCode = (typeof jpkiErrorCodes)[number];

export function isJpkiErrorCode(code: string): code is JpkiErrorCode {
  return (jpkiErrorCodes as readonly string[]).includes(code);
}

/**
 * An error from the JPKI layer: certificate parsing, trust store or chain validation. Messages and details carry
 * certificate metadata at most (serials, OIDs, dates), never basic-four values.
 */
export class JpkiError extends MynakitError<JpkiErrorCode> {
  constructor(code: JpkiErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'JpkiError';
  }

  static override fromJSON(value: unknown): JpkiError {
    const revived = MynakitError.fromJSON(value);
    if (!isJpkiErrorCode(revived.code)) throw new TypeError(`not a JPKI error code: ${revived.code}`);
    return new JpkiError(revived.code, revived.message, {
      details: revived.details,
      ...(revived.cause !== undefined && { cause: revived.cause }),
    });
  }
}
