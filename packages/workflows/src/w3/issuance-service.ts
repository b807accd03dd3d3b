import { z } from 'zod';
import { WorkflowError } from '../engine/errors.js';
import type { EffectHandlersFor, WorkflowRuntime } from '../engine/runtime.js';
import type { RateLimiter } from '../reception/rate-limiter.js';
import {
  generateReceptionNumber,
  parseReceptionNumber,
  type RandomBytes,
  type ReceptionNumber,
} from '../reception/reception-number.js';
import { w3CaseId } from './case-id.js';
import type { DeviceNotifier, KioskPrinter } from './ports.js';
import {
  type CertificateApplicationInput,
  certificateApplicationSchema,
  certificateIssuanceWorkflow,
  type W3Effect,
  type W3State,
  w3ActorIdSchema,
  w3StateSchema,
} from './w3-workflow.js';

export const applyRequestSchema = z.strictObject({
  deviceId: w3ActorIdSchema,
  application: certificateApplicationSchema,
});
export const presentRequestSchema = z.strictObject({
  kioskId: w3ActorIdSchema,
  /** Free text as typed at the kiosk; its form is checked by the service, which answers like for an unknown number. */
  receptionNumber: z.string().max(64),
});
export const confirmRequestSchema = z.strictObject({
  deviceId: w3ActorIdSchema,
  receptionNumber: z.string().max(64),
  decision: z.enum(['print', 'decline']),
});

export interface ApplyResult {
  readonly receptionNumber: ReceptionNumber;
  readonly expiresAt: string;
}

/**
 * The one answer for a number that is malformed, has a wrong check digit, was never issued, has expired, was used,
 * or belongs to another device: an enumerator cannot tell these apart.
 */
export type NotAvailable = { readonly outcome: 'not-available' };

export type PresentResult =
  | { readonly outcome: 'confirmation-requested' }
  | NotAvailable
  | { readonly outcome: 'rate-limited'; readonly retryAfterMs: number };

export type ConfirmResult =
  | { readonly outcome: 'printing' }
  | { readonly outcome: 'declined' }
  | NotAvailable;

export interface IssuanceServiceOptions {
  readonly runtime: WorkflowRuntime;
  /** Used to treat a number as dead the moment it expires, even before the expiry timer has fired. */
  readonly clock?: () => Date;
  /** How long a number is valid after the application (e.g. 24 h). */
  readonly expiryMs: number;
  /** How long the device has to answer a print confirmation request (e.g. 3 min). */
  readonly confirmTimeoutMs: number;
  /** Throttles presentations per kiosk (one token per attempt, valid or not). */
  readonly rateLimiter: RateLimiter;
  /** A secret kept outside the database that turns the case-id digest into an HMAC (see `w3CaseId`). */
  readonly pepper?: Uint8Array;
  /** Random source for reception numbers (default WebCrypto). */
  readonly random?: RandomBytes;
}

const notAvailable: NotAvailable = { outcome: 'not-available' };

/**
 * The issuance server's side of W3. Reception numbers are never stored in clear: the case id is derived from the
 * number (`w3CaseId`), so only a holder of the number can find the case. Every state change goes through the
 * workflow runtime, so it is durable before the caller hears about it.
 */
export class IssuanceService {
  private readonly runtime: WorkflowRuntime;
  private readonly clock: () => Date;
  private readonly expiryMs: number;
  private readonly confirmTimeoutMs: number;
  private readonly rateLimiter: RateLimiter;
  private readonly pepper: Uint8Array | undefined;
  private readonly random: RandomBytes | undefined;

  constructor(options: IssuanceServiceOptions) {
    this.runtime = options.runtime;
    this.clock = options.clock ?? (() => new Date());
    this.expiryMs = z.number().int().positive().parse(options.expiryMs);
    this.confirmTimeoutMs = z.number().int().positive().parse(options.confirmTimeoutMs);
    this.rateLimiter = options.rateLimiter;
    this.pepper = options.pepper;
    this.random = options.random;
  }

  /** W3.2–3: store the application under a fresh reception number and return the number (to the device only). */
  async apply(request: { deviceId: string; application: CertificateApplicationInput }): Promise<ApplyResult> {
    const { deviceId, application } = applyRequestSchema.parse(request);
    // A collision among 10^15 numbers is near impossible; a few retries make it impossible to surface.
    for (let attempt = 0; ; attempt++) {
      const receptionNumber = generateReceptionNumber(this.random);
      const caseId = await this.caseId(receptionNumber);
      try {
        const started = await this.runtime.start(certificateIssuanceWorkflow, caseId, {
          deviceId,
          application,
          expiryMs: this.expiryMs,
          confirmTimeoutMs: this.confirmTimeoutMs,
        });
        return { receptionNumber, expiresAt: (started.state as W3State).expiresAt };
      } catch (error) {
        if (error instanceof WorkflowError && error.code === 'CASE_EXISTS' && attempt < 4) continue;
        throw error;
      }
    }
  }

