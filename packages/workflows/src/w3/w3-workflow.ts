import { z } from 'zod';
import type { Decision, WorkflowDefinition } from '../engine/workflow.js';

/**
 * W3 (受付番号 / 証明書自動交付) on the issuance server: one case per reception number. A case starts only after the
 * applicant signed a server challenge with the card's user-authentication key and the certificate was found valid
 * and not revoked (W3.1); the state keeps that evidence (serial, revocation source and time), never a name.
 *
 *   applied ──kiosk-presented──▶ confirmation-requested ──device-confirmed──▶ printing ──print-succeeded──▶ printed
 *      ▲                              │        │                               │ ▲
 *   awaiting-kiosk ◀─confirmation-timeout      └─device-declined──▶ declined   └─┘ print-job-queued
 *
 * `applied`: stored, the number went back to the device, never presented yet. `awaiting-kiosk`: presented before, but
 * the device did not answer within the confirmation timeout. We go back (rather than expire) because an applicant who
 * missed the notification should not have to apply again; the number still dies at the application expiry, and every
 * presentation costs the kiosk a rate-limit token. `printing`: the device said "print"; the `send-to-kiosk` effect
 * fetches the document from the certificate issuance server (証明書交付サーバ) and puts the print job into the
 * presenting kiosk's mailbox, then `print-job-queued` records it; only the kiosk's acknowledgement (`print-succeeded`,
 * naming that job) makes the case `printed`. `application-expired` ends every state except `printing` (the print was
 * committed when the device said "print"; it finishes). `printed`, `declined` and `expired` are final: the number is
 * dead (single use).
 */

/** Identifiers of devices and kiosks: opaque, pseudonymous, never a name or a card number. */
export const w3ActorIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{4,128}$/);

/** 住民票の写し: which entries to print. Only choices, no personal data. */
const residentRecordOptionsSchema = z.strictObject({
  /** 本人のみ / 世帯全員. */
  scope: z.enum(['self', 'household']).default('self'),
  /** 本籍・筆頭者の記載. */
  includeRegisteredDomicile: z.boolean().default(false),
  /** 続柄の記載. */
  includeRelationship: z.boolean().default(false),
});

const copiesSchema = z.number().int().min(1).max(10);

/**
 * The application (申請内容): which certificate, how many copies, its options. A strict union by kind, so nothing
 * else (a name, an address, a My Number) can ride along into the stored state.
 */
export const certificateApplicationSchema = z.discriminatedUnion('certificateKind', [
  z.strictObject({
    /** 住民票の写し. */
    certificateKind: z.literal('resident-record'),
    copies: copiesSchema,
    options: residentRecordOptionsSchema.default({
      scope: 'self',
      includeRegisteredDomicile: false,
      includeRelationship: false,
    }),
  }),
  z.strictObject({
    /** 印鑑登録証明書. */
    certificateKind: z.literal('seal-registration'),
    copies: copiesSchema,
  }),
  z.strictObject({
    /** 住民票記載事項証明書. */
    certificateKind: z.literal('resident-record-items'),
    copies: copiesSchema,
  }),
  z.strictObject({
    /** 課税（所得）証明書, for a fiscal year. */
    certificateKind: z.literal('tax'),
    copies: copiesSchema,
    options: z.strictObject({ fiscalYear: z.number().int().min(2000).max(2100) }),
  }),
]);
export type CertificateApplication = z.infer<typeof certificateApplicationSchema>;
export type CertificateApplicationInput = z.input<typeof certificateApplicationSchema>;

export const w3StatusSchema = z.enum([
  'applied',
  'awaiting-kiosk',
  'confirmation-requested',
  'printing',
  'printed',
  'expired',
  'declined',
]);
export type W3Status = z.infer<typeof w3StatusSchema>;

const isoDate = z.iso.datetime();

/**
 * W3.1 evidence: how the applicant was authenticated. The user-authentication certificate carries no name or basic
 * four, so this is all there is to keep: its serial, its validity end, and the revocation answer that cleared it.
 */
export const applicantEvidenceSchema = z.strictObject({
  method: z.literal('jpki-auth-signature'),
  certificateSerial: z.string().regex(/^[0-9a-f]{1,64}$/),
  certificateNotAfter: isoDate,
  verifiedAt: isoDate,
  revocation: z.strictObject({
    status: z.literal('good'),
    /** Which service answered (the deciding answer). */
    source: z.enum(['ocsp', 'crl', 'other']),
    checkedAt: isoDate,
    /** OCSP producedAt or CRL thisUpdate: how fresh the answer was. */
    issuedAt: isoDate.optional(),
  }),
});
export type ApplicantEvidence = z.infer<typeof applicantEvidenceSchema>;

