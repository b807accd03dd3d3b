import { faceDecisionSchema } from '@mynakit/face/browser';
import { z } from 'zod';

// The checks a booth application goes through on the server (W1.2–3, W1.6–7, W2.2, W2.5), as ports: the workflows
// decide on their results, adapters (`src/adapters/`) do the I/O against J-LIS and the face pool.

/** DER certificates the booth read from the card. `sign` is null for cards without a signing certificate (minors). */
export interface CardCertificates {
  readonly auth: Uint8Array;
  readonly sign: Uint8Array | null;
}

const isoDate = z.iso.datetime();

/** One line of evidence per certificate checked. */
export const certificateEvidenceSchema = z.strictObject({
  type: z.enum(['auth', 'sign']),
  /** Upper-case hex, no separators. */
  serial: z.string(),
  notAfter: isoDate,
  status: z.enum(['good', 'revoked', 'unknown', 'not-checked']),
  source: z.enum(['ocsp', 'crl', 'none']),
  /** When the revocation answer was produced (OCSP producedAt / CRL thisUpdate). */
  producedAt: isoDate.optional(),
});
export type CertificateEvidence = z.infer<typeof certificateEvidenceSchema>;

/** W1.2 / W2.2: is the card's certificate valid — chain, validity period, not revoked. */
export const certificateCheckResultSchema = z.strictObject({
  valid: z.boolean(),
  /** A stable code when not valid, e.g. CERTIFICATE_REVOKED, EXPIRED, UNTRUSTED_ROOT (a JpkiErrorCode). */
  reason: z.string().optional(),
  checkedAt: isoDate,
  certificates: z.array(certificateEvidenceSchema),
});
export type CertificateCheckResult = z.infer<typeof certificateCheckResultSchema>;

export interface CertificateCheckPort {
  /**
   * Resolves with `valid: false` and a reason for a certificate that is revoked, expired or untrusted; rejects only
   * when the answer cannot be determined (J-LIS unreachable), so the outbox retries.
   */
  check(certificates: CardCertificates): Promise<CertificateCheckResult>;
}

/** Photos as bytes: the live photo (JPEG/PNG), the card's chip photo (JPEG 2000), history photos (any of these). */
export interface FaceCheckInput {
  readonly live: Uint8Array;
  readonly card: Uint8Array;
  readonly history: readonly Uint8Array[];
}

/** W1.3, W1.6–7 / W2.2, W2.5. */
export const faceCheckResultSchema = z.strictObject({
  /** `unusable`: the live photo fails a quality gate (no face, several faces, …): the booth should take another. */
  outcome: z.enum(['match', 'no-match', 'hold', 'unusable']),
  /** Quality failure codes of the live photo (`QualityFailureCode` of @mynakit/face); empty when usable. */
  qualityFailures: z.array(z.string()),
  /** The face decision with its scores, thresholds and fired rules; absent when the live photo was unusable. */
  decision: faceDecisionSchema.optional(),
  checkedAt: isoDate,
});
export type FaceCheckResult = z.infer<typeof faceCheckResultSchema>;

export interface FaceCheckPort {
  compare(input: FaceCheckInput): Promise<FaceCheckResult>;
}
