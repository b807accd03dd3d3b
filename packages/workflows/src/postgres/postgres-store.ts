import pg from 'pg';
import {
  type CaseListQuery,
  type CaseRecord,
  type CaseSummary,
  type CommitResult,
  caseListLimit,
  type DueTimer,
  type NewOutboxEffect,
  type NewTimer,
  type OutboxItem,
  type StepCommit,
  type WorkflowStore,
} from '../engine/store.js';
import { migrate } from './migrations.js';
import { checkSchemaName } from './schema-name.js';

export interface PostgresStoreOptions {
  /** The PostgreSQL schema holding the tables (created by `migrate`). Default `mynakit_workflows`. */
  readonly schema?: string;
}

/** JSON values travel as text and are cast to jsonb in SQL (pg would send a JS array as a PostgreSQL array). */
function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** The URL without its password, for error messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable connection string)';
  }
}

interface CaseRow {
  case_id: string;
  workflow: string;
  workflow_version: number;
  version: number;
  state: unknown;
  label: string | null;
  final: boolean;
  created_at: Date;
  updated_at: Date;
}

/**
 * The scale-out WorkflowStore: several server processes share one database. Steps commit in one transaction with an
 * optimistic version check; outbox items and timers are leased with `FOR UPDATE SKIP LOCKED`, so two workers never
 * hold the same row, and a row whose lease expired (its worker died) is claimed again.
 */
export class PostgresWorkflowStore implements WorkflowStore {
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #s: string;

  private constructor(pool: pg.Pool, ownsPool: boolean, schema: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.schema = schema;
    this.#s = `"${schema}"`;
  }

  /**
   * Connects (and checks the connection) to a database given by URL, or uses a caller's pool (which `close` then
   * leaves open). Call `migrate()` before first use.
   */
  static async connect(
    target: string | pg.Pool,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresWorkflowStore> {
    const schema = checkSchemaName(options.schema);
    const ownsPool = typeof target === 'string';
    const pool = typeof target === 'string' ? new pg.Pool({ connectionString: target }) : target;
    // An idle client that loses its connection emits 'error' on the pool; unhandled, it would end the process.
    if (ownsPool) pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      if (ownsPool) await pool.end().catch(() => undefined);
      const where = typeof target === 'string' ? redactUrl(target) : 'the given pool';
      throw new Error(`cannot reach PostgreSQL at ${where}: ${(error as Error).message}`, { cause: error });
    }
    return new PostgresWorkflowStore(pool, ownsPool, schema);
  }

