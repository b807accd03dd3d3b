import Database from 'better-sqlite3';
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
import { statement } from './statements.js';

/** Numbered, append-only: a released migration is never edited, a change is a new entry. */
const migrations: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'cases, events, outbox, timers',
    sql: `
      CREATE TABLE cases (
        case_id TEXT PRIMARY KEY,
        workflow TEXT NOT NULL,
        workflow_version INTEGER NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (json_valid(state)),
        final INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX cases_final_updated ON cases (final, updated_at);

      CREATE TABLE events (
        case_id TEXT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        event TEXT NOT NULL CHECK (json_valid(event)),
        at INTEGER NOT NULL,
        PRIMARY KEY (case_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
        idempotency_key TEXT NOT NULL,
        effect TEXT NOT NULL CHECK (json_valid(effect)),
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
        attempts INTEGER NOT NULL DEFAULT 0,
        available_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        last_error TEXT,
        result TEXT CHECK (result IS NULL OR json_valid(result)),
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        UNIQUE (case_id, idempotency_key)
      );
      CREATE INDEX outbox_pending ON outbox (status, available_at);

      CREATE TABLE timers (
        case_id TEXT NOT NULL REFERENCES cases (case_id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        event TEXT NOT NULL CHECK (json_valid(event)),
        lease_owner TEXT,
        lease_until INTEGER,
        PRIMARY KEY (case_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX timers_due ON timers (due_at);
    `,
  },
  {
    version: 2,
    name: 'case labels for listing',
    // Existing cases get a label with their next step.
    sql: `
      ALTER TABLE cases ADD COLUMN label TEXT;
      CREATE INDEX cases_updated ON cases (updated_at DESC, case_id DESC);
      CREATE INDEX cases_label_updated ON cases (label, updated_at DESC, case_id DESC);
      CREATE INDEX cases_workflow_updated ON cases (workflow, updated_at DESC, case_id DESC);
    `,
  },
];

export interface SqliteStoreOptions {
  /** Run the migrations on open (default true). */
  readonly migrate?: boolean;
  /** How long a writer waits for another process's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

interface CaseRow {
  case_id: string;
  workflow: string;
  workflow_version: number;
  version: number;
  state: string;
  label: string | null;
  final: number;
  created_at: number;
  updated_at: number;
}

/** JSON for a column; `undefined` (a handler with no result) is stored as null. */
function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/**
 * The embedded default store: one SQLite file in WAL mode, shared safely by several processes on one host.
 * better-sqlite3 is synchronous; the async interface is kept so the engine treats every store alike.
 * Times are epoch milliseconds (INTEGER), JSON values are TEXT checked with json_valid.
 */
export class SqliteWorkflowStore implements WorkflowStore {
  private constructor(private readonly db: Database.Database) {}

  /**
   * The open connection, for stores that share this database (`SqliteMailbox`, `SqliteHistoryPhotoIndex`,
   * `SqliteAccountBindingStore`, `SqliteEvidenceStore`). Closed by `close()`.
   */
  get database(): Database.Database {
    return this.db;
  }

  /** Open (and by default migrate) a database file, or `':memory:'` for tests. */
  static async open(file: string, options: SqliteStoreOptions = {}): Promise<SqliteWorkflowStore> {
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      db.pragma('journal_mode = WAL');
      // FULL: a committed step survives a power loss, not only a process crash (durable before acknowledged).
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (error) {
      db.close();
      throw error;
    }
    const store = new SqliteWorkflowStore(db);
    if (options.migrate !== false) await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    // IMMEDIATE takes the write lock first, so two processes starting at once apply each migration once.
    this.db
      .transaction(() => {
        const applied = new Set(
          statement(this.db, 'SELECT version FROM schema_migrations')
            .pluck()
            .all()
            .map((v) => Number(v)),
        );
        const record = statement(
          this.db,
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        );
        for (const migration of migrations) {
          if (applied.has(migration.version)) continue;
          this.db.exec(migration.sql);
          record.run(migration.version, migration.name, Date.now());
        }
      })
      .immediate();
  }

