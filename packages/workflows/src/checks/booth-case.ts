import { z } from 'zod';
import { photoIdSchema } from '../privacy/photo-store.js';
import { certificateCheckResultSchema, faceCheckResultSchema } from './ports.js';

// The parts W1 (renewal) and W2 (registration) cases share: the application as stored, the check results kept as
// evidence, the reviewer's decision, and the effects both run. Only ids, sealed blobs and check results: no name,
// no photo bytes.

const isoDate = z.iso.datetime();

/** Booth, kiosk and reviewer ids: opaque API-key ids, never a name. */
export const actorIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);

/** The booth's retry key (HTTP `Idempotency-Key`): a UUID or any other opaque token. */
export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/);

export const livePhotoTypeSchema = z.enum(['image/jpeg', 'image/png']);

/** What the service stores in a case when it starts (the same for W1 and W2). */
export const boothCaseInputSchema = z.strictObject({
  boothId: actorIdSchema,
  /** Pseudonymous key of the card holder (`personKey`) for the history photos. */
  personKey: z.string().min(16).max(128),
  /** The basic four, sealed with the Keyring (base64), opened only for the municipality reviewer. */
  holderSealed: z.base64(),
  /** The card's DER certificates, sealed (the signing certificate carries the basic four). */
  certificatesSealed: z.base64(),
  livePhotoId: photoIdSchema,
  livePhotoType: livePhotoTypeSchema,
  cardPhotoId: photoIdSchema,
  capturedAt: isoDate,
  /** SHA-256 of the request: a retried POST with the same Idempotency-Key must carry the same request. */
  requestDigest: z.string().regex(/^[0-9a-f]{64}$/),
  reviewTimeoutMs: z.number().int().positive(),
});
export type BoothCaseInput = z.infer<typeof boothCaseInputSchema>;

/** The face check as kept in the case: the port's result plus which history photos it compared with. */
export const faceCheckRecordSchema = z.strictObject({
  result: faceCheckResultSchema,
  historyPhotoIds: z.array(photoIdSchema),
});
export type FaceCheckRecord = z.infer<typeof faceCheckRecordSchema>;

export const reviewDecisionSchema = z.enum(['approve', 'reject']);
export const reviewReasonSchema = z.string().trim().min(1).max(2000);

/** Who decided a held case, how, why and when. */
export const reviewRecordSchema = z.strictObject({
  reviewerId: actorIdSchema,
  decision: reviewDecisionSchema,
  reason: reviewReasonSchema,
  at: isoDate,
});
export type ReviewRecord = z.infer<typeof reviewRecordSchema>;

/** Why a case ended without success: stable codes the booth shows and the review page lists. */
export const endReasonSchema = z.enum([
  'certificate-invalid',
  'face-no-match',
  'photo-unusable',
  'review-rejected',
  'review-timeout',
  'card-timeout',
  'not-activated',
]);
export type EndReason = z.infer<typeof endReasonSchema>;

/** One line of the audit trail kept in the state (the event log holds the same events). */
export const evidenceEntrySchema = z.strictObject({
  at: isoDate,
  event: z.string(),
  from: z.string(),
  to: z.string(),
  certificateCheck: certificateCheckResultSchema.optional(),
  faceCheck: faceCheckRecordSchema.optional(),
  review: reviewRecordSchema.optional(),
  /** Small step facts: script id, activation, registration id, whether the photo joined the history. */
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});
export type EvidenceEntry = z.infer<typeof evidenceEntrySchema>;

/** State fields common to both workflows; each adds its own status enum and extras. */
export const boothCaseStateFields = {
  ...boothCaseInputSchema.shape,
  appliedAt: isoDate,
  certificateCheck: certificateCheckResultSchema.optional(),
  faceCheck: faceCheckRecordSchema.optional(),
  review: reviewRecordSchema.optional(),
  reason: endReasonSchema.optional(),
  /** A code that explains `reason` (e.g. CERTIFICATE_REVOKED, or J-LIS's reason for not activating). */
  reasonDetail: z.string().max(200).optional(),
  /** Whether the live photo joined the history photos (decided at completion). */
  historyJoined: z.boolean().optional(),
  evidence: z.array(evidenceEntrySchema),
};

/** The events both workflows accept for the checks and the review. */
export const certificateCheckedEventSchema = z.strictObject({
  type: z.literal('certificate-checked'),
  result: certificateCheckResultSchema,
});
export const facesComparedEventSchema = z.strictObject({
  type: z.literal('faces-compared'),
  result: faceCheckResultSchema,
  historyPhotoIds: z.array(photoIdSchema),
});
export const reviewDecidedEventSchema = z.strictObject({
  type: z.literal('review-decided'),
  reviewerId: actorIdSchema,
  decision: reviewDecisionSchema,
  reason: reviewReasonSchema,
});
export const reviewTimeoutEventSchema = z.strictObject({ type: z.literal('review-timeout') });

/** The effects both workflows run. */
export const checkCertificateEffectSchema = z.strictObject({
  type: z.literal('check-certificate'),
  certificatesSealed: z.base64(),
});
export const compareFacesEffectSchema = z.strictObject({
  type: z.literal('compare-faces'),
  livePhotoId: photoIdSchema,
  cardPhotoId: photoIdSchema,
  personKey: z.string().min(16).max(128),
  historyKind: z.enum(['booth', 'registered']),
});
export const addHistoryPhotoEffectSchema = z.strictObject({
  type: z.literal('add-history-photo'),
  personKey: z.string().min(16).max(128),
  photoId: photoIdSchema,
  kind: z.enum(['booth', 'registered']),
  capturedAt: isoDate,
});

/** Idempotency keys carry the case id, so they are unique across cases at a remote side that dedupes by key alone. */
export const effectKey = (caseId: string, effect: string): string => `${caseId}:${effect}`;

export const REVIEW_TIMER = 'review-deadline';