  /**
   * The connection pool, for stores that share this database and schema (`PostgresMailbox`,
   * `PostgresHistoryPhotoIndex`, `PostgresAccountBindingStore`, `PostgresEvidenceStore`: pass them this store).
   */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await migrate(client, this.schema, this.#s);
    } finally {
      client.release();
    }
  }

  /** Runs `fn` in a transaction; `fn` returning `rollback: true` undoes it (an expected outcome, not an error). */
  async #transaction<T>(
    fn: (client: pg.PoolClient) => Promise<{ value: T; rollback?: boolean }>,
  ): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const { value, rollback } = await fn(client);
      await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
      return value;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable: destroy it instead of returning it to the pool.
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async #writeStep(
    client: pg.PoolClient,
    caseId: string,
    seq: number,
    step: Omit<StepCommit, 'caseId' | 'expectedVersion'>,
  ): Promise<void> {
    const s = this.#s;
    await client.query(`INSERT INTO ${s}.events (case_id, seq, event, at) VALUES ($1, $2, $3::jsonb, $4)`, [
      caseId,
      seq,
      json(step.event),
      step.at,
    ]);
    await this.#insertEffects(client, caseId, step.effects, step.at);
    // Cancel before scheduling: a step that cancels a key and schedules it again leaves the new timer.
    if (step.cancelTimers.length > 0) {
      await client.query(`DELETE FROM ${s}.timers WHERE case_id = $1 AND key = ANY($2::text[])`, [
        caseId,
        [...step.cancelTimers],
      ]);
    }
    await this.#upsertTimers(client, caseId, step.timers);
  }

  async #insertEffects(
    client: pg.PoolClient,
    caseId: string,
    effects: readonly NewOutboxEffect[],
    at: Date,
  ): Promise<void> {
    if (effects.length === 0) return;
    // A key already in the outbox (or twice in this step) is skipped: the effect runs once.
    await client.query(
      `INSERT INTO ${this.#s}.outbox (case_id, idempotency_key, effect, created_at)
       SELECT $1, t.key, t.effect::jsonb, $4
       FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(key, effect, n)
       ORDER BY t.n
       ON CONFLICT (case_id, idempotency_key) DO NOTHING`,
      [caseId, effects.map((e) => e.idempotencyKey), effects.map((e) => json(e.effect)), at],
    );
  }

  async #upsertTimers(client: pg.PoolClient, caseId: string, timers: readonly NewTimer[]): Promise<void> {
    if (timers.length === 0) return;
    // ON CONFLICT DO UPDATE cannot touch a row twice in one statement: the last schedule of a key wins.
    const byKey = new Map<string, NewTimer>();
    for (const timer of timers) byKey.set(timer.key, timer);
    const unique = [...byKey.values()];
    // Scheduling a key again moves the timer and drops any lease on the old one.
    await client.query(
      `INSERT INTO ${this.#s}.timers (case_id, key, due_at, event)
       SELECT $1, t.key, t.due_at, t.event::jsonb
       FROM unnest($2::text[], $3::timestamptz[], $4::text[]) AS t(key, due_at, event)
       ON CONFLICT (case_id, key) DO UPDATE
         SET due_at = EXCLUDED.due_at, event = EXCLUDED.event, leased_by = NULL, lease_until = NULL`,
      [
        caseId,
        unique.map((t) => t.key),
        unique.map((t) => t.dueAt.toISOString()),
        unique.map((t) => json(t.event)),
      ],
    );
  }

  async createCase(
    record: { caseId: string; workflow: string; workflowVersion: number },
    first: Omit<StepCommit, 'caseId' | 'expectedVersion'>,
  ): Promise<boolean> {
    return this.#transaction(async (client) => {
      const inserted = await client.query(
        `INSERT INTO ${this.#s}.cases (case_id, workflow, workflow_version, version, state, label, final, created_at, updated_at)
         VALUES ($1, $2, $3, 1, $4::jsonb, $5, $6, $7, $7)
         ON CONFLICT (case_id) DO NOTHING`,
        [
          record.caseId,
          record.workflow,
          record.workflowVersion,
          json(first.state),
          first.label,
          first.final,
          first.at,
        ],
      );
      if (inserted.rowCount !== 1) return { value: false, rollback: true };
      await this.#writeStep(client, record.caseId, 1, first);
      return { value: true };
    });
  }

  async loadCase(caseId: string): Promise<CaseRecord | null> {
    const result = await this.#pool.query<CaseRow>(`SELECT * FROM ${this.#s}.cases WHERE case_id = $1`, [
      caseId,
    ]);
    const row = result.rows[0];
    if (!row) return null;
    return {
      caseId: row.case_id,
      workflow: row.workflow,
      workflowVersion: row.workflow_version,
      version: row.version,
      state: row.state,
      label: row.label,
      final: row.final,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async commitStep(step: StepCommit): Promise<CommitResult> {
    return this.#transaction<CommitResult>(async (client) => {
      // The row lock taken here serializes concurrent steps; the loser re-reads the row and matches nothing.
      const updated = await client.query<{ version: number }>(
        `UPDATE ${this.#s}.cases SET version = version + 1, state = $3::jsonb, label = $4, final = $5, updated_at = $6
         WHERE case_id = $1 AND version = $2
         RETURNING version`,
        [step.caseId, step.expectedVersion, json(step.state), step.label, step.final, step.at],
      );
      const version = updated.rows[0]?.version;
      if (version === undefined) return { value: { ok: false, conflict: true }, rollback: true };
      await this.#writeStep(client, step.caseId, version, step);
      return { value: { ok: true, version } };
    });
  }

  async listCases(query: CaseListQuery): Promise<CaseSummary[]> {
    const limit = caseListLimit(query);
    if (query.labels?.length === 0) return [];
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.workflow !== undefined) where.push(`workflow = ${param(query.workflow)}`);
    if (query.labels !== undefined) where.push(`label = ANY(${param([...query.labels])}::text[])`);
    if (query.final !== undefined) where.push(`final = ${param(query.final)}`);
    if (query.before !== undefined) {
      const updatedAt = param(query.before.updatedAt);
      const caseId = param(query.before.caseId);
      where.push(
        `(updated_at, case_id COLLATE "C") < (${updatedAt}::timestamptz, ${caseId}::text COLLATE "C")`,
      );
    }
    const result = await this.#pool.query<
      Pick<CaseRow, 'case_id' | 'workflow' | 'label' | 'final' | 'version' | 'updated_at'>
    >(
      `SELECT case_id, workflow, label, final, version, updated_at FROM ${this.#s}.cases
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY updated_at DESC, case_id COLLATE "C" DESC
       LIMIT ${param(limit)}`,
      params,
    );
    return result.rows.map((row) => ({
      caseId: row.case_id,
      workflow: row.workflow,
      label: row.label,
      final: row.final,
      version: row.version,
      updatedAt: row.updated_at,
    }));
  }

  async events(caseId: string): Promise<{ seq: number; event: unknown; at: Date }[]> {
    const result = await this.#pool.query<{ seq: number; event: unknown; at: Date }>(
      `SELECT seq, event, at FROM ${this.#s}.events WHERE case_id = $1 ORDER BY seq`,
      [caseId],
    );
    return result.rows.map((row) => ({ seq: row.seq, event: row.event, at: row.at }));
  }

  async claimOutbox(worker: string, limit: number, leaseMs: number, now: Date): Promise<OutboxItem[]> {
    if (limit <= 0) return [];
    const result = await this.#pool.query<{
      id: string;
      case_id: string;
      idempotency_key: string;
      effect: unknown;
      attempts: number;
    }>(
      `UPDATE ${this.#s}.outbox AS o
       SET leased_by = $1, lease_until = $4, attempts = o.attempts + 1
       FROM (
         SELECT id FROM ${this.#s}.outbox
         WHERE status = 'pending'
           AND (available_at IS NULL OR available_at <= $3)
           AND (lease_until IS NULL OR lease_until <= $3)
         ORDER BY id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ) AS picked
       WHERE o.id = picked.id
       RETURNING o.id, o.case_id, o.idempotency_key, o.effect, o.attempts - 1 AS attempts`,
      [worker, limit, now, new Date(now.getTime() + leaseMs)],
    );
    return result.rows
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .map((row) => ({
        id: row.id,
        caseId: row.case_id,
        idempotencyKey: row.idempotency_key,
        effect: row.effect,
        attempts: row.attempts,
      }));
  }

  async completeOutbox(id: string, worker: string, result: unknown, now: Date): Promise<void> {
    // A worker whose lease expired and was taken over changes nothing: the new holder decides.
    await this.#pool.query(
      `UPDATE ${this.#s}.outbox
       SET status = 'done', result = $3::jsonb, completed_at = $4, lease_until = NULL
       WHERE id = $1 AND leased_by = $2 AND status = 'pending'`,
      [id, worker, json(result), now],
    );
  }

  async failOutbox(id: string, worker: string, error: string, retryAt: Date): Promise<void> {
    await this.#pool.query(
      `UPDATE ${this.#s}.outbox
       SET leased_by = NULL, lease_until = NULL, available_at = $4, last_error = $3
       WHERE id = $1 AND leased_by = $2 AND status = 'pending'`,
      [id, worker, error, retryAt],
    );
  }

  async claimDueTimers(worker: string, limit: number, leaseMs: number, now: Date): Promise<DueTimer[]> {
    if (limit <= 0) return [];
    const result = await this.#pool.query<{ case_id: string; key: string; event: unknown; due_at: Date }>(
      `UPDATE ${this.#s}.timers AS t
       SET leased_by = $1, lease_until = $4
       FROM (
         SELECT case_id, key FROM ${this.#s}.timers
         WHERE due_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
         ORDER BY due_at, case_id, key
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ) AS picked
       WHERE t.case_id = picked.case_id AND t.key = picked.key
       RETURNING t.case_id, t.key, t.event, t.due_at`,
      [worker, limit, now, new Date(now.getTime() + leaseMs)],
    );
    return result.rows
      .map((row) => ({ caseId: row.case_id, key: row.key, event: row.event, dueAt: row.due_at }))
      .sort(
        (a, b) =>
          a.dueAt.getTime() - b.dueAt.getTime() ||
          (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0) ||
          (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      );
  }

  async completeTimer(caseId: string, key: string, worker: string): Promise<void> {
    await this.#pool.query(
      `DELETE FROM ${this.#s}.timers WHERE case_id = $1 AND key = $2 AND leased_by = $3`,
      [caseId, key, worker],
    );
  }

  async purgeFinalCases(before: Date): Promise<number> {
    // Events, outbox rows and timers go with their case (ON DELETE CASCADE).
    const result = await this.#pool.query(`DELETE FROM ${this.#s}.cases WHERE final AND updated_at < $1`, [
      before,
    ]);
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end();
  }
}
