import {
  CardError,
  type CardErrorCode,
  hasErrorCode,
  type LockGuardOptions,
  type MyNumberCard,
} from '@mynakit/card';
import { z } from 'zod';
import { toBase64 } from '../checks/base64.js';
import type { CardHolder } from '../checks/person-key.js';
import { updateScriptCommands, updateScriptSchema } from '../w1/update-script.js';
import type { CameraPort } from './camera.js';
import { Emitter } from './emitter.js';
import { pollWaitSecondsOption, waitMsOption } from './poll-options.js';
import type { ServerClient } from './server-client.js';

export type BoothStep =
  | 'reading-card'
  | 'capturing'
  | 'submitting'
  | 'checking'
  | 'held-for-review'
  | 'writing-card'
  | 'confirming'
  | 'completed'
  | 'rejected'
  | 'failed'
  | 'expired';

/** What a booth UI shows. Case ids and status names only: never PINs, card data or photos. */
export interface BoothProgress {
  readonly step: BoothStep;
  readonly caseId?: string;
  readonly status?: string;
}

export type BoothEvents = { progress: BoothProgress };

/**
 * How an application ended, as far as this booth session saw it.
 * - `held-timeout` / `timeout`: no final status within `maxWaitMs` (held for a reviewer, or still being checked);
 *   resume later with the case id.
 * - `card-error`: writing the card failed (typically CARD_REMOVED); when `resumable`, put the card back and call
 *   `resumeRenewal(caseId)`, which relays the script again (the card accepts it again until it is activated).
 */
export type BoothResult =
  | { readonly outcome: 'completed'; readonly caseId: string }
  | {
      readonly outcome: 'rejected';
      readonly caseId: string;
      /** e.g. certificate-invalid, face-no-match, photo-unusable (take another photo), review-rejected. */
      readonly reason: string | null;
      readonly reasonDetail: string | null;
    }
  | {
      readonly outcome: 'failed';
      readonly caseId: string;
      readonly reason: string | null;
      readonly reasonDetail: string | null;
    }
  | { readonly outcome: 'expired'; readonly caseId: string }
  | { readonly outcome: 'held-timeout'; readonly caseId: string }
  | { readonly outcome: 'timeout'; readonly caseId: string; readonly status: string }
  | {
      readonly outcome: 'card-error';
      readonly caseId: string;
      readonly error: CardError;
      readonly resumable: boolean;
    };

export interface BoothApplicationInput {
  /** 券面事項入力補助用暗証番号 (4 digits): opens the basic four. */
  readonly inputSupportPin: string;
  /** 照合番号B (birth date, expiry year, security code): opens the card face and its photo. */
  readonly collationNumberB: string;
  /**
   * 署名用電子証明書暗証番号: the card returns its signing certificate only after it. Without it the application
   * carries `sign: null` (as for a minor's card), so a renewal renews the authentication certificate only.
   */
  readonly signPassword?: string;
  /** Keep it across a booth restart to resubmit the same application (default a fresh UUID). */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export interface BoothClientOptions {
  readonly card: MyNumberCard;
  readonly camera: CameraPort;
  readonly server: ServerClient;
  /** Used for the overall wait deadline (default the system clock). */
  readonly clock?: () => Date;
  /** The lock guard for every PIN and verification number (default: the card layer's floor). */
  readonly lockGuard?: LockGuardOptions;
  /** Seconds per status long-poll (default 25; the server caps it at 30). */
  readonly pollWaitSeconds?: number;
  /** How long `renew`/`register` wait for a final status before returning a timeout result (default 10 min). */
  readonly maxWaitMs?: number;
}

const submittedSchema = z.object({ caseId: z.string().min(1).max(200), status: z.string() });

const caseStatusSchema = z.object({
  caseId: z.string(),
  version: z.number().int().nonnegative(),
  status: z.string(),
  final: z.boolean().optional(),
  reason: z.string().nullish(),
  /** A code that explains the reason, e.g. CERTIFICATE_REVOKED or the live photo's quality failures. */
  reasonDetail: z.string().nullish(),
  updateScript: updateScriptSchema.nullish(),
});
type CaseStatus = z.infer<typeof caseStatusSchema>;

const answersAcceptedSchema = z.object({ status: z.string() });

type Workflow = 'w1' | 'w2';
const COLLECTION: Record<Workflow, string> = { w1: '/w1/renewals', w2: '/w2/registrations' };

/** Card errors after which the same script can be relayed again once the card is back. */
const RESUMABLE: readonly CardErrorCode[] = [
  'CARD_REMOVED',
  'NO_CARD',
  'TRANSPORT_CLOSED',
  'TIMEOUT',
  'READER_UNAVAILABLE',
  'SHARING_VIOLATION',
  'PCSC_ERROR',
];

/**
 * The photo booth (W1 renewal, W2 photo registration): reads the card, takes the photo, submits the application,
 * follows the case by long-polling and, for a renewal, relays J-LIS's update script to the card.
 */
export class BoothClient extends Emitter<BoothEvents> {
  private readonly card: MyNumberCard;
  private readonly camera: CameraPort;
  private readonly server: ServerClient;
  private readonly clock: () => Date;
  private readonly lockGuard: LockGuardOptions | undefined;
  private readonly pollWaitSeconds: number;
  private readonly maxWaitMs: number;

