/**
 * The persistence contract of the workflow engine. Two implementations: SQLite (embedded default) and PostgreSQL
 * (several server processes share the work). All JSON values are already validated by the engine's zod schemas.
 */

export interface CaseRecord {
  readonly caseId: string;
  readonly workflow: string;
  readonly workflowVersion: number;
  /** Optimistic concurrency: incremented by every committed step. */
  readonly version: number;
  readonly state: unknown;
  /** The workflow's `label(state)` of the last step (e.g. its status), for listing; null when it has none. */
  readonly label: string | null;
  readonly final: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewOutboxEffect {
  readonly idempotencyKey: string;
  readonly effect: unknown;
}

export interface NewTimer {
  readonly key: string;
  readonly dueAt: Date;
  readonly event: unknown;
}

/** One committed step: the next state, the event that caused it (for the append-only log), its effects and timers. */
export interface StepCommit {
  readonly caseId: string;
  /** The version the step was decided on; the commit fails with a conflict when the stored version differs. */
  readonly expectedVersion: number;
  readonly state: unknown;
  /** Stored with the state; `listCases` filters by it. */
  readonly label: string | null;
  readonly final: boolean;
  readonly event: unknown;
  readonly effects: readonly NewOutboxEffect[];
  readonly timers: readonly NewTimer[];
  /**
   * Applied before `timers`: the runtime cancels the timer that fired in the same step, so the fired timer never
   * fires twice; a step that re-arms that key keeps its new timer.
   */
  readonly cancelTimers: readonly string[];
  readonly at: Date;
}

export interface OutboxItem {
  readonly id: string;
  readonly caseId: string;
  readonly idempotencyKey: string;
  readonly effect: unknown;
  /** How many times a worker claimed it before (0 on the first run). */
  readonly attempts: number;
}

export interface DueTimer {
  readonly caseId: string;
  readonly key: string;
  readonly event: unknown;
  readonly dueAt: Date;
}

/** Filters for `listCases`; every given one must hold. */
export interface CaseListQuery {
  readonly workflow?: string;
  /** Any of these labels (an empty list matches nothing). */
  readonly labels?: readonly string[];
  readonly final?: boolean;
  /** At most this many (default 50, at most 1000). */
  readonly limit?: number;
  /** Keyset pagination: only cases listed after this one, i.e. the last entry of the previous page. */
  readonly before?: { readonly updatedAt: Date; readonly caseId: string };
}

/** One line of a case listing: what a review page needs to pick a case, without loading its state. */
export interface CaseSummary {
  readonly caseId: string;
  readonly workflow: string;
  readonly label: string | null;
  readonly final: boolean;
  readonly version: number;
  readonly updatedAt: Date;
}

export const DEFAULT_CASE_LIST_LIMIT = 50;
export const MAX_CASE_LIST_LIMIT = 1000;

/** The page size a store uses for `query.limit`; a limit that is not a positive integer is a caller bug. */
export function caseListLimit(query: CaseListQuery): number {
  const limit = query.limit ?? DEFAULT_CASE_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError('listCases: limit must be a positive integer');
  return Math.min(limit, MAX_CASE_LIST_LIMIT);
}

export type CommitResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly conflict: true };

export interface WorkflowStore {
  /** Create or upgrade the schema (idempotent; safe when several processes start at once). */
  migrate(): Promise<void>;
  /** Insert a new case with version 1 and its first step atomically; false when the case id exists already. */
  createCase(
    record: { caseId: string; workflow: string; workflowVersion: number },
    first: Omit<StepCommit, 'caseId' | 'expectedVersion'>,
  ): Promise<boolean>;
  loadCase(caseId: string): Promise<CaseRecord | null>;
  /** Atomically: check the version, store the state, append the event, insert outbox effects (unique per case + key), upsert/cancel timers. */
  commitStep(step: StepCommit): Promise<CommitResult>;
  /**
   * Cases matching the query, the most recently updated first (ties by case id, descending, in byte order). Page with
   * `before` set to the last entry of the previous page.
   */
  listCases(query: CaseListQuery): Promise<CaseSummary[]>;
  /** The case's event log, oldest first. */
  events(caseId: string): Promise<{ seq: number; event: unknown; at: Date }[]>;
  /**
   * Lease up to `limit` pending outbox items to `worker` for `leaseMs`. An item whose lease expired (its worker died)
   * can be claimed again. Two workers never hold the same item at once (PostgreSQL: FOR UPDATE SKIP LOCKED).
   */
  claimOutbox(worker: string, limit: number, leaseMs: number, now: Date): Promise<OutboxItem[]>;
  /**
   * Mark done (only by the worker holding the lease); the result is kept for audit. A call by any other worker (one
   * whose lease expired and was taken over) is ignored, so it cannot overwrite the new holder's work.
   */
  completeOutbox(id: string, worker: string, result: unknown, now: Date): Promise<void>;
  /** Give the lease back with a retry time (exponential backoff is the caller's). Ignored unless `worker` holds it. */
  failOutbox(id: string, worker: string, error: string, retryAt: Date): Promise<void>;
  /**
   * Lease due timers like outbox items; a fired timer is deleted by `commitStep` cancelling its key or by `completeTimer`.
   * Scheduling a key again (in `commitStep`) clears its lease, so `completeTimer` by the old holder keeps the new timer.
   */
  claimDueTimers(worker: string, limit: number, leaseMs: number, now: Date): Promise<DueTimer[]>;
  completeTimer(caseId: string, key: string, worker: string): Promise<void>;
  /** Delete final cases (and their events, outbox rows, timers) last updated before `before`. Returns the count. */
  purgeFinalCases(before: Date): Promise<number>;
  close(): Promise<void>;
}
