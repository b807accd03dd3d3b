export {
  type BoothApplication,
  type BoothApplicationInput,
  boothApplicationSchema,
  boothCaseId,
  type RegistrationRequest,
  type RegistrationRequestInput,
  registrationRequestSchema,
} from './booth-application.js';
export {
  type EndReason,
  type EvidenceEntry,
  endReasonSchema,
  evidenceEntrySchema,
  type FaceCheckRecord,
  faceCheckRecordSchema,
  type ReviewRecord,
  reviewRecordSchema,
} from './booth-case.js';
export { CaseServiceError, type CaseServiceErrorCode, caseServiceErrorCodes } from './errors.js';
export type {
  ActorHttpHandler,
  HttpActor,
  HttpBinaryResponse,
  HttpRequestWithHeaders,
} from './http-routes.js';
export { type CardHolder, cardHolderSchema, personKey } from './person-key.js';
export {
  type CardCertificates,
  type CertificateCheckPort,
  type CertificateCheckResult,
  type CertificateEvidence,
  certificateCheckResultSchema,
  certificateEvidenceSchema,
  type FaceCheckInput,
  type FaceCheckPort,
  type FaceCheckResult,
  faceCheckResultSchema,
} from './ports.js';
