import type { z } from 'zod';
import { WorkflowError } from './errors.js';
import type {
  CaseListQuery,
  CaseRecord,
  CaseSummary,
  OutboxItem,
  StepCommit,
  WorkflowStore,
} from './store.js';
import type { DecideContext, Decision, WorkflowDefinition } from './workflow.js';

/**
 * Any workflow, whatever its types. `initial`/`decide`/`isFinal` are methods, so their parameters are bivariant and a
 * concrete definition fits here; the runtime validates everything with the definition's own schemas.
 */
export type AnyWorkflowDefinition = WorkflowDefinition<unknown, { type: string }, { type: string }, unknown>;

/** What an effect handler learns besides the effect itself. Pass `idempotencyKey` on to the remote side. */
export interface EffectContext {
  readonly caseId: string;
  readonly idempotencyKey: string;
  /** 0 on the first run; a re-run after a crash or a failure has a higher number but the same key. */
  readonly attempt: number;
}

/** A handler's answer: a result kept for audit, and optionally an event fed back into the case. */
export interface EffectOutcome {
  readonly result?: unknown;
  readonly event?: { readonly type: string };
}

// `void` so that a handler with nothing to say can be a plain `async () => {}`.
// biome-ignore lint/suspicious/noConfusingVoidType: see above
export type EffectHandlerResult = EffectOutcome | undefined | void;

export type EffectHandler<Effect = never> = (
  effect: Effect,
  context: EffectContext,
) => Promise<EffectHandlerResult> | EffectHandlerResult;

/** Handlers by effect type. `EffectHandlersFor<MyEffect>` gives each handler its narrowed effect type. */
export type EffectHandlers = Readonly<Record<string, EffectHandler | undefined>>;
export type EffectHandlersFor<Effect extends { type: string }> = {
  readonly [K in Effect['type']]?: EffectHandler<Extract<Effect, { type: K }>>;
};

export interface WorkflowRuntimeOptions {
  readonly store: WorkflowStore;
  readonly workflows: readonly AnyWorkflowDefinition[];
  /** Injected for tests and replay; defaults to the wall clock. */
  readonly clock?: () => Date;
  /** Lease owner name for outbox items and timers; defaults to a random id. */
  readonly workerId?: string;
  /**
   * How long a claimed outbox item or timer stays leased before another worker may take it (default 30 s). Make it
   * longer than the slowest handler: a lease that runs out mid-handler lets a second worker run the same key.
   */
  readonly leaseMs?: number;
  /** Delay before a failed effect is retried, by attempt number (default 1 s doubling, capped at 5 min). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Optimistic-concurrency retries of one dispatch before it fails with CONFLICT (default 25). */
  readonly maxConflictRetries?: number;
}

export interface CaseSnapshot {
  readonly caseId: string;
  readonly workflow: string;
  readonly version: number;
  readonly state: unknown;
  readonly final: boolean;
}

export interface DispatchResult extends CaseSnapshot {
  /** False when the case was final already: the event was not applied and nothing was stored. */
  readonly applied: boolean;
}

export interface WorkFailure {
  readonly caseId: string;
  /** The idempotency key (outbox) or the timer key. */
  readonly key: string;
  readonly error: string;
}

export interface OutboxRunReport {
  readonly claimed: number;
  readonly completed: number;
  readonly failed: readonly WorkFailure[];
}

export interface TimerRunReport {
  readonly claimed: number;
  readonly fired: number;
  readonly failed: readonly WorkFailure[];
}

const defaultRetryDelayMs = (attempt: number): number => Math.min(1000 * 2 ** attempt, 5 * 60_000);

/** Labels are short tags (a status), not free text. */
const MAX_LABEL_LENGTH = 100;

/** The event logged as the first step of every case. */
export const startEventType = '@start';

/**
 * Runs workflow definitions on a store: `start` and `dispatch` decide and commit steps (the state, event, effects and
 * timers of a step are one transaction); `runOutboxOnce` and `runTimersOnce` do the work those steps asked for, only
 * after it is durable. Effects are at-least-once towards the handler and exactly-once towards a remote side that
 * dedupes by idempotency key. An event a handler feeds back may arrive twice after a crash, so `decide` must treat an
 * event that does not fit the current state as a no-op.
 */
