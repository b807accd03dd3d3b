import { z } from 'zod';
import {
  type BoothApplicationInput,
  type BoothCaseServiceOptions,
  boothApplicationSchema,
  loadOwnCase,
  openCertificates,
  startBoothCase,
} from '../checks/booth-application.js';
import {
  addHistoryPhotoHandler,
  checkCertificateHandler,
  compareFacesHandler,
} from '../checks/booth-effects.js';
import { CaseServiceError } from '../checks/errors.js';
import { loadOrWait } from '../checks/long-poll.js';
import type { CertificateCheckPort, FaceCheckPort } from '../checks/ports.js';
import { type BoothCaseView, boothCaseView } from '../checks/status-view.js';
import type { EffectHandlersFor } from '../engine/runtime.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import type { Keyring } from '../privacy/sealed-box.js';
import type { HistoryPhotoIndex } from '../stores/history-photo-index.js';
import type { RenewalPort } from './ports.js';
import { cardAnswerSchema, type UpdateScript, updateScriptSchema } from './update-script.js';
import { renewalWorkflow, type W1Effect, type W1Status, w1StateSchema } from './w1-workflow.js';

/** `POST /w1/renewals/{caseId}/card-answers` body. */
export const cardAnswersRequestSchema = z.strictObject({
  scriptId: updateScriptSchema.shape.scriptId,
  answers: z.array(cardAnswerSchema).min(1).max(0xffff),
});
export type CardAnswersRequest = z.infer<typeof cardAnswersRequestSchema>;

/** What the booth sees of its case: no personal data, the update script while the card is awaited. */
export interface W1StatusView extends BoothCaseView<W1Status> {
  /** In `awaiting-card`: the renewal data to relay to the card (W1.8). */
  readonly updateScript?: UpdateScript;
}

export interface RenewalServiceOptions extends BoothCaseServiceOptions {
  /** How long the booth has to post the card's answers after the script is ready (default 30 min). */
  readonly boothTimeoutMs?: number;
}

const DAY_MS = 24 * 60 * 60_000;

/** The booth-facing side of W1. The booth id is the authenticated caller, never taken from a body. */
export class RenewalService {
  private readonly options: RenewalServiceOptions;
  private readonly clock: () => Date;

  constructor(options: RenewalServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? (() => new Date());
  }

  /** W1.1: the renewal application. The same (booth, Idempotency-Key) gives the same case. */
  async apply(
    boothId: string,
    idempotencyKey: string,
    request: BoothApplicationInput,
  ): Promise<W1StatusView> {
    const { runtime, photos, keyring, pepper } = this.options;
    const boothTimeoutMs = this.options.boothTimeoutMs ?? 30 * 60_000;
    const snapshot = await startBoothCase(
      { runtime, photos, keyring, pepper, clock: this.clock },
      {
        workflow: renewalWorkflow.name,
        prefix: 'w1',
        boothId,
        idempotencyKey,
        request: boothApplicationSchema.parse(request),
        reviewTimeoutMs: this.options.reviewTimeoutMs ?? 7 * DAY_MS,
        extra: (common) => ({ ...common, boothTimeoutMs }),
      },
    );
    return view(snapshot);
  }

  /**
   * The booth's view of its case. With `waitMs`, waits (polling the store) until the version exceeds `since`.
   * Another booth's case is CASE_NOT_FOUND.
   */
  async status(
    boothId: string,
    caseId: string,
    options: { since?: number; waitMs?: number } = {},
  ): Promise<W1StatusView> {
    const load = () => loadOwnCase(this.options.runtime, renewalWorkflow.name, caseId, boothId);
    return view(await loadOrWait(load, options));
  }

  /** W1.8: the card's answers to the update script. A retry after success answers with the current status. */
  async submitCardAnswers(
    boothId: string,
    caseId: string,
    request: CardAnswersRequest,
  ): Promise<W1StatusView> {
    const { scriptId, answers } = cardAnswersRequestSchema.parse(request);
    const snapshot = await loadOwnCase(this.options.runtime, renewalWorkflow.name, caseId, boothId);
    const state = w1StateSchema.parse(snapshot.state);
    if (state.updateScript === undefined) {
      throw new CaseServiceError('WRONG_STATE', 'the case does not wait for card answers', {
        details: { caseId, status: state.status },
      });
    }
    if (state.updateScript.scriptId !== scriptId) {
      throw new CaseServiceError('SCRIPT_MISMATCH', 'the answers are for another update script', {
        details: { caseId },
      });
    }
    if (state.status !== 'awaiting-card') {
      // Answered before (a retried POST) or past the deadline: report where the case stands.
      if (state.status === 'expired') {
        throw new CaseServiceError('WRONG_STATE', 'the case no longer waits for card answers', {
          details: { caseId, status: state.status },
        });
      }
      return view(snapshot);
    }
    const result = await this.options.runtime.dispatch(caseId, { type: 'card-answered', scriptId, answers });
    const after = view(result);
    if (after.status === 'expired') {
      throw new CaseServiceError('WRONG_STATE', 'the case no longer waits for card answers', {
        details: { caseId, status: after.status },
      });
    }
    return after;
  }
}

function view(snapshot: { caseId: string; version: number; state: unknown; final: boolean }): W1StatusView {
  const state = w1StateSchema.parse(snapshot.state);
  return {
    ...boothCaseView(snapshot, state),
    ...(state.status === 'awaiting-card' &&
      state.updateScript !== undefined && { updateScript: state.updateScript }),
  };
}

export interface W1EffectPorts {
  readonly certificateCheck: CertificateCheckPort;
  readonly faceCheck: FaceCheckPort;
  readonly renewal: RenewalPort;
  readonly photos: PhotoStore;
  readonly history: HistoryPhotoIndex;
  /** Opens the sealed certificates for the J-LIS calls. */
  readonly keyring: Keyring;
  /** How many of the newest history photos the face check uses (default 5). */
  readonly maxHistoryPhotos?: number;
}

/**
 * Effect handlers wiring the W1 effects to the ports. Each passes the outbox idempotency key (unique across cases)
 * on, so a re-run after a crash renews once at J-LIS; each result goes back into the case as an event.
 */
export function w1EffectHandlers(ports: W1EffectPorts): EffectHandlersFor<W1Effect> {
  return {
    'check-certificate': checkCertificateHandler(renewalWorkflow.name, ports),
    'compare-faces': compareFacesHandler(ports),
    'request-renewal': async (effect, { caseId, idempotencyKey }) => {
      const certificates = await openCertificates(
        ports.keyring,
        renewalWorkflow.name,
        caseId,
        effect.certificatesSealed,
      );
      const script = updateScriptSchema.parse(
        await ports.renewal.requestRenewal({ certificates, idempotencyKey }),
      );
      return { result: { scriptId: script.scriptId }, event: { type: 'renewal-received', script } };
    },
    'confirm-renewal': async (effect, { idempotencyKey }) => {
      const answer = await ports.renewal.confirmRenewal({
        scriptId: effect.scriptId,
        answers: effect.answers,
        idempotencyKey,
      });
      const confirmation = answer.activated
        ? { activated: true as const, revoked: [...answer.revoked] }
        : { activated: false as const, reason: answer.reason };
      return {
        result: { activated: answer.activated },
        event: { type: 'renewal-confirmed', confirmation },
      };
    },
    'add-history-photo': addHistoryPhotoHandler(ports.history),
  };
}
