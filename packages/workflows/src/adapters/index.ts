// Real adapters behind the workflow ports: J-LIS (certificate check, renewal) and the administrative server, over
// fetch and WebCrypto. The face-pool adapter needs Node (@mynakit/face) and is exported from `@mynakit/workflows/node`.
export { HttpAdminServer, type HttpAdminServerOptions } from './admin-server-http.js';
export { AdapterError, type AdapterErrorCode, adapterErrorCodes, isAdapterErrorCode } from './errors.js';
export { HttpJlisRenewal, type HttpJlisRenewalOptions } from './jlis-renewal-http.js';
export {
  type CertificateRevocationSource,
  JpkiCertificateCheck,
  type JpkiCertificateCheckOptions,
} from './jpki-certificate-check.js';
export type { FetchLike } from './post-json.js';
