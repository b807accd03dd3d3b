import { z } from 'zod';
import type { EffectHandlersFor } from '../../src/engine/runtime.js';
import type { Decision, WorkflowDefinition } from '../../src/engine/workflow.js';

/**
 * A small example workflow for the engine tests: an order is charged, then printed, then the customer confirms it.
 * A confirmation timer reminds once and then expires the order. Free-form notes test concurrent events.
 */
export const orderStateSchema = z.object({
  status: z.enum(['submitted', 'paid', 'printed', 'done', 'expired']),
  amount: z.number().int().positive(),
  receipt: z.string().optional(),
  reminders: z.number().int().min(0),
  notes: z.array(z.string()),
});
export type OrderState = z.infer<typeof orderStateSchema>;

export const orderEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('payment-succeeded'), receipt: z.string().min(1) }),
  z.object({ type: z.literal('printed') }),
  z.object({ type: z.literal('confirmed') }),
  z.object({ type: z.literal('confirmation-timeout') }),
  z.object({ type: z.literal('note'), text: z.string() }),
]);
export type OrderEvent = z.infer<typeof orderEventSchema>;

export const orderEffectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('charge'), amount: z.number().int().positive() }),
  z.object({ type: z.literal('print'), receipt: z.string() }),
]);
export type OrderEffect = z.infer<typeof orderEffectSchema>;

export const confirmAfterMs = 10 * 60_000;

type OrderDecision = Decision<OrderState, OrderEvent, OrderEffect>;

export const orderWorkflow: WorkflowDefinition<OrderState, OrderEvent, OrderEffect, { amount: number }> = {
  name: 'order',
  version: 1,
  stateSchema: orderStateSchema,
  eventSchema: orderEventSchema,
  effectSchema: orderEffectSchema,
  initial: (input) => ({
    next: { status: 'submitted', amount: input.amount, reminders: 0, notes: [] },
    effects: [{ idempotencyKey: 'charge', effect: { type: 'charge', amount: input.amount } }],
  }),
  decide(state, event, { now }): OrderDecision {
    const confirmTimer = {
      key: 'confirm',
      dueAt: new Date(now.getTime() + confirmAfterMs),
      event: { type: 'confirmation-timeout' } as const,
    };
    switch (event.type) {
      case 'note':
        return { next: { ...state, notes: [...state.notes, event.text] } };
      case 'payment-succeeded':
        // A repeated feedback event (after a crash) finds the order paid already and changes nothing.
        if (state.status !== 'submitted') return { next: state };
        return {
          next: { ...state, status: 'paid', receipt: event.receipt },
          effects: [{ idempotencyKey: 'print', effect: { type: 'print', receipt: event.receipt } }],
          timers: [confirmTimer],
        };
      case 'printed':
        return state.status === 'paid' ? { next: { ...state, status: 'printed' } } : { next: state };
      case 'confirmed':
        if (state.status !== 'printed') return { next: state };
        return { next: { ...state, status: 'done' }, cancelTimers: ['confirm'] };
      case 'confirmation-timeout':
        if (state.status !== 'paid' && state.status !== 'printed') return { next: state };
        if (state.reminders === 0) return { next: { ...state, reminders: 1 }, timers: [confirmTimer] };
        return { next: { ...state, status: 'expired' } };
    }
  },
  isFinal: (state) => state.status === 'done' || state.status === 'expired',
};

/**
 * The remote side (payment provider, printer) as the engine must assume it: it dedupes by idempotency key, so
 * repeating a request with the same key returns the first answer without doing the work again.
 */
export class FakeRemote {
  /** Work really done, by idempotency key (case id + key). */
  readonly performed = new Map<string, { kind: string; caseId: string; answer: string }>();
  calls = 0;

  perform(kind: string, caseId: string, idempotencyKey: string): string {
    this.calls++;
    const key = `${caseId}/${idempotencyKey}`;
    const existing = this.performed.get(key);
    if (existing !== undefined) return existing.answer;
    const answer = `${kind}-${this.performed.size + 1}`;
    this.performed.set(key, { kind, caseId, answer });
    return answer;
  }

  count(kind: string, caseId?: string): number {
    return [...this.performed.values()].filter(
      (p) => p.kind === kind && (caseId === undefined || p.caseId === caseId),
    ).length;
  }
}

/** Handlers that call the fake remote with the outbox item's idempotency key and feed the answer back. */
export function orderHandlers(remote: FakeRemote): EffectHandlersFor<OrderEffect> {
  return {
    charge: async (_effect, { caseId, idempotencyKey }) => {
      const receipt = remote.perform('charge', caseId, idempotencyKey);
      return { result: { receipt }, event: { type: 'payment-succeeded', receipt } };
    },
    print: async (_effect, { caseId, idempotencyKey }) => {
      remote.perform('print', caseId, idempotencyKey);
      return { event: { type: 'printed' } };
    },
  };
}
