import type { LockGuardOptions, MyNumberCard } from '@mynakit/card';
import { z } from 'zod';
import { fromBase64, toBase64 } from '../checks/base64.js';
import type { CertificateApplicationInput } from '../w3/w3-workflow.js';
import { pollWaitSecondsOption } from './poll-options.js';
import type { ServerClient } from './server-client.js';

/** The issuance server's request to confirm a print at a kiosk (W3.5). */
export interface PrintRequest {
  readonly kioskId: string;
  readonly certificateKind: string;
  readonly copies: number;
  /** ISO date-time after which an answer no longer counts. */
  readonly answerBy: string;
}

export interface PhoneApplyInput {
  /** 利用者証明用電子証明書暗証番号 (4 digits), checked by the card behind the lock guard. */
  readonly authPin: string;
  readonly application: CertificateApplicationInput;
  readonly signal?: AbortSignal;
}

export interface PhoneClientOptions {
  readonly card: MyNumberCard;
  readonly server: ServerClient;
  /** This phone's id: the server sends the print confirmation request to the device that applied. */
  readonly deviceId: string;
  /** The lock guard for the auth PIN (default: the card layer's floor). */
  readonly lockGuard?: LockGuardOptions;
  /** Seconds per wait long-poll (default 25; the server caps it at 30). */
  readonly pollWaitSeconds?: number;
  readonly clock?: () => Date;
}

const challengeSchema = z.object({
  challengeId: z.string().min(1).max(200),
  challenge: z.base64().min(1),
  expiresAt: z.string(),
});
const appliedSchema = z.object({ receptionNumber: z.string().min(1).max(64), expiresAt: z.string() });
const deviceWaitSchema = z.object({
  status: z.string().optional(),
  request: z
    .object({
      kioskId: z.string(),
      certificateKind: z.string(),
      copies: z.number().int().positive(),
      answerBy: z.string(),
    })
    .nullable(),
});
const W3_ENDED: readonly string[] = ['printed', 'declined', 'expired'];
const confirmedSchema = z.object({ status: z.enum(['printing', 'declined']) });

/**
 * The applicant's phone (W3.1–3, W3.5): verifies the auth PIN on the card, proves the card with a signature over a
 * server challenge, sends the application, then answers the kiosk's print confirmation request.
 */
export class PhoneClient {
  private readonly card: MyNumberCard;
  private readonly server: ServerClient;
  private readonly deviceId: string;
  private readonly lockGuard: LockGuardOptions | undefined;
  private readonly pollWaitSeconds: number;
  private readonly clock: () => Date;

  constructor(options: PhoneClientOptions) {
    this.card = options.card;
    this.server = options.server;
    this.deviceId = options.deviceId;
    this.lockGuard = options.lockGuard;
    this.pollWaitSeconds = pollWaitSecondsOption(options.pollWaitSeconds);
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * W3.1–3: a wrong PIN fails here with the card's WRONG_PIN (or LOCK_GUARD near the lock) and nothing is sent.
   * Resolves with the reception number the applicant takes to a kiosk.
   */
  async apply(input: PhoneApplyInput): Promise<{ receptionNumber: string; expiresAt: string }> {
    const signal = input.signal;
    await this.card.jpki.verifyAuthPin(input.authPin, this.lockGuard);
    const challenge = await this.server.post('/w3/challenge', { deviceId: this.deviceId }, challengeSchema, {
      // A lost answer costs one unused challenge, so asking again is safe.
      retry: true,
      ...(signal && { signal }),
    });
    const signature = await this.card.jpki.sign('auth', fromBase64(challenge.challenge), 'SHA-256');
    const certificate = await this.card.jpki.readCertificate('auth');
    // Resending is safe: the challenge is single-use, so the server cannot start a second case from it.
    return this.server.post(
      '/w3/applications',
      {
        deviceId: this.deviceId,
        application: input.application,
        auth: {
          challengeId: challenge.challengeId,
          certificate: toBase64(certificate),
          signature: toBase64(signature),
        },
      },
      appliedSchema,
      { idempotencyKey: globalThis.crypto.randomUUID(), ...(signal && { signal }) },
    );
  }

  /**
   * W3.5: wait for a kiosk's print confirmation request for this number; null when none came within `timeoutMs` or
   * the case ended. Fails with NOT_AVAILABLE when the server no longer knows the number for this device.
   */
  async waitForPrintRequest(
    receptionNumber: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<PrintRequest | null> {
    const deadline = this.clock().getTime() + (options.timeoutMs ?? 5 * 60_000);
    for (;;) {
      const remaining = deadline - this.clock().getTime();
      const wait = Math.max(0, Math.min(this.pollWaitSeconds, Math.ceil(remaining / 1000)));
      const answer = await this.server.post(
        '/w3/device/wait',
        { deviceId: this.deviceId, receptionNumber, wait },
        deviceWaitSchema,
        { retry: true, timeoutMs: (wait + 10) * 1000, ...(options.signal && { signal: options.signal }) },
      );
      if (answer.request !== null) return answer.request;
      // Printed, declined or expired: no request will come for this number.
      if (answer.status !== undefined && W3_ENDED.includes(answer.status)) return null;
      if (this.clock().getTime() >= deadline) return null;
    }
  }

  /** W3.5: the applicant's answer. Sent once: a second answer would find the case moved on (NOT_AVAILABLE). */
  async answer(
    receptionNumber: string,
    decision: 'print' | 'decline',
    options: { signal?: AbortSignal } = {},
  ): Promise<'printing' | 'declined'> {
    const answer = await this.server.post(
      '/w3/device/confirm',
      { deviceId: this.deviceId, receptionNumber, decision },
      confirmedSchema,
      { retry: false, ...(options.signal && { signal: options.signal }) },
    );
    return answer.status;
  }
}
