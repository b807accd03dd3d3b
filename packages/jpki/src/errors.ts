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
  /** The bytes are not a well-formed CMS ContentInfo(SignedData), or its signed attributes are wrong. */
  'MALFORMED_CMS',
  /** A well-formed CMS this verifier does not handle (several signers, attribute certificates, …). */
  'UNSUPPORTED_CMS',
  /** The CMS does not embed the certificate its SignerInfo names. */
  'SIGNER_CERTIFICATE_NOT_FOUND',
  /** The OCSP responder answered malformedRequest. */
  'OCSP_MALFORMED_REQUEST',
  /** The OCSP responder answered internalError. */
  'OCSP_INTERNAL_ERROR',
  /** The OCSP responder answered tryLater (retry later or use the CRL). */
  'OCSP_TRY_LATER',
  /** The OCSP responder wants signed requests (sigRequired). */
  'OCSP_SIG_REQUIRED',
  /** The OCSP responder refused to answer for this certificate or client (unauthorized). */
  'OCSP_UNAUTHORIZED',
  /** The OCSP response is not a well-formed BasicOCSPResponse (or uses an unknown status code). */
  'OCSP_MALFORMED',
  /** The OCSP response signature does not verify with the authorised signer's key. */
  'OCSP_SIGNATURE_INVALID',
  /** The OCSP response is signed by neither the issuer nor a delegate it certified with id-kp-OCSPSigning. */
  'OCSP_RESPONDER_UNAUTHORIZED',
  /** No SingleResponse in the OCSP response is about the certificate asked for. */
  'OCSP_CERT_ID_MISMATCH',
  /** The response's nonce differs from the request's, or is missing while the policy requires it. */
  'OCSP_NONCE_MISMATCH',
  /** The OCSP answer is outside its thisUpdate/nextUpdate window (stale or from the future): inconclusive. */
  'OCSP_STALE',
  /** The OCSP responder could not be reached or answered with an HTTP error. */
  'OCSP_UNAVAILABLE',
  /** A network request (OCSP or CRL) did not complete in time. */
  'TIMEOUT',
  /** The bytes are not a well-formed v1/v2 CRL, or it carries a critical extension we cannot honour. */
  'CRL_MALFORMED',
  /** The CRL's issuer name or key identifier is not the expected issuer's. */
  'CRL_ISSUER_MISMATCH',
  /** The CRL signature does not verify with the issuer's key. */
  'CRL_SIGNATURE_INVALID',
  /** The CRL is past its nextUpdate (or not yet issued): fail closed. */
  'CRL_STALE',
  /** The CRL could not be downloaded. */
  'CRL_UNAVAILABLE',
  /** No revocation source gave a trustworthy answer (fail-closed); the attempts' codes are in the details. */
  'REVOCATION_UNDETERMINED',
  /** An eKYC challenge is unknown, already used, expired, or was issued for another purpose. */
  'CHALLENGE_INVALID',
  /** The certificate is revoked; `details.reason` says why. */
  'CERTIFICATE_REVOKED',
  /** The latest-basic-four service (J-LIS through a PF) did not give a usable answer. */
  'JLIS_UNAVAILABLE',
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
