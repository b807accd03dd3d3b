// @mynakit/jpki: JPKI certificates (parse, trust store, chain validation). Browser-safe: crypto goes through WebCrypto.
export {
  type BasicFourInfo,
  basicFourFromOtherNames,
  type JpkiBirthDate,
  type JpkiEra,
  type JpkiSexCode,
  type OtherName,
  parseJpkiBirthDate,
  parseOtherNames,
} from './basic-four.js';
export {
  type CertificateExtension,
  type JpkiCertificate,
  type JpkiCertificateType,
  type JpkiHierarchyKind,
  type KeyUsageFlags,
  parseJpkiCertificate,
} from './certificate.js';
export { type ValidateChainOptions, type ValidChain, validateChain } from './chain.js';
export { type JpkiCrypto, sha256Hex } from './crypto-provider.js';
export { type DnAttribute, formatName } from './distinguished-name.js';
export * from './ekyc/index.js';
export { isJpkiErrorCode, JpkiError, type JpkiErrorCode, jpkiErrorCodes } from './errors.js';
export { EXTENSION_OIDS, JPKI_LEAF_KNOWN_EXTENSIONS, JPKI_OIDS } from './oids.js';
export { derToPem, pemToDer } from './pem.js';
export * from './revocation/index.js';
export * from './signature/index.js';
export {
  JPKI_PRODUCTION_ROOT_FINGERPRINTS,
  type JpkiRootType,
  normalizeSha256Fingerprint,
  type TrustAnchor,
  TrustStore,
  type TrustStoreOptions,
} from './trust-store.js';
