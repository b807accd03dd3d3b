import type { CertificateApplication } from './w3-workflow.js';

/**
 * The outside world of W3, as the issuance server sees it. Both sides must dedupe by `idempotencyKey`: the outbox runs
 * an effect at least once (again after a crash), and the key makes the second run a no-op (one notification, one print).
 */

/** A print confirmation request to the device that applied (push notification, long-poll, …). */
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

export interface DeviceNotifier {
  requestPrintConfirmation(request: PrintConfirmationRequest): Promise<void>;
}

/**
 * A print job for the kiosk that presented the number. The kiosk-side adapter fetches the certificate content from the
 * resident registry for this case; the workflow state itself never holds it.
 */
export interface PrintJob {
  readonly kioskId: string;
  readonly caseId: string;
  readonly application: CertificateApplication;
  readonly idempotencyKey: string;
}

export interface KioskPrinter {
  /** Resolves once the kiosk reports the printout done; throws to have the outbox retry (same key). */
  print(job: PrintJob): Promise<{ readonly jobId: string }>;
}