  async createCase(
    record: { caseId: string; workflow: string; workflowVersion: number },
    first: Omit<StepCommit, 'caseId' | 'expectedVersion'>,
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        const inserted = statement(
          this.db,
          `INSERT INTO cases (case_id, workflow, workflow_version, version, state, label, final, created_at, updated_at)
             VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING`,
        ).run(
          record.caseId,
          record.workflow,
          record.workflowVersion,
          json(first.state),
          first.label,
          first.final ? 1 : 0,
          first.at.getTime(),
          first.at.getTime(),
        );
        if (inserted.changes === 0) return false;
        this.applyStep(record.caseId, 1, first);
        return true;
      })
      .immediate();
  }

  async loadCase(caseId: string): Promise<CaseRecord | null> {
    const row = statement(this.db, 'SELECT * FROM cases WHERE case_id = ?').get(caseId) as
      | CaseRow
      | undefined;
    if (row === undefined) return null;
    return {
      caseId: row.case_id,
      workflow: row.workflow,
      workflowVersion: row.workflow_version,
      version: row.version,
      state: JSON.parse(row.state),
      label: row.label,
      final: row.final === 1,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    };
  }

  async commitStep(step: StepCommit): Promise<CommitResult> {
    return this.db
      .transaction((): CommitResult => {
        const version = step.expectedVersion + 1;
        const updated = statement(
          this.db,
          'UPDATE cases SET version = ?, state = ?, label = ?, final = ?, updated_at = ? WHERE case_id = ? AND version = ?',
        ).run(
          version,
          json(step.state),
          step.label,
          step.final ? 1 : 0,
          step.at.getTime(),
          step.caseId,
          step.expectedVersion,
        );
        if (updated.changes === 0) return { ok: false, conflict: true };
        this.applyStep(step.caseId, version, step);
        return { ok: true, version };
      })
      .immediate();
  }

  /** The rest of a step, inside the caller's transaction: event log, outbox, timers (cancels before upserts). */
  private applyStep(
    caseId: string,
    seq: number,
    step: {
      event: unknown;
      effects: readonly NewOutboxEffect[];
      timers: readonly NewTimer[];
      cancelTimers: readonly string[];
      at: Date;
    },
  ): void {
    const now = step.at.getTime();
    statement(this.db, 'INSERT INTO events (case_id, seq, event, at) VALUES (?, ?, ?, ?)').run(
      caseId,
      seq,
      json(step.event),
      now,
    );
    const addEffect = statement(
      this.db,
      `INSERT INTO outbox (case_id, idempotency_key, effect, available_at, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (case_id, idempotency_key) DO NOTHING`,
    );
    for (const effect of step.effects)
      addEffect.run(caseId, effect.idempotencyKey, json(effect.effect), now, now);
    const cancel = statement(this.db, 'DELETE FROM timers WHERE case_id = ? AND key = ?');
    for (const key of step.cancelTimers) cancel.run(caseId, key);
    // Moving a timer also drops its lease, so a worker that fired the old one cannot complete (delete) the new one.
    const upsert = statement(
      this.db,
      `INSERT INTO timers (case_id, key, due_at, event, lease_owner, lease_until) VALUES (?, ?, ?, ?, NULL, NULL)
       ON CONFLICT (case_id, key) DO UPDATE SET due_at = excluded.due_at, event = excluded.event, lease_owner = NULL, lease_until = NULL`,
    );
    for (const timer of step.timers) upsert.run(caseId, timer.key, timer.dueAt.getTime(), json(timer.event));
  }

  async listCases(query: CaseListQuery): Promise<CaseSummary[]> {
    const limit = caseListLimit(query);
    if (query.labels?.length === 0) return [];
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.workflow !== undefined) {
      where.push('workflow = ?');
      params.push(query.workflow);
    }
    if (query.labels !== undefined) {
      where.push(`label IN (${query.labels.map(() => '?').join(', ')})`);
      params.push(...query.labels);
    }
    if (query.final !== undefined) {
      where.push('final = ?');
      params.push(query.final ? 1 : 0);
    }
    if (query.before !== undefined) {
      where.push('(updated_at, case_id) < (?, ?)');
      params.push(query.before.updatedAt.getTime(), query.before.caseId);
    }
    const rows = statement(
      this.db,
      `SELECT case_id, workflow, label, final, version, updated_at FROM cases
         ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY updated_at DESC, case_id DESC LIMIT ?`,
    ).all(...params, limit) as Pick<
      CaseRow,
      'case_id' | 'workflow' | 'label' | 'final' | 'version' | 'updated_at'
    >[];
    return rows.map((row) => ({
      caseId: row.case_id,
      workflow: row.workflow,
      label: row.label,
      final: row.final === 1,
      version: row.version,
      updatedAt: new Date(row.updated_at),
    }));
  }

  async events(caseId: string): Promise<{ seq: number; event: unknown; at: Date }[]> {
    const rows = statement(this.db, 'SELECT seq, event, at FROM events WHERE case_id = ? ORDER BY seq').all(
      caseId,
    ) as {
      seq: number;
      event: string;
      at: number;
    }[];
    return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.event), at: new Date(row.at) }));
  }

  async claimOutbox(worker: string, limit: number, leaseMs: number, now: Date): Promise<OutboxItem[]> {
    const at = now.getTime();
    const rows = statement(
      this.db,
      `UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id IN (
           SELECT id FROM outbox
           WHERE status = 'pending' AND available_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
           ORDER BY id LIMIT ?
         )
         RETURNING id, case_id, idempotency_key, effect, attempts`,
    ).all(worker, at + leaseMs, at, at, limit) as {
      id: number;
      case_id: string;
      idempotency_key: string;
      effect: string;
      attempts: number;
    }[];
    return rows
      .sort((a, b) => a.id - b.id)
      .map((row) => ({
        id: String(row.id),
        caseId: row.case_id,
        idempotencyKey: row.idempotency_key,
        effect: JSON.parse(row.effect),
        attempts: row.attempts - 1,
      }));
  }

  /** Silently ignored unless `worker` holds the lease: a worker that lost its lease must not overwrite the new holder. */
  async completeOutbox(id: string, worker: string, result: unknown, now: Date): Promise<void> {
    statement(
      this.db,
      `UPDATE outbox SET status = 'done', result = ?, completed_at = ?, lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
    ).run(json(result), now.getTime(), Number(id), worker);
  }

  async failOutbox(id: string, worker: string, error: string, retryAt: Date): Promise<void> {
    statement(
      this.db,
      `UPDATE outbox SET available_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
    ).run(retryAt.getTime(), error, Number(id), worker);
  }

  async claimDueTimers(worker: string, limit: number, leaseMs: number, now: Date): Promise<DueTimer[]> {
    const at = now.getTime();
    const rows = statement(
      this.db,
      `UPDATE timers SET lease_owner = ?, lease_until = ?
         WHERE (case_id, key) IN (
           SELECT case_id, key FROM timers
           WHERE due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
           ORDER BY due_at, case_id, key LIMIT ?
         )
         RETURNING case_id, key, event, due_at`,
    ).all(worker, at + leaseMs, at, at, limit) as {
      case_id: string;
      key: string;
      event: string;
      due_at: number;
    }[];
    return rows
      .sort((a, b) => a.due_at - b.due_at || a.case_id.localeCompare(b.case_id) || a.key.localeCompare(b.key))
      .map((row) => ({
        caseId: row.case_id,
        key: row.key,
        event: JSON.parse(row.event),
        dueAt: new Date(row.due_at),
      }));
  }

  async completeTimer(caseId: string, key: string, worker: string): Promise<void> {
    statement(this.db, 'DELETE FROM timers WHERE case_id = ? AND key = ? AND lease_owner = ?').run(
      caseId,
      key,
      worker,
    );
  }

  async purgeFinalCases(before: Date): Promise<number> {
    // Events, outbox rows and timers go with the case (ON DELETE CASCADE).
    return statement(this.db, 'DELETE FROM cases WHERE final = 1 AND updated_at < ?').run(before.getTime())
      .changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