  constructor(options: BoothClientOptions) {
    super();
    this.card = options.card;
    this.camera = options.camera;
    this.server = options.server;
    this.clock = options.clock ?? (() => new Date());
    this.lockGuard = options.lockGuard;
    this.pollWaitSeconds = pollWaitSecondsOption(options.pollWaitSeconds);
    this.maxWaitMs = waitMsOption(options.maxWaitMs, 10 * 60_000);
  }

  /** W1: renew the card's certificates. */
  renew(input: BoothApplicationInput): Promise<BoothResult> {
    return this.apply('w1', input);
  }

  /** W2: register a verified photo of the card holder. */
  register(input: BoothApplicationInput): Promise<BoothResult> {
    return this.apply('w2', input);
  }

  /** Follow a renewal again (after a card error or a timeout); an awaiting script is relayed again. */
  resumeRenewal(caseId: string, options: { signal?: AbortSignal } = {}): Promise<BoothResult> {
    return this.follow('w1', caseId, options.signal);
  }

  /** Follow a registration again (after a timeout). */
  resumeRegistration(caseId: string, options: { signal?: AbortSignal } = {}): Promise<BoothResult> {
    return this.follow('w2', caseId, options.signal);
  }

  private async apply(workflow: Workflow, input: BoothApplicationInput): Promise<BoothResult> {
    this.lastProgress = undefined;
    this.progress({ step: 'reading-card' });
    const fromCard = await this.readCard(input);
    this.progress({ step: 'capturing' });
    const photo = await this.camera.capture();
    this.progress({ step: 'submitting' });
    const body = {
      certificates: {
        auth: toBase64(fromCard.auth),
        sign: fromCard.sign === null ? null : toBase64(fromCard.sign),
      },
      holder: fromCard.holder,
      cardPhoto: toBase64(fromCard.cardPhoto),
      livePhoto: toBase64(photo.bytes),
      livePhotoType: photo.mediaType,
      capturedAt: photo.capturedAt.toISOString(),
    };
    const submitted = await this.server.post(COLLECTION[workflow], body, submittedSchema, {
      idempotencyKey: input.idempotencyKey ?? globalThis.crypto.randomUUID(),
      ...(input.signal && { signal: input.signal }),
    });
    return this.follow(workflow, submitted.caseId, input.signal);
  }