  /**
   * W3.4–5: a kiosk presents a number; the device that applied is asked to confirm. Rate-limited per kiosk before
   * anything else, and a malformed number is refused before the store is touched.
   */
  async present(request: { kioskId: string; receptionNumber: string }): Promise<PresentResult> {
    const { kioskId, receptionNumber } = presentRequestSchema.parse(request);
    const rate = this.rateLimiter.take(`kiosk:${kioskId}`);
    if (!rate.allowed) return { outcome: 'rate-limited', retryAfterMs: rate.retryAfterMs };
    const found = await this.findCase(receptionNumber);
    if (found === null) return notAvailable;
    if (found.state.status !== 'applied' && found.state.status !== 'awaiting-kiosk') return notAvailable;
    const result = await this.runtime.dispatch(found.caseId, { type: 'kiosk-presented', kioskId });
    const after = w3StateSchema.parse(result.state);
    // Another presentation may have won the race; only ours counts as accepted.
    const ours =
      result.applied &&
      after.status === 'confirmation-requested' &&
      after.kioskId === kioskId &&
      after.presentations === found.state.presentations + 1;
    return ours ? { outcome: 'confirmation-requested' } : notAvailable;
  }

  /** W3.5: the device answers the print confirmation request. Only the device that applied is heard. */
  async confirm(request: {
    deviceId: string;
    receptionNumber: string;
    decision: 'print' | 'decline';
  }): Promise<ConfirmResult> {
    const { deviceId, receptionNumber, decision } = confirmRequestSchema.parse(request);
    const found = await this.findCase(receptionNumber);
    if (found === null) return notAvailable;
    if (found.state.deviceId !== deviceId || found.state.status !== 'confirmation-requested')
      return notAvailable;
    const type = decision === 'print' ? 'device-confirmed' : 'device-declined';
    const result = await this.runtime.dispatch(found.caseId, { type, deviceId });
    const after = w3StateSchema.parse(result.state);
    // The confirmation timer may have fired in between; then the answer came too late.
    if (result.applied && decision === 'print' && after.status === 'printing') return { outcome: 'printing' };
    if (result.applied && decision === 'decline' && after.status === 'declined')
      return { outcome: 'declined' };
    return notAvailable;
  }

  /** The case id for a number this service issued (for the device side and for tests). */
  caseId(receptionNumber: ReceptionNumber): Promise<string> {
    return w3CaseId(receptionNumber, this.pepper);
  }

  /** The live (non-final, not past expiry) case for a typed number, or null for every kind of "no". */
  private async findCase(typed: string): Promise<{ caseId: string; state: W3State } | null> {
    let number: ReceptionNumber;
    try {
      number = parseReceptionNumber(typed);
    } catch (error) {
      if (error instanceof WorkflowError && error.code === 'RECEPTION_NUMBER_INVALID') return null;
      throw error;
    }
    const caseId = await this.caseId(number);
    const snapshot = await this.runtime.getCase(caseId);
    if (snapshot === null || snapshot.workflow !== certificateIssuanceWorkflow.name || snapshot.final)
      return null;
    const state = w3StateSchema.parse(snapshot.state);
    if (this.clock().getTime() >= Date.parse(state.expiresAt)) return null;
    return { caseId, state };
  }
}

/**
 * Effect handlers wiring the W3 effects to the ports. Each passes the outbox idempotency key on, so a re-run after a
 * crash notifies and prints once at the remote side; a finished print feeds `print-succeeded` back into the case.
 */
export function w3EffectHandlers(ports: {
  notifier: DeviceNotifier;
  printer: KioskPrinter;
}): EffectHandlersFor<W3Effect> {
  return {
    'request-print-confirmation': async (effect, { caseId, idempotencyKey }) => {
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
    'send-to-kiosk': async (effect, { caseId, idempotencyKey }) => {
      const { jobId } = await ports.printer.print({
        kioskId: effect.kioskId,
        caseId,
        application: effect.application,
        idempotencyKey,
      });
      return { result: { jobId }, event: { type: 'print-succeeded', kioskId: effect.kioskId } };
    },
  };
}
