// The browser-safe entry: the workflow definition is pure and must not pull sharp into the main entry.
import { shouldJoinHistory } from '@mynakit/face/browser';
import { z } from 'zod';
import {
  addHistoryPhotoEffectSchema,
  boothCaseInputSchema,
  boothCaseStateFields,
  certificateCheckedEventSchema,
  checkCertificateEffectSchema,
  compareFacesEffectSchema,
  effectKey,
  facesComparedEventSchema,
  reviewDecidedEventSchema,
  reviewTimeoutEventSchema,
} from '../checks/booth-case.js';
import { addHistoryPhotoEffect, decideCheckStep, moved, startCheckStep } from '../checks/check-steps.js';
import type { Decision, WorkflowDefinition } from '../engine/workflow.js';
import { cardAnswerSchema, updateScriptSchema } from './update-script.js';

/**
 * W1 (証明書更新) on the operator's server: one case per renewal application from a photo booth.
 *
 *   received ─certificate-checked─▶ face-checking ─faces-compared─▶ renewal-requested ─renewal-received─▶ awaiting-card
 *      │ invalid                      │ no-match/unusable  │ hold                                           │ card-answered
 *      ▼                              ▼                    ▼                                                ▼
 *   rejected                       rejected              held ─review-decided(approve)─▶ renewal-requested  confirming
 *                                                          │ reject → rejected, review-timeout → expired      │ renewal-confirmed
 *                                                                                                  completed / failed
 *
 * W1.4: the renewal is requested only from `face-checking` with a match or from `held` with a reviewer's approval,
 * and `face-checking` is only reached with a valid certificate. `awaiting-card` expires when the booth does not come
 * back with the card's answers (the old certificates stay active until J-LIS confirms the activation).
 */

export const w1StatusSchema = z.enum([
  'received',
  'face-checking',
  'held',
  'renewal-requested',
  'awaiting-card',
  'confirming',
  'completed',
  'rejected',
  'failed',
  'expired',
]);
export type W1Status = z.infer<typeof w1StatusSchema>;
export const W1_FINAL_STATUSES: readonly W1Status[] = ['completed', 'rejected', 'failed', 'expired'];

export const w1InputSchema = boothCaseInputSchema.extend({
  /** How long the booth has to relay the update script and post the card's answers (e.g. 30 min). */
  boothTimeoutMs: z.number().int().positive(),
});
export type W1Input = z.infer<typeof w1InputSchema>;

const renewalConfirmationSchema = z.union([
  z.strictObject({ activated: z.literal(true), revoked: z.array(z.string().max(200)).max(10) }),
  z.strictObject({ activated: z.literal(false), reason: z.string().max(200) }),
]);

export const w1StateSchema = z.strictObject({
  ...boothCaseStateFields,
  status: w1StatusSchema,
  boothTimeoutMs: z.number().int().positive(),
  /** The renewal data from J-LIS (W1.4), forwarded to the booth in `awaiting-card`. */
  updateScript: updateScriptSchema.optional(),
  confirmation: renewalConfirmationSchema.optional(),
});
export type W1State = z.infer<typeof w1StateSchema>;

export const w1EventSchema = z.discriminatedUnion('type', [
  certificateCheckedEventSchema,
  facesComparedEventSchema,
  reviewDecidedEventSchema,
  reviewTimeoutEventSchema,
  z.strictObject({ type: z.literal('renewal-received'), script: updateScriptSchema }),
  z.strictObject({
    type: z.literal('card-answered'),
    scriptId: updateScriptSchema.shape.scriptId,
    answers: z.array(cardAnswerSchema).min(1).max(0xffff),
  }),
  z.strictObject({
    type: z.literal('renewal-confirmed'),
    confirmation: renewalConfirmationSchema,
  }),
  z.strictObject({ type: z.literal('card-timeout') }),
]);
export type W1Event = z.infer<typeof w1EventSchema>;

