import { z } from 'zod';
import { WorkflowError } from '../engine/errors.js';
import type { WorkflowRuntime } from '../engine/runtime.js';
import type { Keyring } from '../privacy/sealed-box.js';
import type { AttemptThrottle } from '../reception/rate-limiter.js';
import {
  generateReceptionNumber,
  parseReceptionNumber,
  type RandomBytes,
  type ReceptionNumber,
} from '../reception/reception-number.js';
import type { Mailbox } from '../stores/mailbox.js';
import { w3CaseId } from './case-id.js';
import type { ApplicantAuthenticator, ApplicantAuthResponse, ApplicantChallenge } from './ports.js';
import { decodePrintDocument, kioskRecipient, printJobMessageSchema } from './print-job.js';
import {
  type CertificateApplicationInput,
  certificateApplicationSchema,
  certificateIssuanceWorkflow,
  W3_FINAL_STATUSES,
  type W3State,
  type W3Status,
  w3ActorIdSchema,
  w3JobIdSchema,
  w3StateSchema,
} from './w3-workflow.js';

/** A number as typed (at a kiosk, on a phone): its form is checked by the service, which answers like for an unknown number. */
const typedNumberSchema = z.string().max(64);
/** Long-poll duration in seconds; longer waits are cut to the service's maximum. */
const waitSecondsSchema = z.number().min(0).max(3600).optional();

/** W3.1 as JSON: the card's auth certificate (DER) and its signature over the challenge, in base64. */
export const applicantAuthSchema = z.strictObject({
  challengeId: z.string().min(1).max(128),
  certificate: z
    .base64()
    .min(4)
    .max(16 * 1024),
  signature: z
    .base64()
    .min(4)
    .max(4 * 1024),
  hash: z.enum(['SHA-256', 'SHA-384', 'SHA-512']).optional(),
});
export type ApplicantAuthJson = z.infer<typeof applicantAuthSchema>;

/** HTTP bodies. Kiosk ids are never in a body: they come from the caller's credentials. */
export const applyRequestSchema = z.strictObject({
  deviceId: w3ActorIdSchema,
  application: certificateApplicationSchema,
  auth: applicantAuthSchema,
});
export const presentRequestSchema = z.strictObject({ receptionNumber: typedNumberSchema });
export const confirmRequestSchema = z.strictObject({
  deviceId: w3ActorIdSchema,
  receptionNumber: typedNumberSchema,
  decision: z.enum(['print', 'decline']),
});
export const deviceWaitRequestSchema = z.strictObject({
  deviceId: w3ActorIdSchema,
  receptionNumber: typedNumberSchema,
  wait: waitSecondsSchema,
});
export const kioskWaitRequestSchema = z.strictObject({
  receptionNumber: typedNumberSchema,
  wait: waitSecondsSchema,
});
export const printedRequestSchema = z.strictObject({ jobId: w3JobIdSchema });

export interface ApplyResult {
  readonly receptionNumber: ReceptionNumber;
  readonly expiresAt: string;
}

/**
 * The one answer for a number that is malformed, has a wrong check digit, was never issued, has expired, was used,
 * or belongs to another device or kiosk: an enumerator cannot tell these apart.
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

/** What the device is asked (W3.5): print this at that kiosk? */
export interface ConfirmationRequestView {
  readonly kioskId: string;
  readonly certificateKind: string;
  readonly copies: number;
  readonly answerBy: string;
}

export type DeviceWaitResult =
  | { readonly outcome: 'found'; readonly status: W3Status; readonly request: ConfirmationRequestView | null }
  | NotAvailable;

/** The print job handed to the kiosk that presented the number. */
export interface KioskPrintJob {
  readonly jobId: string;
  readonly certificateKind: string;
  readonly copies: number;
  readonly mediaType: string;
  readonly document: Uint8Array;
}

export type KioskWaitResult =
  | { readonly outcome: 'found'; readonly status: W3Status; readonly job: KioskPrintJob | null }
  | NotAvailable;

export type PrintedResult = { readonly outcome: 'printed' } | NotAvailable;

export interface IssuanceServiceOptions {
  readonly runtime: WorkflowRuntime;
  /** W3.1: verifies the card signature, chain and revocation before a case starts. */
  readonly authenticator: ApplicantAuthenticator;
  /** Where `send-to-kiosk` put the print jobs (the same mailbox as `w3EffectHandlers`). */
  readonly mailbox: Mailbox;
  /** Opens sealed print jobs (the same keyring as `w3EffectHandlers`). */
  readonly keyring?: Keyring;
  /** Used to treat a number as dead the moment it expires, even before the expiry timer has fired. */
  readonly clock?: () => Date;
  /** How long a number is valid after the application (e.g. 24 h). */
  readonly expiryMs: number;
  /** How long the device has to answer a print confirmation request (e.g. 3 min). */
  readonly confirmTimeoutMs: number;
  /** Throttles presentations per kiosk (one token per attempt, valid or not). */
  readonly rateLimiter: AttemptThrottle;
  /** A secret kept outside the database that turns the case-id digest into an HMAC (see `w3CaseId`). */
  readonly pepper?: Uint8Array;
  /** Random source for reception numbers (default WebCrypto). */
  readonly random?: RandomBytes;
  /** How often a long-poll re-reads the case (default 150 ms). Reading the store makes it work across processes. */
  readonly pollIntervalMs?: number;
  /** Longest long-poll (default 30 s). */
  readonly maxWaitMs?: number;
}

