import type pg from 'pg';
import {
  type AttemptThrottle,
  type RateDecision,
  type RateLimit,
  rateLimitSchema,
  takeFromBucket,
} from '../reception/rate-limiter.js';
import type { PostgresComponentMigration } from './component-migrations.js';
import { PostgresComponent } from './postgres-component.js';

const migrations: readonly PostgresComponentMigration[] = [
  {
    version: 1,
    name: 'rate-limit buckets',
    sql: (s) => `
      CREATE TABLE ${s}.rate_limit_buckets (
        bucket_key text PRIMARY KEY,
        tokens double precision NOT NULL,
        updated_at bigint NOT NULL
      );
    `,
  },
];

/**
 * Token buckets in the PostgreSQL workflow schema: every server process shares one allowance per key (a kiosk gets
 * its attempts once, not once per process). `new PostgresRateLimiter(store.pool, limit, { schema: store.schema })`.
 */
export class PostgresRateLimiter extends PostgresComponent implements AttemptThrottle {
  readonly #limit: RateLimit;
  readonly #clock: () => number;

  constructor(
    pool: pg.Pool,
    limit: RateLimit,
    options: { readonly schema?: string; readonly clock?: () => number } = {},
  ) {
    super(pool, options.schema, 'rate-limits', migrations);
    this.#limit = rateLimitSchema.parse(limit);
    this.#clock = options.clock ?? Date.now;
  }

  async take(key: string): Promise<RateDecision> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // The row lock serialises attempts on one key across processes; a new key is created first so it can be locked.
      await client.query(
        `INSERT INTO ${this.s}.rate_limit_buckets (bucket_key, tokens, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (bucket_key) DO NOTHING`,
        [key, this.#limit.capacity, this.#clock()],
      );
      const row = (
        await client.query<{ tokens: number; updated_at: string }>(
          `SELECT tokens, updated_at FROM ${this.s}.rate_limit_buckets WHERE bucket_key = $1 FOR UPDATE`,
          [key],
        )
      ).rows[0];
      const { bucket, decision } = takeFromBucket(
        this.#limit,
        row === undefined ? undefined : { tokens: Number(row.tokens), at: Number(row.updated_at) },
        this.#clock(),
      );
      await client.query(
        `UPDATE ${this.s}.rate_limit_buckets SET tokens = $2, updated_at = $3 WHERE bucket_key = $1`,
        [key, bucket.tokens, bucket.at],
      );
      await client.query('COMMIT');
      return decision;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Drops buckets untouched since `before` (a full bucket carries no information). */
  async purgeBefore(before: Date): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.s}.rate_limit_buckets WHERE updated_at < $1`, [
      before.getTime(),
    ]);
    return result.rowCount ?? 0;
  }
}
