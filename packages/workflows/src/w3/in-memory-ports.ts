import type { Mailbox } from '../stores/mailbox.js';
import type {
  CertificateDocumentPort,
  DeviceNotifier,
  IssuedDocument,
  PrintConfirmationRequest,
} from './ports.js';
import { deviceRecipient } from './print-job.js';
import type { CertificateApplication } from './w3-workflow.js';

/** In-memory DeviceNotifier for tests and demos: a push service that dedupes by idempotency key, as the W3 ports require. */
export class InMemoryDeviceNotifier implements DeviceNotifier {
  readonly delivered = new Map<string, PrintConfirmationRequest>();
  calls = 0;

  async requestPrintConfirmation(request: PrintConfirmationRequest): Promise<void> {
    this.calls++;
    const key = `${request.caseId}/${request.idempotencyKey}`;
    if (!this.delivered.has(key)) this.delivered.set(key, request);
  }

  requests(): PrintConfirmationRequest[] {
    return [...this.delivered.values()];
  }
}

/**
 * Puts each confirmation request into the device's mailbox (`device:<deviceId>`), once per request: a push relay
 * (APNs/FCM sender) in any process reads and acks them. The case stays the source of truth for `/w3/device/wait`.
 */
export class MailboxDeviceNotifier implements DeviceNotifier {
  constructor(
    private readonly mailbox: Mailbox,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async requestPrintConfirmation(request: PrintConfirmationRequest): Promise<void> {
    await this.mailbox.put(
      deviceRecipient(request.deviceId),
      `${request.caseId}/${request.idempotencyKey}`,
      { ...request },
      this.clock(),
    );
  }
}

/**
 * In-memory certificate issuance server for tests and demos: renders a small text document per application, dedupes
 * by idempotency key, and counts calls and documents actually issued.
 */
export class InMemoryCertificateDocuments implements CertificateDocumentPort {
  readonly issued = new Map<
    string,
    IssuedDocument & { caseId: string; application: CertificateApplication }
  >();
  calls = 0;

  async issue(input: {
    caseId: string;
    application: CertificateApplication;
    idempotencyKey: string;
  }): Promise<IssuedDocument> {
    this.calls++;
    let document = this.issued.get(input.idempotencyKey);
    if (document === undefined) {
      document = {
        documentId: `doc-${this.issued.size + 1}`,
        mediaType: 'application/pdf',
        document: new TextEncoder().encode(
          `%PDF-1.7 ${input.application.certificateKind} x${input.application.copies}`,
        ),
        caseId: input.caseId,
        application: input.application,
      };
      this.issued.set(input.idempotencyKey, document);
    }
    return { documentId: document.documentId, mediaType: document.mediaType, document: document.document };
  }
}
