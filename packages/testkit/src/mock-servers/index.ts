// Mock partner servers for the workflows' end-to-end tests: the 行政サーバ (W2) and the 証明書交付サーバ (W3).
export {
  type MockAdminRegistration,
  type MockAdminServer,
  type MockAdminServerOptions,
  startMockAdminServer,
} from './admin-server.js';
export type { MockServer } from './http.js';
export {
  type MockIssuanceServer,
  type MockIssuedDocument,
  type MockIssueRequest,
  mockCertificateKinds,
  startMockIssuanceServer,
} from './issuance-server.js';
