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
