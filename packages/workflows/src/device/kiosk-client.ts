import { z } from 'zod';
import { fromBase64 } from '../checks/base64.js';
import { Emitter } from './emitter.js';
import { isDeviceClientError } from './errors.js';
import { pollWaitSecondsOption, waitMsOption } from './poll-options.js';
import type { ServerClient } from './server-client.js';

/** A print job as the issuance server hands it to the kiosk that presented the number. */
export interface KioskJob {
  readonly jobId: string;
  readonly certificateKind: string;
  readonly copies: number;
  /** The document's media type, when the server names it. */
  readonly mediaType?: string;
  /** The certificate document to print (bytes from the issuance server). */
  readonly document: Uint8Array;
}

/** The kiosk's printer. Resolve once the printout is out; throw and the job is not acknowledged. */
export interface PrinterPort {
  print(job: KioskJob): Promise<void>;
}

export type KioskStep =
  | 'presented'
  | 'waiting-for-phone'
  | 'printing'
  | 'printed'
  | 'declined'
  | 'not-available'
  | 'rate-limited'
  | 'no-answer'
  | 'timeout';

/** No reception number, document or certificate content: the kiosk's screen shows steps only. */
export interface KioskProgress {
  readonly step: KioskStep;
  readonly jobId?: string;
  readonly retryAfterSeconds?: number;
}

export type KioskEvents = { progress: KioskProgress };

/**
 * - `not-available`: the number cannot be used (wrong, expired, used, or the phone's answer window passed); the
 *   server does not say which.
 * - `no-answer`: the phone did not answer within the server's confirmation window; present the number again.
 * - `timeout`: no job within this kiosk's own `timeoutMs`.
 */
export type KioskResult =
  | { readonly outcome: 'printed'; readonly jobId: string }
  | { readonly outcome: 'declined' }
  | { readonly outcome: 'no-answer' }
  | { readonly outcome: 'not-available' }
  | { readonly outcome: 'rate-limited'; readonly retryAfterSeconds: number | null }
  | { readonly outcome: 'timeout' };

export interface KioskClientOptions {
  readonly server: ServerClient;
  readonly printer: PrinterPort;
  /** Seconds per wait long-poll (default 25; the server caps it at 30). */
  readonly pollWaitSeconds?: number;
  /** How long `collect` waits for the phone's answer (default 5 min). */
  readonly timeoutMs?: number;
  readonly clock?: () => Date;
}

const presentedSchema = z.object({ status: z.string() });
const waitSchema = z.object({
  job: z
    .object({
      jobId: z.string().min(1).max(200),
      certificateKind: z.string(),
      copies: z.number().int().positive(),
      mediaType: z.string().optional(),
      document: z.base64(),
    })
    .nullable(),
  /** The case's status: why no job came (declined, awaiting-kiosk when the phone did not answer, …). */
  status: z.string().optional(),
});
const printedSchema = z.object({}).loose();
/** Statuses in which the job is still to come: the phone has not answered yet, or the document is being prepared. */
const KEEP_WAITING: readonly string[] = ['confirmation-requested', 'printing'];

/** The convenience-store kiosk's side of W3.4–5: present the number, wait for the phone's "print", print, acknowledge. */
export class KioskClient extends Emitter<KioskEvents> {
  private readonly server: ServerClient;
  private readonly printer: PrinterPort;
  private readonly pollWaitSeconds: number;
  private readonly timeoutMs: number;
  private readonly clock: () => Date;

  constructor(options: KioskClientOptions) {
    super();
    this.server = options.server;
    this.printer = options.printer;
    this.pollWaitSeconds = pollWaitSecondsOption(options.pollWaitSeconds);
    this.timeoutMs = waitMsOption(options.timeoutMs, 5 * 60_000);
    this.clock = options.clock ?? (() => new Date());
  }

  async collect(receptionNumber: string, options: { signal?: AbortSignal } = {}): Promise<KioskResult> {
    const signal = options.signal;
    try {
      // Never resent: each presentation costs a rate-limit token and asks the phone again.
      await this.server.post('/w3/kiosk/present', { receptionNumber }, presentedSchema, {
        retry: false,
        ...(signal && { signal }),
      });
    } catch (error) {
      if (isDeviceClientError(error, 'NOT_AVAILABLE')) return this.end({ outcome: 'not-available' });
      if (isDeviceClientError(error, 'RATE_LIMITED')) {
        const retryAfterSeconds = error.retryAfterSeconds ?? null;
        this.emit('progress', {
          step: 'rate-limited',
          ...(retryAfterSeconds !== null && { retryAfterSeconds }),
        });
        return { outcome: 'rate-limited', retryAfterSeconds };
      }
      throw error;
    }
    this.emit('progress', { step: 'presented' });
    this.emit('progress', { step: 'waiting-for-phone' });

    const deadline = this.clock().getTime() + this.timeoutMs;
    for (;;) {
      let answer: z.infer<typeof waitSchema>;
      try {
        answer = await this.server.post(
          '/w3/kiosk/wait',
          { receptionNumber, wait: this.pollWaitSeconds },
          waitSchema,
          { retry: true, timeoutMs: (this.pollWaitSeconds + 10) * 1000, ...(signal && { signal }) },
        );
      } catch (error) {
        if (isDeviceClientError(error, 'NOT_AVAILABLE')) return this.end({ outcome: 'not-available' });
        throw error;
      }
      if (answer.job !== null) {
        const job: KioskJob = { ...answer.job, document: fromBase64(answer.job.document) };
        this.emit('progress', { step: 'printing', jobId: job.jobId });
        await this.printer.print(job);
        // The server dedupes by job id, so a resent acknowledgement is harmless.
        await this.server.post('/w3/kiosk/printed', { jobId: job.jobId }, printedSchema, {
          idempotencyKey: job.jobId,
          ...(signal && { signal }),
        });
        this.emit('progress', { step: 'printed', jobId: job.jobId });
        return { outcome: 'printed', jobId: job.jobId };
      }
      if (answer.status === 'declined') return this.end({ outcome: 'declined' });
      if (answer.status === 'awaiting-kiosk') return this.end({ outcome: 'no-answer' });
      if (answer.status !== undefined && !KEEP_WAITING.includes(answer.status)) {
        return this.end({ outcome: 'not-available' });
      }
      if (this.clock().getTime() >= deadline) return this.end({ outcome: 'timeout' });
    }
  }

  private end(result: Exclude<KioskResult, { outcome: 'printed' | 'rate-limited' }>): KioskResult {
    this.emit('progress', { step: result.outcome });
    return result;
  }
}
