import type { z } from 'zod';
import type { Decision } from '../engine/workflow.js';
import {
  type BoothCaseInput,
  type boothCaseStateFields,
  type EvidenceEntry,
  effectKey,
  REVIEW_TIMER,
} from './booth-case.js';

// The check phase W1 and W2 share (W1.2–3, W1.6–7, W2.2, W2.5): certificate check → face check → pass, hold for a
// reviewer, or reject. Pure functions used by both workflows' `decide`.

type CommonState = z.infer<z.ZodObject<typeof boothCaseStateFields>> & { status: string };
type CommonEvent =
  | { type: 'certificate-checked'; result: NonNullable<CommonState['certificateCheck']> }
  | ({ type: 'faces-compared' } & NonNullable<CommonState['faceCheck']>)
  | { type: 'review-decided'; reviewerId: string; decision: 'approve' | 'reject'; reason: string }
  | { type: 'review-timeout' };
type Evidence = Omit<EvidenceEntry, 'at' | 'event' | 'from' | 'to'>;

/** The next state with one more evidence line (from → to, the event, what it brought). */
export function moved<S extends CommonState>(
  state: S,
  to: S['status'],
  event: { type: string },
  now: Date,
  patch: Partial<S> = {},
  evidence: Evidence = {},
): S {
  return {
    ...state,
    ...patch,
    status: to,
    evidence: [
      ...state.evidence,
      { at: now.toISOString(), event: event.type, from: state.status, to, ...evidence },
    ],
  };
}

/** A new case (W1.1 / W2.1): `received`, with the certificate check as its first effect. */
export function startCheckStep<I extends BoothCaseInput>(input: I, now: Date, caseId: string) {
  return {
    next: {
      ...input,
      status: 'received' as const,
      appliedAt: now.toISOString(),
      evidence: [{ at: now.toISOString(), event: 'applied', from: 'received', to: 'received' }],
    },
    effects: [
      {
        idempotencyKey: effectKey(caseId, 'check-certificate'),
        effect: { type: 'check-certificate' as const, certificatesSealed: input.certificatesSealed },
      },
    ],
  };
}

/** The effect that makes a completed case's live photo a history photo of the person (W1.6, W2.4). */
export function addHistoryPhotoEffect(caseId: string, state: CommonState, kind: 'booth' | 'registered') {
  return {
    idempotencyKey: effectKey(caseId, 'add-history-photo'),
    effect: {
      type: 'add-history-photo' as const,
      personKey: state.personKey,
      photoId: state.livePhotoId,
      kind,
      capturedAt: state.capturedAt,
    },
  };
}

export interface CheckStepOptions<
  S extends CommonState,
  E extends { type: string },
  F extends { type: string },
> {
  readonly caseId: string;
  readonly now: Date;
  /** Which history photos the face check compares with (W1.6 booth photos, W2.4 registered photos). */
  readonly historyKind: 'booth' | 'registered';
  /** The step after a pass (or a reviewer's approval): the workflow's own mediation (renewal, registration). */
  readonly accept: (state: S, event: E, evidence: Evidence) => Decision<S, E, F>;
}

/**
 * Decides the check-phase events; `undefined` for the workflow's other events. An event that does not fit the
 * current status (a repeated feedback after a crash, a late timer) changes nothing.
 */
export function decideCheckStep<
  S extends CommonState,
  E extends { type: string },
  F extends { type: string },
>(state: S, anyEvent: E, options: CheckStepOptions<S, E, F>): Decision<S, E, F> | undefined {
  const { now, caseId } = options;
  // The workflow's event schema includes these common events (the shared schemas in booth-case.ts); its other
  // events fall through to `default`.
  const event = anyEvent as unknown as CommonEvent;
  const same: Decision<S, E, F> = { next: state };
  const status = state.status as string;
  switch (event.type) {
    case 'certificate-checked': {
      if (status !== 'received') return same;
      const certificateCheck = event.result;
      if (!certificateCheck.valid) {
        return {
          next: moved(
            state,
            'rejected',
            event,
            now,
            {
              certificateCheck,
              reason: 'certificate-invalid',
              ...(certificateCheck.reason !== undefined && { reasonDetail: certificateCheck.reason }),
            } as Partial<S>,
            { certificateCheck },
          ),
        };
      }
      return {
        next: moved(state, 'face-checking', event, now, { certificateCheck } as Partial<S>, {
          certificateCheck,
        }),
        effects: [
          {
            idempotencyKey: effectKey(caseId, 'compare-faces'),
            effect: {
              type: 'compare-faces',
              livePhotoId: state.livePhotoId,
              cardPhotoId: state.cardPhotoId,
              personKey: state.personKey,
              historyKind: options.historyKind,
            } as unknown as F,
          },
        ],
      };
    }
    case 'faces-compared': {
      if (status !== 'face-checking') return same;
      const faceCheck = { result: event.result, historyPhotoIds: event.historyPhotoIds };
      const withFace = { ...state, faceCheck };
      switch (faceCheck.result.outcome) {
        case 'match':
          return options.accept(withFace, anyEvent, { faceCheck });
        case 'hold':
          // W1.7 / W2.5: the similarity-delta hold; a person at the municipality decides.
          return {
            next: moved(state, 'held', event, now, { faceCheck } as Partial<S>, { faceCheck }),
            timers: [
              {
                key: REVIEW_TIMER,
                dueAt: new Date(now.getTime() + state.reviewTimeoutMs),
                event: { type: 'review-timeout' } as unknown as E,
              },
            ],
          };
        case 'no-match':
          return {
            next: moved(state, 'rejected', event, now, { faceCheck, reason: 'face-no-match' } as Partial<S>, {
              faceCheck,
            }),
          };
        case 'unusable':
          return {
            next: moved(
              state,
              'rejected',
              event,
              now,
              {
                faceCheck,
                reason: 'photo-unusable',
                reasonDetail: faceCheck.result.qualityFailures.join(',').slice(0, 200),
              } as Partial<S>,
              { faceCheck },
            ),
          };
      }
      return same;
    }
    case 'review-decided': {
      if (status !== 'held') return same;
      const review = {
        reviewerId: event.reviewerId,
        decision: event.decision,
        reason: event.reason,
        at: now.toISOString(),
      };
      if (event.decision === 'approve') {
        const decision = options.accept({ ...state, review }, anyEvent, { review });
        return { ...decision, cancelTimers: [...(decision.cancelTimers ?? []), REVIEW_TIMER] };
      }
      return {
        next: moved(state, 'rejected', event, now, { review, reason: 'review-rejected' } as Partial<S>, {
          review,
        }),
        cancelTimers: [REVIEW_TIMER],
      };
    }
    case 'review-timeout':
      if (status !== 'held') return same;
      return { next: moved(state, 'expired', event, now, { reason: 'review-timeout' } as Partial<S>) };
    default:
      return undefined;
  }
}
