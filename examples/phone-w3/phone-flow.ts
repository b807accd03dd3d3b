import type { CertificateApplicationInput } from '@mynakit/workflows';
import type { PhoneClient, PrintRequest } from '@mynakit/workflows/device';

export interface PhoneFlowInput {
  readonly phone: PhoneClient;
  /** 利用者証明用電子証明書暗証番号: checked by the card, never sent to the server. */
  readonly authPin: string;
  readonly application: CertificateApplicationInput;
  /** Shows the reception number to the applicant (they type it at the kiosk). */
  readonly onReceptionNumber: (receptionNumber: string, expiresAt: string) => void;
  /** Asks the applicant whether the kiosk that asks may print (true = print). */
  readonly confirm: (request: PrintRequest) => Promise<boolean>;
  /** How long to wait for a kiosk to present the number (default 10 min). */
  readonly waitMs?: number;
}

export type PhoneFlowResult = 'printing' | 'declined' | 'no-request';

/**
 * W3 on the phone, start to end:
 * 1. the card checks the PIN and signs the server's challenge (W3.1) and the application goes out (W3.2);
 * 2. the server answers with a reception number (W3.3), which the applicant takes to any kiosk;
 * 3. when a kiosk presents it, the server asks this phone (W3.5) and prints only after the applicant says so.
 */
export async function runPhoneFlow(input: PhoneFlowInput): Promise<PhoneFlowResult> {
  const { receptionNumber, expiresAt } = await input.phone.apply({
    authPin: input.authPin,
    application: input.application,
  });
  input.onReceptionNumber(receptionNumber, expiresAt);
  const request = await input.phone.waitForPrintRequest(receptionNumber, {
    timeoutMs: input.waitMs ?? 600_000,
  });
  if (request === null) return 'no-request';
  const print = await input.confirm(request);
  return input.phone.answer(receptionNumber, print ? 'print' : 'decline');
}
