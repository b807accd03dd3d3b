// W3: certificate issuance with a reception number (受付番号), the issuance server's side.
export { w3CaseId } from './case-id.js';
export { type W3EffectPorts, w3EffectHandlers } from './effect-handlers.js';
export { W3Error, type W3ErrorCode, w3ErrorCodes } from './errors.js';
export {
  createW3HttpHandler,
  type W3Actor,
  type W3HttpErrorCode,
  type W3HttpHandler,
  type W3HttpOptions,
  type W3HttpRequest,
  type W3HttpResponse,
  w3HttpErrorCodes,
} from './http-handlers.js';
export {
  HttpIssuanceServer,
  type HttpIssuanceServerOptions,
  httpIssuanceServerOptionsSchema,
} from './http-issuance-server.js';
export {
  InMemoryCertificateDocuments,
  InMemoryDeviceNotifier,
  MailboxDeviceNotifier,
} from './in-memory-ports.js';
export {
  type ApplicantAuthJson,
  type ApplyResult,
  applicantAuthSchema,
  applyRequestSchema,
  type ConfirmationRequestView,
  type ConfirmResult,
  confirmRequestSchema,
  type DeviceWaitResult,
  deviceWaitRequestSchema,
  IssuanceService,
  type IssuanceServiceOptions,
  type KioskPrintJob,
  type KioskWaitResult,
  kioskWaitRequestSchema,
  type NotAvailable,
  type PresentResult,
  type PrintedResult,
  presentRequestSchema,
  printedRequestSchema,
} from './issuance-service.js';
export { JpkiApplicantAuthenticator } from './jpki-authenticator.js';
export type {
  ApplicantAuthenticator,
  ApplicantAuthResponse,
  ApplicantChallenge,
  CertificateDocumentPort,
  DeviceNotifier,
  IssuedDocument,
  PrintConfirmationRequest,
} from './ports.js';
export {
  deviceRecipient,
  kioskRecipient,
  type PrintJobMessage,
  printJobMessageSchema,
} from './print-job.js';
export {
  type ApplicantEvidence,
  applicantEvidenceSchema,
  type CertificateApplication,
  type CertificateApplicationInput,
  certificateApplicationSchema,
  certificateIssuanceWorkflow,
  W3_CONFIRMATION_TIMER,
  W3_EXPIRY_TIMER,
  W3_FINAL_STATUSES,
  W3_PRINT_KEY,
  type W3Effect,
  type W3Event,
  type W3Input,
  type W3State,
  type W3Status,
  w3ActorIdSchema,
  w3ConfirmationKey,
  w3EffectSchema,
  w3EventSchema,
  w3InputSchema,
  w3JobId,
  w3JobIdSchema,
  w3StateSchema,
  w3StatusSchema,
} from './w3-workflow.js';
