import type Database from 'better-sqlite3';
import {
  type AttemptThrottle,
  type RateDecision,
  type RateLimit,
  rateLimitSchema,
  takeFromBucket,
} from '../reception/rate-limiter.js';
import { migrateComponent, type SqliteComponentMigration } from './component-migrations.js';

const migrations: readonly SqliteComponentMigration[] = [
  {
    version: 1,
    name: 'rate-limit buckets',
    sql: `
      CREATE TABLE rate_limit_buckets (
        bucket_key TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * Token buckets in the SQLite workflow database: every process on the file shares one allowance per key.
 * `new SqliteRateLimiter(store.database, limit)`, then `migrate()`.
 */
export class SqliteRateLimiter implements AttemptThrottle {
  readonly #db: Database.Database;
  readonly #limit: RateLimit;
  readonly #clock: () => number;

  constructor(db: Database.Database, limit: RateLimit, clock: () => number = Date.now) {
    this.#db = db;
    this.#limit = rateLimitSchema.parse(limit);
    this.#clock = clock;
  }

  async migrate(): Promise<void> {
    migrateComponent(this.#db, 'rate-limits', migrations);
  }

  async take(key: string): Promise<RateDecision> {
    // IMMEDIATE: the read and the write of one attempt hold the write lock, so two processes never both spend the
    // last token.
    return this.#db
      .transaction(() => {
        const row = this.#db
          .prepare('SELECT tokens, updated_at FROM rate_limit_buckets WHERE bucket_key = ?')
          .get(key) as { tokens: number; updated_at: number } | undefined;
        const { bucket, decision } = takeFromBucket(
          this.#limit,
          row === undefined ? undefined : { tokens: row.tokens, at: row.updated_at },
          this.#clock(),
        );
        this.#db
          .prepare(
            `INSERT INTO rate_limit_buckets (bucket_key, tokens, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (bucket_key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
          )
          .run(key, bucket.tokens, bucket.at);
        return decision;
      })
      .immediate();
  }

  /** Drops buckets untouched since `before` (a full bucket carries no information). */
  async purgeBefore(before: Date): Promise<number> {
    return this.#db.prepare('DELETE FROM rate_limit_buckets WHERE updated_at < ?').run(before.getTime())
      .changes;
  }
}
