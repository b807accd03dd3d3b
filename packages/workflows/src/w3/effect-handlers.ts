import type { EffectHandlersFor } from '../engine/runtime.js';
import type { Keyring } from '../privacy/sealed-box.js';
import type { Mailbox } from '../stores/mailbox.js';
import type { CertificateDocumentPort, DeviceNotifier } from './ports.js';
import { encodePrintDocument, kioskRecipient, type PrintJobMessage } from './print-job.js';
import type { W3Effect } from './w3-workflow.js';

export interface W3EffectPorts {
  /** The certificate issuance server that renders the document (e.g. `HttpIssuanceServer`). */
  readonly documents: CertificateDocumentPort;
  /** Where print jobs wait for the kiosk (`kiosk:<kioskId>`); the same mailbox the IssuanceService reads. */
  readonly mailbox: Mailbox;
  /** Optional push towards the device; without it the device learns of the request by long-polling. */
  readonly notifier?: DeviceNotifier;
  /** Seals documents at rest in the mailbox; give the IssuanceService the same keyring. */
  readonly keyring?: Keyring;
  readonly clock?: () => Date;
}

/**
 * Effect handlers wiring the W3 effects to the ports. A re-run after a crash passes the same keys on: the issuance
 * server issues one document, and the mailbox keeps one job (idempotent on the job id), so a number prints once.
 * `send-to-kiosk` feeds `print-job-queued` back into the case; the print itself is confirmed by the kiosk.
 */
export function w3EffectHandlers(ports: W3EffectPorts): EffectHandlersFor<W3Effect> {
  const clock = ports.clock ?? (() => new Date());
  return {
    'request-print-confirmation': async (effect, { caseId, idempotencyKey }) => {
      if (ports.notifier === undefined) return { result: { notified: 'long-poll' } };
      await ports.notifier.requestPrintConfirmation({
        deviceId: effect.deviceId,
        caseId,
        kioskId: effect.kioskId,
        certificateKind: effect.certificateKind,
        copies: effect.copies,
        answerBy: effect.answerBy,
        idempotencyKey,
      });
      return { result: { notified: effect.deviceId } };
    },
    'send-to-kiosk': async (effect, { caseId }) => {
      // The job id names the case's one print: unique across cases, so it is also the issuance server's key.
      const issued = await ports.documents.issue({
        caseId,
        application: effect.application,
        idempotencyKey: effect.jobId,
      });
      const message: PrintJobMessage = {
        jobId: effect.jobId,
        caseId,
        certificateKind: effect.application.certificateKind,
        copies: effect.application.copies,
        documentId: issued.documentId,
        mediaType: issued.mediaType,
        ...(await encodePrintDocument(effect.jobId, issued.document, ports.keyring)),
      };
      await ports.mailbox.put(kioskRecipient(effect.kioskId), effect.jobId, message, clock());
      return {
        result: { jobId: effect.jobId, documentId: issued.documentId },
        event: {
          type: 'print-job-queued',
          kioskId: effect.kioskId,
          jobId: effect.jobId,
          documentId: issued.documentId,
          mediaType: issued.mediaType,
        },
      };
    },
  };
}