  private async readCard(input: BoothApplicationInput): Promise<{
    auth: Uint8Array;
    sign: Uint8Array | null;
    holder: CardHolder;
    cardPhoto: Uint8Array;
  }> {
    const guard = this.lockGuard;
    await this.card.inputSupport.verifyPin(input.inputSupportPin, guard);
    const basic = await this.card.inputSupport.readBasicFour();
    await this.card.cardSurface.verifyNumberB(input.collationNumberB, guard);
    const cardPhoto = (await this.card.cardSurface.readFront()).facePhoto;
    const auth = await this.card.jpki.readCertificate('auth');
    let sign: Uint8Array | null = null;
    if (input.signPassword !== undefined) {
      await this.card.jpki.verifySignPassword(input.signPassword, guard);
      try {
        sign = await this.card.jpki.readCertificate('sign');
      } catch (error) {
        if (!hasErrorCode(error, 'FILE_NOT_FOUND')) throw error;
      }
    }
    const holder: CardHolder = {
      name: basic.name,
      address: basic.address,
      birthDate: basic.birthDate,
      sex: basic.sex,
    };
    return { auth, sign, holder, cardPhoto };
  }

  private async follow(workflow: Workflow, caseId: string, signal?: AbortSignal): Promise<BoothResult> {
    this.lastProgress = undefined;
    const deadline = this.clock().getTime() + this.maxWaitMs;
    const path = `${COLLECTION[workflow]}/${encodeURIComponent(caseId)}`;
    let since: number | undefined;
    let answeredScriptId: string | null = null;
    for (;;) {
      const query = new URLSearchParams({ wait: String(this.pollWaitSeconds) });
      if (since !== undefined) query.set('since', String(since));
      const current: CaseStatus = await this.server.get(`${path}?${query}`, caseStatusSchema, {
        timeoutMs: (this.pollWaitSeconds + 10) * 1000,
        ...(signal && { signal }),
      });
      since = current.version;
      const why = { reason: current.reason ?? null, reasonDetail: current.reasonDetail ?? null };
      const at = { caseId, status: current.status };
      switch (current.status) {
        case 'completed':
          this.progress({ step: 'completed', ...at });
          return { outcome: 'completed', caseId };
        case 'rejected':
          this.progress({ step: 'rejected', ...at });
          return { outcome: 'rejected', caseId, ...why };
        case 'failed':
          this.progress({ step: 'failed', ...at });
          return { outcome: 'failed', caseId, ...why };
        case 'expired':
          this.progress({ step: 'expired', ...at });
          return { outcome: 'expired', caseId };
        case 'held':
          this.progress({ step: 'held-for-review', ...at });
          break;
        case 'confirming':
          this.progress({ step: 'confirming', ...at });
          break;
        case 'awaiting-card': {
          const script = current.updateScript;
          if (workflow !== 'w1' || !script || script.scriptId === answeredScriptId) break;
          this.progress({ step: 'writing-card', ...at });
          let answers: Awaited<ReturnType<MyNumberCard['relayUpdateScript']>>;
          try {
            answers = await this.card.relayUpdateScript({ commands: updateScriptCommands(script) });
          } catch (error) {
            if (!(error instanceof CardError)) throw error;
            return { outcome: 'card-error', caseId, error, resumable: RESUMABLE.includes(error.code) };
          }
          this.progress({ step: 'confirming', ...at });
          await this.server.post(
            `${path}/card-answers`,
            {
              scriptId: script.scriptId,
              answers: answers.map((a) => ({ sw: a.sw, data: toBase64(a.data) })),
            },
            answersAcceptedSchema,
            { idempotencyKey: globalThis.crypto.randomUUID(), ...(signal && { signal }) },
          );
          answeredScriptId = script.scriptId;
          break;
        }
        default:
          // A status this client does not know that the server calls final: report it as a failure.
          if (current.final === true) {
            this.progress({ step: 'failed', ...at });
            return { outcome: 'failed', caseId, ...why };
          }
          this.progress({ step: 'checking', ...at });
      }
      if (this.clock().getTime() >= deadline) {
        return current.status === 'held'
          ? { outcome: 'held-timeout', caseId }
          : { outcome: 'timeout', caseId, status: current.status };
      }
    }
  }

  private lastProgress: string | undefined;

  /** Reports a step once per change: long-polls that return the same step (or a status within it) do not repeat it. */
  private progress(event: BoothProgress): void {
    const key = `${event.step}|${event.caseId ?? ''}`;
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.emit('progress', event);
  }
}
