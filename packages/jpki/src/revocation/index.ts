// Revocation for JPKI certificates: OCSP and CRL clients that verify everything themselves, and a fail-closed policy.
export { CrlCache, type CrlCacheOptions, type CrlSource } from './crl-cache.js';
export {
  type CrlEntry,
  DEFAULT_CRL_SKEW_MS,
  type FetchCrlOptions,
  fetchCrl,
  type LoadCrlOptions,
  loadCrl,
  type VerifiedCrl,
} from './crl-client.js';
export {
  type CheckOcspOptions,
  checkOcsp,
  type OcspNoncePolicy,
  type OcspResult,
  type OcspStatus,
  type OcspVerifyOptions,
  type VerifyOcspResponseOptions,
  verifyOcspResponse,
} from './ocsp-client.js';
export {
  type BuildOcspRequestOptions,
  type BuiltOcspRequest,
  buildOcspRequest,
  computeCertId,
  OCSP_OIDS,
  type OcspCertId,
  type OcspCertIdHash,
} from './ocsp-request.js';
export {
  type RevocationAttemptError,
  RevocationChecker,
  type RevocationCheckerOptions,
  type RevocationCheckResult,
  type RevocationSource,
} from './revocation-checker.js';
export {
  type CertificateInput,
  type CrlEvidence,
  type FetchLike,
  normalizeSerial,
  type OcspEvidence,
  REVOCATION_REASONS,
  type RevocationEvidence,
  type RevocationReason,
  type RevocationReasonName,
  revocationReasonOf,
} from './types.js';
