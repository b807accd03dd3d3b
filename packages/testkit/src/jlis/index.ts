// The mock J-LIS revocation side: registries, CRLs, an OCSP responder and its HTTP server. Node only.

export {
  crlToPem,
  type IssueCrlOptions,
  type IssuedCrl,
  issueCrl,
  issueCrlOptionsSchema,
  serialIntegerBytes,
  syntheticSerial,
} from './crl.js';
export { type JlisServer, startJlisServer } from './jlis-server.js';
export {
  type HolderRecord,
  type LatestBasicFourAnswer,
  MockJlis,
  type MockJlisOptions,
} from './mock-jlis.js';
export {
  type OcspServer,
  type OcspServerOptions,
  type OcspServerRequestLog,
  ocspRequestHandler,
  startOcspServer,
} from './ocsp-http.js';
export { type CreateOcspRequestOptions, createOcspRequest } from './ocsp-request.js';
export {
  MockOcspResponder,
  type MockOcspResponderInit,
  type OcspAnswer,
  type OcspResponderOptions,
  type OcspResponderOptionsInput,
  type OcspResponseStatus,
  ocspOids,
  ocspResponderOptionsSchema,
  ocspResponseStatusCode,
} from './ocsp-responder.js';
export {
  id_kp_OCSPSigning,
  id_pkix_ocsp_nocheck,
  issueOcspResponderCertificate,
  type OcspResponderCertificate,
  type OcspResponderCertificateOptions,
} from './ocsp-responder-certificate.js';
export {
  type CrlReason,
  crlReasonCode,
  crlReasons,
  normalizeSerialHex,
  type RevocationCaKey,
  type RevocationEntry,
  RevocationRegistries,
  type RevocationRegistriesJson,
  RevocationRegistry,
  type RevocationRegistryJson,
  revocationCaKeyString,
  revocationRegistriesSchema,
  revocationRegistrySchema,
} from './revocation-registry.js';
