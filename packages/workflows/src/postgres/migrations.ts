import type pg from 'pg';
import { lockKey } from './schema-name.js';

/**
 * The schema of the PostgreSQL workflow store, as numbered migrations. Never edit a released migration: add the next
 * number. `s` is the already-quoted schema name.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  sql(s: string): string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cases, events, outbox, timers',
    sql: (s) => `
      CREATE TABLE ${s}.cases (
        case_id text PRIMARY KEY,
        workflow text NOT NULL,
        workflow_version integer NOT NULL,
        version integer NOT NULL,
        state jsonb NOT NULL,
        final boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      -- The retention purge looks for old final cases.
      CREATE INDEX cases_final_updated ON ${s}.cases (updated_at) WHERE final;

      -- Append-only: seq equals the case version the event produced.
      CREATE TABLE ${s}.events (
        case_id text NOT NULL REFERENCES ${s}.cases (case_id) ON DELETE CASCADE,
        seq integer NOT NULL,
        event jsonb NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (case_id, seq)
      );

      CREATE TABLE ${s}.outbox (
        id bigserial PRIMARY KEY,
        case_id text NOT NULL REFERENCES ${s}.cases (case_id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        effect jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
        attempts integer NOT NULL DEFAULT 0,
        -- NULL: runnable now; otherwise the retry time set by failOutbox.
        available_at timestamptz,
        leased_by text,
        lease_until timestamptz,
        last_error text,
        result jsonb,
        created_at timestamptz NOT NULL,
        completed_at timestamptz,
        -- An effect runs at most once per case and key, even when a step is retried.
        UNIQUE (case_id, idempotency_key)
      );
      CREATE INDEX outbox_pending ON ${s}.outbox (id) WHERE status = 'pending';

      CREATE TABLE ${s}.timers (
        case_id text NOT NULL REFERENCES ${s}.cases (case_id) ON DELETE CASCADE,
        key text NOT NULL,
        due_at timestamptz NOT NULL,
        event jsonb NOT NULL,
        leased_by text,
        lease_until timestamptz,
        PRIMARY KEY (case_id, key)
      );
      CREATE INDEX timers_due ON ${s}.timers (due_at);
    `,
  },
  {
    version: 2,
    name: 'case labels for listing',
    // Existing cases get a label with their next step. Case ids sort in byte order ("C"), as in SQLite.
    sql: (s) => `
      ALTER TABLE ${s}.cases ADD COLUMN label text;
      CREATE INDEX cases_updated ON ${s}.cases (updated_at DESC, case_id COLLATE "C" DESC);
      CREATE INDEX cases_label_updated ON ${s}.cases (label, updated_at DESC, case_id COLLATE "C" DESC);
      CREATE INDEX cases_workflow_updated ON ${s}.cases (workflow, updated_at DESC, case_id COLLATE "C" DESC);
    `,
  },
];

/**
 * Applies the missing migrations in one transaction. Several processes may start at once: a transaction-scoped
 * advisory lock (keyed by the schema name) makes them take turns, and the later ones find nothing left to do.
 */
export async function migrate(client: pg.ClientBase, schema: string, quotedSchema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quotedSchema}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const applied = await client.query<{ version: number }>(
      `SELECT version FROM ${quotedSchema}.schema_migrations`,
    );
    const done = new Set(applied.rows.map((row) => row.version));
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    const newer = [...done].filter((v) => v > known);
    if (newer.length > 0) {
      throw new Error(
        `schema "${schema}" has migration ${Math.max(...newer)}, newer than this @mynakit/workflows knows (${known}): upgrade the package`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql(quotedSchema));
      await client.query(`INSERT INTO ${quotedSchema}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