export const w1EffectSchema = z.discriminatedUnion('type', [
  checkCertificateEffectSchema,
  compareFacesEffectSchema,
  z.strictObject({ type: z.literal('request-renewal'), certificatesSealed: z.base64() }),
  z.strictObject({
    type: z.literal('confirm-renewal'),
    scriptId: updateScriptSchema.shape.scriptId,
    answers: z.array(cardAnswerSchema).min(1).max(0xffff),
  }),
  addHistoryPhotoEffectSchema,
]);
export type W1Effect = z.infer<typeof w1EffectSchema>;

export const W1_BOOTH_TIMER = 'booth-deadline';

type W1Decision = Decision<W1State, W1Event, W1Effect>;

export const renewalWorkflow: WorkflowDefinition<W1State, W1Event, W1Effect, W1Input> = {
  name: 'w1-renewal',
  version: 1,
  stateSchema: w1StateSchema,
  eventSchema: w1EventSchema,
  effectSchema: w1EffectSchema,
  initial(rawInput, { now, caseId }): W1Decision {
    return startCheckStep(w1InputSchema.parse(rawInput), now, caseId);
  },
  decide(state, event, { now, caseId }): W1Decision {
    const same: W1Decision = { next: state };
    const checked = decideCheckStep<W1State, W1Event, W1Effect>(state, event, {
      caseId,
      now,
      historyKind: 'booth',
      // W1.4: reached only with a valid certificate and a face match (or a reviewer's approval of a hold).
      accept: (accepted, accepting, evidence) => ({
        next: moved(accepted, 'renewal-requested', accepting, now, {}, evidence),
        effects: [
          {
            idempotencyKey: effectKey(caseId, 'request-renewal'),
            effect: { type: 'request-renewal', certificatesSealed: accepted.certificatesSealed },
          },
        ],
      }),
    });
    if (checked !== undefined) return checked;
    switch (event.type) {
      case 'renewal-received': {
        if (state.status !== 'renewal-requested') return same;
        return {
          next: moved(
            state,
            'awaiting-card',
            event,
            now,
            { updateScript: event.script },
            {
              detail: { scriptId: event.script.scriptId, commands: event.script.commands.length },
            },
          ),
          timers: [
            {
              key: W1_BOOTH_TIMER,
              dueAt: new Date(now.getTime() + state.boothTimeoutMs),
              event: { type: 'card-timeout' },
            },
          ],
        };
      }
      case 'card-answered': {
        if (state.status !== 'awaiting-card' || state.updateScript?.scriptId !== event.scriptId) return same;
        return {
          next: moved(
            state,
            'confirming',
            event,
            now,
            {},
            {
              detail: { scriptId: event.scriptId, answers: event.answers.length },
            },
          ),
          effects: [
            {
              idempotencyKey: effectKey(caseId, 'confirm-renewal'),
              effect: { type: 'confirm-renewal', scriptId: event.scriptId, answers: event.answers },
            },
          ],
          cancelTimers: [W1_BOOTH_TIMER],
        };
      }
      case 'renewal-confirmed': {
        if (state.status !== 'confirming') return same;
        const { confirmation } = event;
        if (!confirmation.activated) {
          return {
            next: moved(
              state,
              'failed',
              event,
              now,
              { confirmation, reason: 'not-activated', reasonDetail: confirmation.reason },
              { detail: { activated: false } },
            ),
          };
        }
        // W1.6 + anti-poisoning: the live photo joins the history only after a confident match or an approval.
        const decision = state.faceCheck?.result.decision;
        const review =
          state.review === undefined ? undefined : { approved: state.review.decision === 'approve' };
        const historyJoined = decision !== undefined && shouldJoinHistory(decision, review);
        return {
          next: moved(
            state,
            'completed',
            event,
            now,
            { confirmation, historyJoined },
            {
              detail: { activated: true, historyJoined },
            },
          ),
          effects: historyJoined ? [addHistoryPhotoEffect(caseId, state, 'booth')] : [],
        };
      }
      case 'card-timeout':
        if (state.status !== 'awaiting-card') return same;
        return { next: moved(state, 'expired', event, now, { reason: 'card-timeout' }) };
      default:
        return same;
    }
  },
  isFinal: (state) => W1_FINAL_STATUSES.includes(state.status),
  label: (state) => state.status,
};
