import { z } from 'zod';
import { fromBase64, toBase64 } from '../checks/base64.js';
import { type Keyring, sealContext } from '../privacy/sealed-box.js';
import { W3Error } from './errors.js';
import { w3JobIdSchema } from './w3-workflow.js';

/** The mailbox a kiosk's print jobs wait in. */
export const kioskRecipient = (kioskId: string): string => `kiosk:${kioskId}`;
/** The mailbox push relays read for a device (see `MailboxDeviceNotifier`). */
export const deviceRecipient = (deviceId: string): string => `device:${deviceId}`;

/**
 * A print job as stored in the kiosk's mailbox. The document is a certificate about a person: with a keyring it is
 * sealed at rest (AES-256-GCM, bound to the job id), and it leaves the mailbox when the kiosk acknowledges the print.
 */
export const printJobMessageSchema = z.strictObject({
  jobId: w3JobIdSchema,
  caseId: z.string(),
  certificateKind: z.string(),
  copies: z.number().int().positive(),
  documentId: z.string(),
  mediaType: z.string(),
  sealed: z.boolean(),
  /** base64 of the document, or of its sealed box when `sealed`. */
  document: z.base64(),
});
export type PrintJobMessage = z.infer<typeof printJobMessageSchema>;

const sealedFor = (jobId: string) => sealContext('mynakit/w3/print-job', jobId);

export async function encodePrintDocument(
  jobId: string,
  document: Uint8Array,
  keyring: Keyring | undefined,
): Promise<{ sealed: boolean; document: string }> {
  if (keyring === undefined) return { sealed: false, document: toBase64(document) };
  return { sealed: true, document: toBase64(await keyring.seal(document, sealedFor(jobId))) };
}

export async function decodePrintDocument(
  message: PrintJobMessage,
  keyring: Keyring | undefined,
): Promise<Uint8Array> {
  const stored = fromBase64(message.document);
  if (!message.sealed) return stored;
  if (keyring === undefined) {
    throw new W3Error('PRINT_JOB_UNREADABLE', 'the print job is sealed but no keyring is configured', {
      details: { jobId: message.jobId },
    });
  }
  try {
    return await keyring.open(stored, sealedFor(message.jobId));
  } catch (error) {
    throw new W3Error('PRINT_JOB_UNREADABLE', 'the print job cannot be opened', {
      cause: error,
      details: { jobId: message.jobId },
    });
  }
}
