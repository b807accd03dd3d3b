// W4: eKYC and account binding (JPKI login, identity verification, 現況確認, 新4情報), the business server's side.
export {
  type ChallengeForCard,
  customerIdSchema,
  customerRequestSchema,
  decodeSignedResponse,
  EkycService,
  type EkycServiceOptions,
  type IdentityOutcome,
  identityRequestSchema,
  identityStartRequestSchema,
  type LatestOutcome,
  type LoginOutcome,
  loginRequestSchema,
  myNumberRequestSchema,
  type RecheckOutcome,
  type SelfieOutcome,
  type SignedResponseBody,
  selfieRequestSchema,
  signedResponseSchema,
} from './ekyc-service.js';
export { EkycServiceError, type EkycServiceErrorCode, ekycServiceErrorCodes } from './errors.js';
export {
  createW4HttpHandler,
  type W4HttpErrorCode,
  type W4HttpHandler,
  type W4HttpOptions,
  type W4HttpRequest,
  type W4HttpResponse,
  w4HttpErrorCodes,
} from './http-handlers.js';
export {
  InMemoryMyNumberVault,
  type MyNumberVault,
  myNumberContext,
  openMyNumber,
  sealMyNumber,
} from './my-number-vault.js';
export {
  type AccountBinding,
  type AccountBindingStore,
  type EvidenceRecord,
  type EvidenceStore,
  InMemoryAccountBindingStore,
  InMemoryEvidenceStore,
} from './stores.js';
