import type { CertificateSummary } from '../certificate-summary.js';

// What the HTML report shows. Ids, statuses, scores, certificate metadata and photos: no basic four, no PIN, no
// My Number, no reception number.

export interface ReportPhoto {
  readonly label: string;
  /** `data:image/png;base64,…` or `data:image/jpeg;base64,…`. */
  readonly dataUri: string;
  /** Similarity to the live photo, when it was compared. */
  readonly score?: number | null;
}

export interface ReportFaceCheck {
  readonly outcome: string;
  readonly rule?: string;
  readonly firedRules: readonly string[];
  readonly scores?: { readonly card: number; readonly history: number | null; readonly delta: number | null };
  readonly thresholds?: { readonly card: number; readonly delta: number; readonly historyCombine: string };
  readonly model?: string;
}

export interface ReportCertificateEvidence {
  readonly type: string;
  readonly serial: string;
  readonly notAfter: string;
  readonly status: string;
  readonly source: string;
  readonly producedAt?: string;
}

export interface ReportBoothCase {
  readonly title: string;
  readonly workflow: 'W1' | 'W2';
  readonly persona: string;
  /** Why this case is in the demo and how its inputs came about. */
  readonly story: string;
  readonly caseId: string;
  readonly status: string;
  readonly photos: readonly ReportPhoto[];
  readonly faceCheck?: ReportFaceCheck;
  readonly certificateCheck?: {
    readonly valid: boolean;
    readonly checkedAt: string;
    readonly certificates: readonly ReportCertificateEvidence[];
  };
  readonly review?: {
    readonly reviewerId: string;
    readonly decision: string;
    readonly reason: string;
    readonly at: string;
  };
  readonly historyJoined?: boolean;
  readonly registrationId?: string | null;
  /** The card's certificates before and after a renewal. */
  readonly certificates?: readonly { readonly label: string; readonly summary: CertificateSummary }[];
  readonly audit: readonly { readonly at: string; readonly type: string }[];
}

export interface ReportOcspEvidence {
  readonly label: string;
  readonly status: string;
  readonly reason?: string;
  readonly revokedAt?: string;
  readonly url: string;
  readonly producedAt: string;
  readonly thisUpdate: string;
  readonly nextUpdate: string | null;
  readonly responder: string;
  readonly signer: string;
  readonly certIdHash: string;
  readonly nonceChecked: boolean;
  readonly rawResponseSha256: string;
  readonly rawResponseBytes: number;
}

export interface ReportW3 {
  readonly persona: string;
  readonly application: string;
  readonly receptionNumberDigits: number;
  readonly phoneAnswer: string;
  readonly kioskOutcome: string;
  readonly document?: {
    readonly mediaType: string;
    readonly bytes: number;
    readonly sha256: string;
    readonly copies: number;
  };
}

export interface ReportRecheck {
  readonly label: string;
  readonly status: string;
  readonly meaning: string;
  readonly reason?: string;
  readonly revokedAt?: string;
  readonly checkedAt: string;
}

/** Filled in step by step while the scenario runs (a failure half-way still reports what happened). */
export interface ReportW4 {
  readonly persona: string;
  readonly customerId: string;
  login?: { readonly authSerial: string; readonly newlyBound: boolean; readonly certificateNotAfter: string };
  identity?: { readonly evidenceId: string; readonly signSerial: string; readonly retainUntil: string };
  certificates: { readonly label: string; readonly summary: CertificateSummary }[];
  readonly rechecks: ReportRecheck[];
  readonly ocsp: ReportOcspEvidence[];
}

export interface ReportData {
  readonly generatedAt: string;
  boothCases: ReportBoothCase[];
  w3?: ReportW3;
  w4?: ReportW4;
}
