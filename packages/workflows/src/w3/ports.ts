import type { ApplicantEvidence, CertificateApplication } from './w3-workflow.js';

/**
 * The outside world of W3, as the issuance server sees it. Remote sides must dedupe by `idempotencyKey`: the outbox
 * runs an effect at least once (again after a crash), and the key makes the second run a no-op (one notification,
 * one document, one print).
 */

/** A challenge for the card's user-authentication key (W3.1). */
export interface ApplicantChallenge {
  readonly challengeId: string;
  /** The exact bytes the card signs. */
  readonly challenge: Uint8Array;
  readonly expiresAt: Date;
}

/** The device's answer: the card's auth certificate and its signature over the challenge. */
export interface ApplicantAuthResponse {
  readonly challengeId: string;
  /** DER user-authentication certificate read from the card. */
  readonly certificate: Uint8Array;
  /** PKCS#1 v1.5 signature over the challenge bytes. */
  readonly signature: Uint8Array;
  readonly hash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/**
 * W3.1: authenticates the applicant with the card certificate. `authenticate` redeems the single-use challenge,
 * verifies the signature against the certificate, validates the chain and checks revocation, failing closed; it
 * throws a `JpkiError` (SIGNATURE_INVALID, CERTIFICATE_REVOKED, REVOCATION_UNDETERMINED, CHALLENGE_INVALID, …)
 * on any failure and returns the evidence only on success.
 */
export interface ApplicantAuthenticator {
  challenge(): Promise<ApplicantChallenge>;
  authenticate(response: ApplicantAuthResponse): Promise<ApplicantEvidence>;
}

/** A print confirmation request to the device that applied (push notification, relay, …). */
export interface PrintConfirmationRequest {
  readonly deviceId: string;
  /**
   * The case id. The device can recompute it from the number it keeps (see `w3CaseId`), so the request names the
   * application without the number travelling again.
   */
  readonly caseId: string;
  readonly kioskId: string;
  readonly certificateKind: string;
  readonly copies: number;
  /** ISO date-time after which the answer no longer counts. */
  readonly answerBy: string;
  readonly idempotencyKey: string;
}

/**
 * Push towards the device (W3.5). Optional: a device can always long-poll `POST /w3/device/wait`, which reads the
 * case itself; a push only makes the phone ask sooner.
 */
export interface DeviceNotifier {
  requestPrintConfirmation(request: PrintConfirmationRequest): Promise<void>;
}

/** An issued certificate document (住民票の写し, …) as the issuance server renders it for printing. */
export interface IssuedDocument {
  readonly documentId: string;
  readonly mediaType: string;
  readonly document: Uint8Array;
}

/**
 * The certificate issuance server (証明書交付サーバ) that renders the document for an application. Dedupes by
 * `idempotencyKey`: the same key returns the same document and issues once.
 */
export interface CertificateDocumentPort {
  issue(input: {
    caseId: string;
    application: CertificateApplication;
    idempotencyKey: string;
  }): Promise<IssuedDocument>;
}
