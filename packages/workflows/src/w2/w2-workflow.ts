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
  livePhotoTypeSchema,
  reviewDecidedEventSchema,
  reviewTimeoutEventSchema,
} from '../checks/booth-case.js';
import { addHistoryPhotoEffect, decideCheckStep, moved, startCheckStep } from '../checks/check-steps.js';
import type { Decision, WorkflowDefinition } from '../engine/workflow.js';
import { photoIdSchema } from '../privacy/photo-store.js';

/**
 * W2 (画像登録) on the operator's server: one case per registration request from a photo booth.
 *
 *   received ─certificate-checked─▶ face-checking ─faces-compared─▶ registering ─photo-registered─▶ completed
 *      │ invalid                      │ no-match/unusable  │ hold
 *      ▼                              ▼                    ▼
 *   rejected                       rejected              held ─review-decided(approve)─▶ registering
 *                                                          │ reject → rejected, review-timeout → expired
 *
 * W2.3: the photo goes to the administrative server (or stays here, mode `local`) only after both checks passed or a
 * reviewer approved. W2.4: once registered, it becomes a registered photo that later registrations compare with.
 */

export const w2StatusSchema = z.enum([
  'received',
  'face-checking',
  'held',
  'registering',
  'completed',
  'rejected',
  'expired',
]);
export type W2Status = z.infer<typeof w2StatusSchema>;
export const W2_FINAL_STATUSES: readonly W2Status[] = ['completed', 'rejected', 'expired'];

export const w2InputSchema = boothCaseInputSchema;
export type W2Input = z.infer<typeof w2InputSchema>;

export const w2StateSchema = z.strictObject({
  ...boothCaseStateFields,
  status: w2StatusSchema,
  /** The administrative server's id for the registration; null when the photo was kept here (mode `local`). */
  registrationId: z.string().max(200).nullable().optional(),
});
export type W2State = z.infer<typeof w2StateSchema>;

export const w2EventSchema = z.discriminatedUnion('type', [
  certificateCheckedEventSchema,
  facesComparedEventSchema,
  reviewDecidedEventSchema,
  reviewTimeoutEventSchema,
  z.strictObject({ type: z.literal('photo-registered'), registrationId: z.string().max(200).nullable() }),
]);
export type W2Event = z.infer<typeof w2EventSchema>;

export const w2EffectSchema = z.discriminatedUnion('type', [
  checkCertificateEffectSchema,
  compareFacesEffectSchema,
  z.strictObject({
    type: z.literal('register-photo'),
    personKey: z.string().min(16).max(128),
    photoId: photoIdSchema,
    mediaType: livePhotoTypeSchema,
    capturedAt: z.iso.datetime(),
  }),
  addHistoryPhotoEffectSchema,
]);
export type W2Effect = z.infer<typeof w2EffectSchema>;

type W2Decision = Decision<W2State, W2Event, W2Effect>;

export const registrationWorkflow: WorkflowDefinition<W2State, W2Event, W2Effect, W2Input> = {
  name: 'w2-registration',
  version: 1,
  stateSchema: w2StateSchema,
  eventSchema: w2EventSchema,
  effectSchema: w2EffectSchema,
  initial(rawInput, { now, caseId }): W2Decision {
    return startCheckStep(w2InputSchema.parse(rawInput), now, caseId);
  },
  decide(state, event, { now, caseId }): W2Decision {
    const checked = decideCheckStep<W2State, W2Event, W2Effect>(state, event, {
      caseId,
      now,
      // W2.4 / W2.5: later registrations compare with the registered photos.
      historyKind: 'registered',
      accept: (accepted, accepting, evidence) => ({
        next: moved(accepted, 'registering', accepting, now, {}, evidence),
        effects: [
          {
            idempotencyKey: effectKey(caseId, 'register-photo'),
            effect: {
              type: 'register-photo',
              personKey: accepted.personKey,
              photoId: accepted.livePhotoId,
              mediaType: accepted.livePhotoType,
              capturedAt: accepted.capturedAt,
            },
          },
        ],
      }),
    });
    if (checked !== undefined) return checked;
    if (event.type !== 'photo-registered' || state.status !== 'registering') return { next: state };
    // W2.4: after sending, the photo is a registered photo of the person.
    return {
      next: moved(
        state,
        'completed',
        event,
        now,
        { registrationId: event.registrationId, historyJoined: true },
        { detail: { registrationId: event.registrationId, historyJoined: true } },
      ),
      effects: [addHistoryPhotoEffect(caseId, state, 'registered')],
    };
  },
  isFinal: (state) => W2_FINAL_STATUSES.includes(state.status),
  label: (state) => state.status,
};
