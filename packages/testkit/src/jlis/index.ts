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
  IdempotencyConflictError,
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
  type ActivationResult,
  type ConfirmActivationInput,
  confirmActivation,
  type Renewal,
  RenewalLedger,
  type RenewalLink,
  type RenewCertificatesInput,
  renewCertificates,
  renewCertificatesInputSchema,
  type SerialLink,
  type UpdateAnswer,
  type UpdateScript,
  type UpdateScriptJson,
  updateScriptFromJson,
  updateScriptJsonSchema,
  updateScriptToJson,
} from './renewal.js';
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
export {
  defaultCardId,
  deriveCardUpdateKey,
  TEST_ISSUER_MASTER_KEY,
  UPDATE_CLA,
  UPDATE_INS,
  UPDATE_SW,
  type UpdateTarget,
} from './update-protocol.js';