export class WorkflowRuntime {
  readonly workerId: string;
  private readonly store: WorkflowStore;
  private readonly workflows: ReadonlyMap<string, AnyWorkflowDefinition>;
  private readonly clock: () => Date;
  private readonly leaseMs: number;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly maxConflictRetries: number;

  constructor(options: WorkflowRuntimeOptions) {
    this.store = options.store;
    const workflows = new Map<string, AnyWorkflowDefinition>();
    for (const definition of options.workflows) {
      if (workflows.has(definition.name))
        throw new TypeError(`workflow registered twice: ${definition.name}`);
      workflows.set(definition.name, definition);
    }
    this.workflows = workflows;
    this.clock = options.clock ?? (() => new Date());
    this.workerId = options.workerId ?? `worker-${globalThis.crypto.randomUUID()}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
    this.maxConflictRetries = options.maxConflictRetries ?? 25;
  }

  /** Start a case: `initial(input)` is its first step. Fails with CASE_EXISTS when the id is taken. */
  async start<State, Event extends { type: string }, Effect extends { type: string }, Input>(
    workflow: string | WorkflowDefinition<State, Event, Effect, Input>,
    caseId: string,
    input: Input,
  ): Promise<CaseSnapshot> {
    const definition = this.definition(typeof workflow === 'string' ? workflow : workflow.name, caseId);
    const now = this.clock();
    const decision = this.checkDecision(definition, definition.initial(input, { now, caseId }), caseId);
    const final = definition.isFinal(decision.next);
    const created = await this.store.createCase(
      { caseId, workflow: definition.name, workflowVersion: definition.version },
      {
        ...this.stepParts(decision, []),
        state: decision.next,
        label: this.label(definition, decision.next, caseId),
        final,
        event: { type: startEventType, input },
        at: now,
      },
    );
    if (!created) {
      throw new WorkflowError('CASE_EXISTS', 'a case with this id exists already', {
        details: { caseId, workflow: definition.name },
      });
    }
    return { caseId, workflow: definition.name, version: 1, state: decision.next, final };
  }

  /**
   * Feed an event to a case: validate it, load the case, decide, commit. When another writer committed first, reload
   * and decide again (bounded), so concurrent events are never lost.
   */
  async dispatch(caseId: string, event: unknown): Promise<DispatchResult> {
    return this.dispatchStep(caseId, event, []);
  }

  async getCase(caseId: string): Promise<CaseSnapshot | null> {
    const record = await this.store.loadCase(caseId);
    if (record === null) return null;
    const definition = this.definition(record.workflow, caseId);
    return this.snapshot(record, this.parseState(definition, record));
  }

  /** The case's event log, oldest first (the evidence of every decision). */
  async events(caseId: string): Promise<{ seq: number; event: unknown; at: Date }[]> {
    return this.store.events(caseId);
  }

  /** Cases by workflow, label and final flag, most recently updated first (see `WorkflowStore.listCases`). */
  async listCases(query: CaseListQuery = {}): Promise<CaseSummary[]> {
    return this.store.listCases(query);
  }

  /**
   * Claim pending effects and run them one by one: a handler that returns feeds its event back into the case, then
   * the item is completed; a handler that throws gives the item back with a growing delay. A worker that dies
   * mid-effect leaves its lease to expire, and the next worker re-runs the effect with the same idempotency key.
   */
  async runOutboxOnce(
    handlers: EffectHandlers,
    options: { limit?: number; concurrency?: number } = {},
  ): Promise<OutboxRunReport> {
    const items = await this.store.claimOutbox(
      this.workerId,
      options.limit ?? 10,
      this.leaseMs,
      this.clock(),
    );
    let completed = 0;
    const failed: WorkFailure[] = [];
    const runItem = async (item: OutboxItem) => {
      try {
        const type = (item.effect as { type?: unknown } | null)?.type;
        const handler = typeof type === 'string' ? handlers[type] : undefined;
        if (handler === undefined) throw new Error(`no handler for effect type ${String(type)}`);
        const outcome = await (handler as EffectHandler<unknown>)(item.effect, {
          caseId: item.caseId,
          idempotencyKey: item.idempotencyKey,
          attempt: item.attempts,
        });
        // Feed back before completing: a crash in between re-runs the (deduped) effect rather than losing the event.
        if (outcome?.event !== undefined) await this.dispatch(item.caseId, outcome.event);
        await this.store.completeOutbox(item.id, this.workerId, outcome?.result, this.clock());
        completed++;
      } catch (error) {
        const message = describeError(error);
        failed.push({ caseId: item.caseId, key: item.idempotencyKey, error: message });
        const retryAt = new Date(this.clock().getTime() + this.retryDelayMs(item.attempts));
        await this.store.failOutbox(item.id, this.workerId, message, retryAt);
      }
    };
    // One case's effects run in claim order; different cases run side by side (up to `concurrency`), so a slow
    // effect (a face check in a worker pool, a remote call) does not hold up the others.
    const byCase = new Map<string, OutboxItem[]>();
    for (const item of items) byCase.set(item.caseId, [...(byCase.get(item.caseId) ?? []), item]);
    const queues = [...byCase.values()];
    const lanes = Math.max(1, Math.min(options.concurrency ?? 1, queues.length));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let queue = queues.shift(); queue !== undefined; queue = queues.shift()) {
          for (const item of queue) await runItem(item);
        }
      }),
    );
    return { claimed: items.length, completed, failed };
  }

  /**
   * Claim due timers and feed each one's event to its case. The step that applies the event also deletes the timer
   * (unless the step re-arms it), so a timer fires once even if this worker dies before `completeTimer`.
   */
  async runTimersOnce(options: { limit?: number } = {}): Promise<TimerRunReport> {
    const timers = await this.store.claimDueTimers(
      this.workerId,
      options.limit ?? 10,
      this.leaseMs,
      this.clock(),
    );
    let fired = 0;
    const failed: WorkFailure[] = [];
    for (const timer of timers) {
      try {
        await this.dispatchStep(timer.caseId, timer.event, [timer.key]);
        fired++;
      } catch (error) {
        // A purged case has nothing left to wake; anything else stays leased and is retried when the lease expires.
        if (!(error instanceof WorkflowError && error.code === 'UNKNOWN_CASE')) {
          failed.push({ caseId: timer.caseId, key: timer.key, error: describeError(error) });
          continue;
        }
      }
      await this.store.completeTimer(timer.caseId, timer.key, this.workerId);
    }
    return { claimed: timers.length, fired, failed };
  }

  /** Delete final cases last changed before `before` (retention limit), with their logs, outbox rows and timers. */
  async purge(before: Date): Promise<number> {
    return this.store.purgeFinalCases(before);
  }

  private async dispatchStep(
    caseId: string,
    rawEvent: unknown,
    firedTimers: readonly string[],
  ): Promise<DispatchResult> {
    for (let attempt = 0; ; attempt++) {
      const record = await this.store.loadCase(caseId);
      if (record === null) throw new WorkflowError('UNKNOWN_CASE', 'no such case', { details: { caseId } });
      const definition = this.definition(record.workflow, caseId);
      const event = parseWith(
        definition.eventSchema,
        rawEvent,
        'INVALID_EVENT',
        'the event does not fit the workflow',
        {
          caseId,
          workflow: definition.name,
        },
      );
      const state = this.parseState(definition, record);
      if (record.final) return { ...this.snapshot(record, state), applied: false };

      const now = this.clock();
      const context: DecideContext = { now, caseId };
      const decision = this.checkDecision(definition, definition.decide(state, event, context), caseId);
      const final = definition.isFinal(decision.next);
      const step: StepCommit = {
        caseId,
        expectedVersion: record.version,
        state: decision.next,
        label: this.label(definition, decision.next, caseId),
        final,
        event,
        ...this.stepParts(decision, firedTimers),
        at: now,
      };
      const result = await this.store.commitStep(step);
      if (result.ok) {
        return {
          caseId,
          workflow: definition.name,
          version: result.version,
          state: decision.next,
          final,
          applied: true,
        };
      }
      if (attempt >= this.maxConflictRetries) {
        throw new WorkflowError('CONFLICT', 'the case kept changing; the event was not applied', {
          details: { caseId, workflow: definition.name, eventType: event.type, attempts: attempt + 1 },
        });
      }
      // A little jitter so that writers racing on one case do not collide in lockstep again.
      await sleep(Math.floor(Math.random() * Math.min(50, 2 ** attempt)));
    }
  }

  private definition(name: string, caseId: string): AnyWorkflowDefinition {
    const definition = this.workflows.get(name);
    if (definition === undefined) {
      throw new WorkflowError('UNKNOWN_WORKFLOW', 'no workflow with this name is registered', {
        details: { caseId, workflow: name },
      });
    }
    return definition;
  }

  private parseState(definition: AnyWorkflowDefinition, record: CaseRecord): unknown {
    if (record.workflowVersion !== definition.version) {
      throw new WorkflowError('INVALID_STATE', 'the case was stored by another version of the workflow', {
        details: {
          caseId: record.caseId,
          workflow: definition.name,
          storedVersion: record.workflowVersion,
          version: definition.version,
        },
      });
    }
    return parseWith(
      definition.stateSchema,
      record.state,
      'INVALID_STATE',
      'the stored state does not fit the workflow',
      {
        caseId: record.caseId,
        workflow: definition.name,
      },
    );
  }

  /** Validate what `initial`/`decide` returned, so that only schema-conform values reach the store. */
  private checkDecision(
    definition: AnyWorkflowDefinition,
    decision: Decision<unknown, { type: string }, { type: string }>,
    caseId: string,
  ): Decision<unknown, { type: string }, { type: string }> {
    const details = { caseId, workflow: definition.name };
    const fail = (what: string) => `the workflow decided an invalid ${what}`;
    const next = parseWith(definition.stateSchema, decision.next, 'INVALID_DECISION', fail('state'), details);
    const effects = (decision.effects ?? []).map((request) => ({
      idempotencyKey: request.idempotencyKey,
      effect: parseWith(definition.effectSchema, request.effect, 'INVALID_DECISION', fail('effect'), details),
    }));
    const timers = (decision.timers ?? []).map((timer) => ({
      key: timer.key,
      dueAt: timer.dueAt,
      event: parseWith(definition.eventSchema, timer.event, 'INVALID_DECISION', fail('timer event'), details),
    }));
    for (const timer of timers) {
      if (!(timer.dueAt instanceof Date) || Number.isNaN(timer.dueAt.getTime())) {
        throw new WorkflowError('INVALID_DECISION', fail('timer due time'), {
          details: { ...details, timer: timer.key },
        });
      }
    }
    return { next, effects, timers, cancelTimers: decision.cancelTimers ?? [] };
  }

  /** The definition's label for the state, checked: a short string, since it is stored in clear and indexed. */
  private label(definition: AnyWorkflowDefinition, state: unknown, caseId: string): string | null {
    if (definition.label === undefined) return null;
    const label: unknown = definition.label(state);
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_LENGTH) {
      throw new WorkflowError('INVALID_DECISION', 'the workflow gave an invalid label', {
        details: { caseId, workflow: definition.name },
      });
    }
    return label;
  }

  private stepParts(
    decision: Decision<unknown, { type: string }, { type: string }>,
    firedTimers: readonly string[],
  ): Pick<StepCommit, 'effects' | 'timers' | 'cancelTimers'> {
    return {
      effects: decision.effects ?? [],
      timers: decision.timers ?? [],
      // The store applies cancels before new timers: the fired timer goes, unless this very step re-arms it.
      cancelTimers: [...firedTimers, ...(decision.cancelTimers ?? [])],
    };
  }

  private snapshot(record: CaseRecord, state: unknown): CaseSnapshot {
    return {
      caseId: record.caseId,
      workflow: record.workflow,
      version: record.version,
      state,
      final: record.final,
    };
  }
}

/** Parse with a zod schema; on failure a WorkflowError whose details name the paths and issue codes, never values. */
function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  code: 'INVALID_EVENT' | 'INVALID_DECISION' | 'INVALID_STATE',
  message: string,
  details: Record<string, string>,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.code}`)
    .join('; ');
  throw new WorkflowError(code, message, { details: { ...details, issues } });
}

/** A short error text for the outbox row and the report: the name and message, never a stack. */
function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`.slice(0, 500);
  }
  return String(error).slice(0, 500);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
