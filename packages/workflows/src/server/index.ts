// @mynakit/workflows/server: the reference server (Node only): every workflow behind API keys, the review page.
export {
  type Actor,
  ApiKeyAuthenticator,
  type ApiKeyEntry,
  type ApiRole,
  type AuthResult,
  actorIdSchema,
  apiKeyEntrySchema,
  apiRoles,
  type ClientCertificateEntry,
  clientCertificateEntrySchema,
  generateApiKey,
  sha256Hex,
} from './auth.js';
export { MailboxChallengeStore } from './challenge-store.js';
export {
  type ConfigOverrides,
  dbUrlSchema,
  describeConfig,
  loadServerConfig,
  loadTrustAnchor,
  parseServerConfig,
  redactDbUrl,
  type ServerConfig,
  ServerConfigError,
  type ServerConfigErrorCode,
  type ServerConfigInput,
  serverConfigErrorCodes,
  serverConfigSchema,
} from './config.js';
export { openServerDatabase, type ServerDatabase } from './database.js';
export {
  createReferenceServer,
  type EffectHandlerWrapper,
  type ReferenceServer,
  type ReferenceServerOptions,
} from './reference-server.js';
export { purgeExpired, type RetentionReport, type RetentionTargets } from './retention.js';
export { reviewPage } from './review-page.js';
export { WorkerLoop, type WorkerLoopOptions } from './worker-loop.js';
