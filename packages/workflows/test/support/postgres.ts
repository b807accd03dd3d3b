import { randomBytes } from 'node:crypto';
import pg from 'pg';

// CI runs scripts/setup.sh, which starts this server (scripts/start-postgres.sh). No server is a failure, not a skip.
export const postgresUrl = process.env.MYNAKIT_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/mynakit_test';

/** A fresh schema name per test, so concurrent test runs never see each other's rows. */
export function randomSchema(): string {
  return `mynakit_test_${randomBytes(6).toString('hex')}`;
}

/** A pool for one test, with a hint when the server is not running. */
export async function testPool(max = 4): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: postgresUrl, max });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not reachable (${(error as Error).message}). Start it with scripts/start-postgres.sh or set MYNAKIT_PG_URL.`,
    );
  }
  return pool;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
