import type { z } from 'zod';

/** What a workflow step asks the world to do, after its state is durable. Runs at most once per idempotency key. */
export interface EffectRequest<Effect extends { type: string } = { type: string }> {
  readonly effect: Effect;
  /** Unique per case: the outbox refuses a second effect with the same key, and handlers pass it on to the remote side. */
  readonly idempotencyKey: string;
}

/** A durable timer: at `dueAt` the engine feeds `event` to the case (unless cancelled by a later step). */
export interface TimerRequest<Event extends { type: string } = { type: string }> {
  /** Unique per case; scheduling the same key again moves the timer. */
  readonly key: string;
  readonly dueAt: Date;
  readonly event: Event;
}

export interface Decision<State, Event extends { type: string }, Effect extends { type: string }> {
  readonly next: State;
  readonly effects?: readonly EffectRequest<Effect>[];
  readonly timers?: readonly TimerRequest<Event>[];
  /** Timer keys to cancel. */
  readonly cancelTimers?: readonly string[];
}

export interface DecideContext {
  readonly now: Date;
  readonly caseId: string;
}

/**
 * A workflow as data plus a pure transition function: `decide(state, event)` → next state and the effects to run.
 * No I/O in `decide`: everything that touches the world is an effect, run from the outbox after the step is durable.
 */
export interface WorkflowDefinition<
  State,
  Event extends { type: string },
  Effect extends { type: string },
  Input = unknown,
> {
  readonly name: string;
  /** Bump when the state shape changes; stored with every case. */
  readonly version: number;
  readonly stateSchema: z.ZodType<State>;
  readonly eventSchema: z.ZodType<Event>;
  readonly effectSchema: z.ZodType<Effect>;
  initial(input: Input, context: DecideContext): Decision<State, Event, Effect>;
  decide(state: State, event: Event, context: DecideContext): Decision<State, Event, Effect>;
  /** True when no further event can change the case (it may then be purged after the retention period). */
  isFinal(state: State): boolean;
  /**
   * A short text stored with every step (e.g. the status), so that `listCases` can filter without loading states.
   * Never personal data: it is stored in clear and indexed.
   */
  label?(state: State): string;
}
