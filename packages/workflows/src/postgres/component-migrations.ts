import type pg from 'pg';
import { lockKey } from './schema-name.js';

/** One schema change of a store that shares the workflow schema. `s` is the quoted schema name. Append-only. */
export interface PostgresComponentMigration {
  readonly version: number;
  readonly name: string;
  sql(s: string): string;
}

/**
 * Applies a component's missing migrations (mailbox, history index, W4 stores: each its own numbering, apart from
 * the workflow store's `schema_migrations`) in one transaction. It takes the same advisory lock as the workflow
 * store's migrations, so every process starting at once takes its turn, schema creation included.
 */
export async function migrateComponent(
  pool: pg.Pool,
  schema: string,
  component: string,
  migrations: readonly PostgresComponentMigration[],
): Promise<void> {
  const s = `"${schema}"`;
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.component_migrations (
        component text NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, version)
      )`,
    );
    const applied = await client.query<{ version: number }>(
      `SELECT version FROM ${s}.component_migrations WHERE component = $1`,
      [component],
    );
    const done = new Set(applied.rows.map((row) => row.version));
    const known = Math.max(...migrations.map((m) => m.version));
    const newer = [...done].filter((v) => v > known);
    if (newer.length > 0) {
      throw new Error(
        `schema "${schema}" has ${component} migration ${Math.max(...newer)}, newer than this @mynakit/workflows knows (${known}): upgrade the package`,
      );
    }
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql(s));
      await client.query(
        `INSERT INTO ${s}.component_migrations (component, version, name) VALUES ($1, $2, $3)`,
        [component, migration.version, migration.name],
      );
    }
  });
}

/** Runs `fn` in a transaction on one pooled connection; a connection that cannot even roll back is destroyed. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const value = await fn(client);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** JSON values travel as text and are cast to jsonb in SQL (pg would send a JS array as a PostgreSQL array). */
export function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}
