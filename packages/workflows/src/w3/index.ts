// W3: certificate issuance with a reception number (受付番号), the issuance server's side.
export { w3CaseId } from './case-id.js';
export {
  createW3HttpHandler,
  type W3HttpErrorCode,
  type W3HttpHandler,
  type W3HttpOptions,
  type W3HttpRequest,
  type W3HttpResponse,
  w3HttpErrorCodes,
} from './http-handlers.js';
export { InMemoryDeviceNotifier, InMemoryKioskPrinter } from './in-memory-ports.js';
export {
  type ApplyResult,
  applyRequestSchema,
  type ConfirmResult,
  confirmRequestSchema,
  IssuanceService,
  type IssuanceServiceOptions,
  type NotAvailable,
  type PresentResult,
  presentRequestSchema,
  w3EffectHandlers,
} from './issuance-service.js';
export type { DeviceNotifier, KioskPrinter, PrintConfirmationRequest, PrintJob } from './ports.js';
export {
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
  w3StateSchema,
  w3StatusSchema,
} from './w3-workflow.js';