/** Print jobs are named after their case (one print per case, ever), so the kiosk's ack leads back to the case. */
export const w3JobIdSchema = z.string().regex(/^job-[0-9a-f]{64}$/);
export const w3JobId = (caseId: string): string => `job-${caseId.replace(/^w3-/, '')}`;

/** One line of evidence per decision: what happened, when, and at which kiosk. */
const w3HistoryEntrySchema = z.strictObject({
  at: isoDate,
  event: z.string(),
  from: w3StatusSchema,
  to: w3StatusSchema,
  kioskId: w3ActorIdSchema.optional(),
});

export const w3StateSchema = z.strictObject({
  status: w3StatusSchema,
  /** The device that applied: the only one asked to confirm, and the only one whose answer counts. */
  deviceId: w3ActorIdSchema,
  application: certificateApplicationSchema,
  appliedAt: isoDate,
  expiresAt: isoDate,
  confirmTimeoutMs: z.number().int().positive(),
  /** How many times the number was presented; numbers the confirmation requests and their timers. */
  presentations: z.number().int().min(0),
  /** The kiosk of the current presentation (the one that prints). */
  kioskId: w3ActorIdSchema.optional(),
  /** Until when the device may answer the current confirmation request. */
  answerBy: isoDate.optional(),
  /** W3.1: the applicant's card authentication. */
  applicant: applicantEvidenceSchema,
  /** The job in the kiosk's mailbox, once the document was fetched (W3.5). */
  printJob: z
    .strictObject({ jobId: w3JobIdSchema, documentId: z.string(), mediaType: z.string(), queuedAt: isoDate })
    .optional(),
  history: z.array(w3HistoryEntrySchema),
});
export type W3State = z.infer<typeof w3StateSchema>;

export const w3EventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('kiosk-presented'), kioskId: w3ActorIdSchema }),
  z.strictObject({ type: z.literal('device-confirmed'), deviceId: w3ActorIdSchema }),
  z.strictObject({ type: z.literal('device-declined'), deviceId: w3ActorIdSchema }),
  z.strictObject({
    type: z.literal('print-job-queued'),
    kioskId: w3ActorIdSchema,
    jobId: w3JobIdSchema,
    documentId: z.string().min(1).max(256),
    mediaType: z.string().min(1).max(128),
  }),
  /** The kiosk acknowledged the printout of this job. */
  z.strictObject({ type: z.literal('print-succeeded'), kioskId: w3ActorIdSchema, jobId: w3JobIdSchema }),
  /** Carries the presentation it belongs to, so a late timer of an earlier presentation changes nothing. */
  z.strictObject({ type: z.literal('confirmation-timeout'), presentation: z.number().int().positive() }),
  z.strictObject({ type: z.literal('application-expired') }),
]);
export type W3Event = z.infer<typeof w3EventSchema>;

export const w3EffectSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('request-print-confirmation'),
    deviceId: w3ActorIdSchema,
    kioskId: w3ActorIdSchema,
    certificateKind: z.string(),
    copies: copiesSchema,
    /** Until when the device may answer. */
    answerBy: isoDate,
  }),
  z.strictObject({
    type: z.literal('send-to-kiosk'),
    kioskId: w3ActorIdSchema,
    jobId: w3JobIdSchema,
    application: certificateApplicationSchema,
  }),
]);
export type W3Effect = z.infer<typeof w3EffectSchema>;

export const w3InputSchema = z.strictObject({
  deviceId: w3ActorIdSchema,
  application: certificateApplicationSchema,
  expiryMs: z.number().int().positive(),
  confirmTimeoutMs: z.number().int().positive(),
  applicant: applicantEvidenceSchema,
});
export type W3Input = z.infer<typeof w3InputSchema>;

export const W3_EXPIRY_TIMER = 'application-expiry';
export const W3_CONFIRMATION_TIMER = 'confirmation-timeout';
/** One print per case, ever: the outbox refuses a second effect with this key. */
export const W3_PRINT_KEY = 'send-to-kiosk';
export const w3ConfirmationKey = (presentation: number): string => `print-confirmation-${presentation}`;

export const W3_FINAL_STATUSES: readonly W3Status[] = ['printed', 'expired', 'declined'];

type W3Decision = Decision<W3State, W3Event, W3Effect>;

function moved(
  state: W3State,
  to: W3Status,
  event: W3Event,
  now: Date,
  patch: Partial<W3State> = {},
): W3State {
  const kioskId = 'kioskId' in event ? event.kioskId : undefined;
  return {
    ...state,
    ...patch,
    status: to,
    history: [
      ...state.history,
      {
        at: now.toISOString(),
        event: event.type,
        from: state.status,
        to,
        ...(kioskId !== undefined && { kioskId }),
      },
    ],
  };
}