const notAvailable: NotAvailable = { outcome: 'not-available' };
/** Statuses in which a kiosk keeps waiting: the device has not answered, or the job is being prepared. */
const kioskKeepsWaiting: readonly W3Status[] = ['confirmation-requested', 'printing'];

interface FoundCase {
  readonly caseId: string;
  readonly state: W3State;
  /** The status as callers see it: a number past its expiry is expired even before the timer ran. */
  readonly status: W3Status;
}

/**
 * The issuance server's side of W3. Reception numbers are never stored in clear: the case id is derived from the
 * number (`w3CaseId`), so only a holder of the number can find the case. Every state change goes through the
 * workflow runtime, so it is durable before the caller hears about it; long-polls read the store, so any server
 * process can answer them.
 */
export class IssuanceService {
  private readonly runtime: WorkflowRuntime;
  private readonly authenticator: ApplicantAuthenticator;
  private readonly mailbox: Mailbox;
  private readonly keyring: Keyring | undefined;
  private readonly clock: () => Date;
  private readonly expiryMs: number;
  private readonly confirmTimeoutMs: number;
  private readonly rateLimiter: AttemptThrottle;
  private readonly pepper: Uint8Array | undefined;
  private readonly random: RandomBytes | undefined;
  private readonly pollIntervalMs: number;
  private readonly maxWaitMs: number;

  constructor(options: IssuanceServiceOptions) {
    this.runtime = options.runtime;
    this.authenticator = options.authenticator;
    this.mailbox = options.mailbox;
    this.keyring = options.keyring;
    this.clock = options.clock ?? (() => new Date());
    this.expiryMs = z.number().int().positive().parse(options.expiryMs);
    this.confirmTimeoutMs = z.number().int().positive().parse(options.confirmTimeoutMs);
    this.rateLimiter = options.rateLimiter;
    this.pepper = options.pepper;
    this.random = options.random;
    this.pollIntervalMs = z
      .number()
      .int()
      .positive()
      .parse(options.pollIntervalMs ?? 150);
    this.maxWaitMs = z
      .number()
      .int()
      .min(0)
      .parse(options.maxWaitMs ?? 30_000);
  }

  /** W3.1: a single-use challenge for the card's user-authentication key. */
  challenge(): Promise<ApplicantChallenge> {
    return this.authenticator.challenge();
  }

