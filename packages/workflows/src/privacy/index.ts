// Browser-safe privacy building blocks. The file-backed photo store is Node-only: `@mynakit/workflows/node`.
export { isPrivacyErrorCode, PrivacyError, type PrivacyErrorCode, privacyErrorCodes } from './errors.js';
export {
  MemoryPhotoStore,
  type NewPhoto,
  newPhotoSchema,
  type PhotoKind,
  type PhotoMetadata,
  type PhotoStore,
  type PhotoStoreOptions,
  photoIdSchema,
  photoKinds,
  photoMetadataSchema,
  type StoredPhoto,
} from './photo-store.js';
export {
  createRedactingLogger,
  isSensitiveKey,
  type JsonValue,
  jsonLinesSink,
  type LogLevel,
  type LogRecord,
  type LogSink,
  REDACTED,
  REDACTED_MY_NUMBER,
  type RedactingLogger,
  type RedactingLoggerOptions,
  redact,
  redactString,
} from './redacting-logger.js';
export {
  type AssociatedData,
  generateKeyBase64,
  type KeyConfig,
  Keyring,
  type KeyringConfig,
  keyConfigSchema,
  keyringConfigSchema,
  SEALED_BOX_VERSION,
  sealContext,
  sealedKeyId,
} from './sealed-box.js';