export const certificateIssuanceWorkflow: WorkflowDefinition<W3State, W3Event, W3Effect, W3Input> = {
  name: 'certificate-issuance',
  // 2: applicant evidence (W3.1), answerBy, print jobs through the kiosk mailbox.
  version: 2,
  stateSchema: w3StateSchema,
  eventSchema: w3EventSchema,
  effectSchema: w3EffectSchema,
  initial(rawInput, { now }): W3Decision {
    const input = w3InputSchema.parse(rawInput);
    const expiresAt = new Date(now.getTime() + input.expiryMs);
    return {
      next: {
        status: 'applied',
        deviceId: input.deviceId,
        application: input.application,
        appliedAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
        confirmTimeoutMs: input.confirmTimeoutMs,
        applicant: input.applicant,
        presentations: 0,
        history: [],
      },
      timers: [{ key: W3_EXPIRY_TIMER, dueAt: expiresAt, event: { type: 'application-expired' } }],
    };
  },
  decide(state, event, { now, caseId }): W3Decision {
    // Events that do not fit the state (a repeated feedback, a late timer, a second kiosk) change nothing.
    const same: W3Decision = { next: state };
    const expired = now.getTime() >= Date.parse(state.expiresAt);
    switch (event.type) {
      case 'kiosk-presented': {
        if (state.status !== 'applied' && state.status !== 'awaiting-kiosk') return same;
        if (expired) {
          return {
            next: moved(state, 'expired', { type: 'application-expired' }, now),
            cancelTimers: [W3_EXPIRY_TIMER],
          };
        }
        const presentation = state.presentations + 1;
        const answerBy = new Date(now.getTime() + state.confirmTimeoutMs);
        return {
          next: moved(state, 'confirmation-requested', event, now, {
            presentations: presentation,
            kioskId: event.kioskId,
            answerBy: answerBy.toISOString(),
          }),
          effects: [
            {
              idempotencyKey: w3ConfirmationKey(presentation),
              effect: {
                type: 'request-print-confirmation',
                deviceId: state.deviceId,
                kioskId: event.kioskId,
                certificateKind: state.application.certificateKind,
                copies: state.application.copies,
                answerBy: answerBy.toISOString(),
              },
            },
          ],
          timers: [
            {
              key: W3_CONFIRMATION_TIMER,
              dueAt: answerBy,
              event: { type: 'confirmation-timeout', presentation },
            },
          ],
        };
      }
      case 'device-confirmed': {
        if (state.status !== 'confirmation-requested' || event.deviceId !== state.deviceId) return same;
        if (state.kioskId === undefined) return same;
        return {
          next: moved(state, 'printing', event, now),
          effects: [
            {
              idempotencyKey: W3_PRINT_KEY,
              effect: {
                type: 'send-to-kiosk',
                kioskId: state.kioskId,
                jobId: w3JobId(caseId),
                application: state.application,
              },
            },
          ],
          cancelTimers: [W3_CONFIRMATION_TIMER],
        };
      }
      case 'device-declined':
        if (state.status !== 'confirmation-requested' || event.deviceId !== state.deviceId) return same;
        return {
          next: moved(state, 'declined', event, now),
          cancelTimers: [W3_CONFIRMATION_TIMER, W3_EXPIRY_TIMER],
        };
      case 'print-job-queued':
        if (state.status !== 'printing' || state.printJob !== undefined || event.kioskId !== state.kioskId)
          return same;
        return {
          next: moved(state, 'printing', event, now, {
            printJob: {
              jobId: event.jobId,
              documentId: event.documentId,
              mediaType: event.mediaType,
              queuedAt: now.toISOString(),
            },
          }),
        };
      case 'print-succeeded':
        // Only the presenting kiosk, for the job it was handed.
        if (
          state.status !== 'printing' ||
          event.kioskId !== state.kioskId ||
          state.printJob?.jobId !== event.jobId
        )
          return same;
        return { next: moved(state, 'printed', event, now), cancelTimers: [W3_EXPIRY_TIMER] };
      case 'confirmation-timeout':
        if (state.status !== 'confirmation-requested' || event.presentation !== state.presentations)
          return same;
        if (expired) {
          return { next: moved(state, 'expired', event, now), cancelTimers: [W3_EXPIRY_TIMER] };
        }
        return { next: moved(state, 'awaiting-kiosk', event, now) };
      case 'application-expired':
        // A print the device already confirmed finishes; everything else ends here.
        if (state.status === 'printing' || W3_FINAL_STATUSES.includes(state.status)) return same;
        return { next: moved(state, 'expired', event, now), cancelTimers: [W3_CONFIRMATION_TIMER] };
    }
  },
  isFinal: (state) => W3_FINAL_STATUSES.includes(state.status),
};