  /**
   * W3.1–3: authenticate the applicant with the card (signature, chain, revocation; throws the authenticator's
   * JpkiError otherwise), then store the application under a fresh reception number and return the number.
   * Nothing is stored for an applicant who fails authentication.
   */
  async apply(request: {
    deviceId: string;
    application: CertificateApplicationInput;
    auth: ApplicantAuthResponse;
  }): Promise<ApplyResult> {
    const deviceId = w3ActorIdSchema.parse(request.deviceId);
    const application = certificateApplicationSchema.parse(request.application);
    const applicant = await this.authenticator.authenticate(request.auth);
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
          applicant,
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
    const kioskId = w3ActorIdSchema.parse(request.kioskId);
    const typed = typedNumberSchema.parse(request.receptionNumber);
    const rate = await this.rateLimiter.take(`kiosk:${kioskId}`);
    if (!rate.allowed) return { outcome: 'rate-limited', retryAfterMs: rate.retryAfterMs };
    const found = await this.findLiveCase(typed);
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
    const found = await this.findLiveCase(receptionNumber);
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

  /**
   * W3.5 notifier, long-poll side: waits up to `waitMs` until the device that applied has a print confirmation
   * request to answer, or the case ended. Only that device sees the case (and its final status).
   */
  async waitForConfirmationRequest(request: {
    deviceId: string;
    receptionNumber: string;
    waitMs?: number;
  }): Promise<DeviceWaitResult> {
    const deviceId = w3ActorIdSchema.parse(request.deviceId);
    const typed = typedNumberSchema.parse(request.receptionNumber);
    return this.poll<DeviceWaitResult>(request.waitMs, async () => {
      const found = await this.findCase(typed);
      if (found === null || found.state.deviceId !== deviceId) return { done: true, value: notAvailable };
      const { state, status } = found;
      const open =
        status === 'confirmation-requested' &&
        state.kioskId !== undefined &&
        state.answerBy !== undefined &&
        this.clock().getTime() < Date.parse(state.answerBy);
      const view: DeviceWaitResult = {
        outcome: 'found',
        status,
        request: open
          ? {
              kioskId: state.kioskId as string,
              certificateKind: state.application.certificateKind,
              copies: state.application.copies,
              answerBy: state.answerBy as string,
            }
          : null,
      };
      return { done: open || W3_FINAL_STATUSES.includes(status), value: view };
    });
  }

  /**
   * W3.5, kiosk side: waits up to `waitMs` for the print job of a number this kiosk presented. Answers at once
   * when the job is ready or the kiosk should stop waiting (declined, expired, printed, or the device did not
   * answer in time: `awaiting-kiosk`). The job is in this kiosk's own mailbox only: no other kiosk gets it.
   */
  async waitForPrintJob(request: {
    kioskId: string;
    receptionNumber: string;
    waitMs?: number;
  }): Promise<KioskWaitResult> {
    const kioskId = w3ActorIdSchema.parse(request.kioskId);
    const typed = typedNumberSchema.parse(request.receptionNumber);
    return this.poll<KioskWaitResult>(request.waitMs, async () => {
      const found = await this.findCase(typed);
      if (found === null || found.state.kioskId !== kioskId) return { done: true, value: notAvailable };
      const job = found.status === 'printing' ? await this.jobFor(kioskId, found.state) : null;
      const value: KioskWaitResult = { outcome: 'found', status: found.status, job };
      return { done: job !== null || !kioskKeepsWaiting.includes(found.status), value };
    });
  }

  /**
   * W3.5: the kiosk reports the printout of a job it was handed: the case becomes `printed` (durably), then the
   * job leaves the mailbox. Repeating the report is harmless; another kiosk's report is refused.
   */
  async printed(request: { kioskId: string; jobId: string }): Promise<PrintedResult> {
    const kioskId = w3ActorIdSchema.parse(request.kioskId);
    const { jobId } = printedRequestSchema.parse({ jobId: request.jobId });
    const caseId = `w3-${jobId.slice('job-'.length)}`;
    const snapshot = await this.runtime.getCase(caseId);
    if (snapshot === null || snapshot.workflow !== certificateIssuanceWorkflow.name) return notAvailable;
    let state = w3StateSchema.parse(snapshot.state);
    if (state.kioskId !== kioskId || state.printJob?.jobId !== jobId) return notAvailable;
    if (state.status === 'printing') {
      const result = await this.runtime.dispatch(caseId, { type: 'print-succeeded', kioskId, jobId });
      state = w3StateSchema.parse(result.state);
    }
    if (state.status !== 'printed') return notAvailable;
    await this.mailbox.ack(kioskRecipient(kioskId), jobId);
    return { outcome: 'printed' };
  }

  /** The case id for a number this service issued (for the device side and for tests). */
  caseId(receptionNumber: ReceptionNumber): Promise<string> {
    return w3CaseId(receptionNumber, this.pepper);
  }

  private async jobFor(kioskId: string, state: W3State): Promise<KioskPrintJob | null> {
    // Handed out only once `print-job-queued` is durable, so the kiosk's ack always finds the job in the case.
    if (state.printJob === undefined) return null;
    const message = await this.mailbox.get(kioskRecipient(kioskId), state.printJob.jobId);
    if (message === null) return null;
    const job = printJobMessageSchema.parse(message.payload);
    return {
      jobId: job.jobId,
      certificateKind: job.certificateKind,
      copies: job.copies,
      mediaType: job.mediaType,
      document: await decodePrintDocument(job, this.keyring),
    };
  }

  /**
   * Re-evaluates `check` every poll interval until it is done or the wait is over; answers its last value. Waiting
   * is wall-clock time (not the injected clock, which decides expiry).
   */
  private async poll<T>(
    waitMs: number | undefined,
    check: () => Promise<{ done: boolean; value: T }>,
  ): Promise<T> {
    const deadline = Date.now() + Math.min(Math.max(waitMs ?? 0, 0), this.maxWaitMs);
    for (;;) {
      const { done, value } = await check();
      if (done || Date.now() >= deadline) return value;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(this.pollIntervalMs, deadline - Date.now())),
      );
    }
  }

  /** The case for a typed number, final ones included, or null when there is none (malformed numbers too). */
  private async findCase(typed: string): Promise<FoundCase | null> {
    let number: ReceptionNumber;
    try {
      number = parseReceptionNumber(typed);
    } catch (error) {
      if (error instanceof WorkflowError && error.code === 'RECEPTION_NUMBER_INVALID') return null;
      throw error;
    }
    const caseId = await this.caseId(number);
    const snapshot = await this.runtime.getCase(caseId);
    if (snapshot === null || snapshot.workflow !== certificateIssuanceWorkflow.name) return null;
    const state = w3StateSchema.parse(snapshot.state);
    const pastExpiry = this.clock().getTime() >= Date.parse(state.expiresAt);
    // A confirmed print finishes past the expiry; everything else is dead at it.
    const status = !snapshot.final && pastExpiry && state.status !== 'printing' ? 'expired' : state.status;
    return { caseId, state, status };
  }

  /** The live (non-final, not past expiry) case for a typed number, or null for every kind of "no". */
  private async findLiveCase(typed: string): Promise<FoundCase | null> {
    const found = await this.findCase(typed);
    if (found === null || W3_FINAL_STATUSES.includes(found.status)) return null;
    return found;
  }
}
