import type pg from 'pg';
import type { Mailbox, MailboxMessage } from '../stores/mailbox.js';
import { pageLimit } from '../stores/page-limit.js';
import { inTransaction, type PostgresComponentMigration, toJson } from './component-migrations.js';
import { PostgresComponent } from './postgres-component.js';

const migrations: readonly PostgresComponentMigration[] = [
  {
    version: 1,
    name: 'mailbox',
    sql: (s) => `
      CREATE TABLE ${s}.mailbox (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        recipient text NOT NULL,
        key text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        acked boolean NOT NULL DEFAULT false,
        UNIQUE (recipient, key)
      );
      CREATE INDEX mailbox_pending ON ${s}.mailbox (recipient, seq) WHERE NOT acked;
      CREATE INDEX mailbox_created ON ${s}.mailbox (created_at);
    `,
  },
];

interface MessageRow {
  seq: string;
  recipient: string;
  key: string;
  payload: unknown;
  created_at: Date;
}

/**
 * The Mailbox in the PostgreSQL workflow schema, shared by every server process:
 * `new PostgresMailbox(store.pool, { schema: store.schema })`, then `migrate()`.
 */
export class PostgresMailbox extends PostgresComponent implements Mailbox {
  constructor(pool: pg.Pool, options: { readonly schema?: string } = {}) {
    super(pool, options.schema, 'mailbox', migrations);
  }

  async put(recipient: string, key: string, payload: unknown, now: Date): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // Puts to one recipient take turns, so its seqs become visible in order: a sequence value drawn by a
      // transaction that commits later would otherwise slip under a poller's `after`.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `mynakit-mailbox:${this.schema}:${recipient}`,
      ]);
      const inserted = await client.query(
        `INSERT INTO ${this.s}.mailbox (recipient, key, payload, created_at) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (recipient, key) DO NOTHING`,
        [recipient, key, toJson(payload), now],
      );
      return inserted.rowCount === 1;
    });
  }

  async list(recipient: string, options: { after?: number; limit?: number } = {}): Promise<MailboxMessage[]> {
    const result = await this.pool.query<MessageRow>(
      `SELECT seq, recipient, key, payload, created_at FROM ${this.s}.mailbox
       WHERE recipient = $1 AND NOT acked AND seq > $2 ORDER BY seq LIMIT $3`,
      [recipient, options.after ?? 0, pageLimit(options.limit, 100)],
    );
    return result.rows.map(toMessage);
  }

  async get(recipient: string, key: string): Promise<MailboxMessage | null> {
    const result = await this.pool.query<MessageRow>(
      `SELECT seq, recipient, key, payload, created_at FROM ${this.s}.mailbox
       WHERE recipient = $1 AND key = $2 AND NOT acked`,
      [recipient, key],
    );
    const row = result.rows[0];
    return row === undefined ? null : toMessage(row);
  }

  async ack(recipient: string, key: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE ${this.s}.mailbox SET acked = true WHERE recipient = $1 AND key = $2 AND NOT acked`,
      [recipient, key],
    );
    return result.rowCount === 1;
  }

  async purgeBefore(before: Date): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.s}.mailbox WHERE created_at < $1`, [before]);
    return result.rowCount ?? 0;
  }
}

function toMessage(row: MessageRow): MailboxMessage {
  // bigint arrives as a string; seqs stay far below 2^53.
  return {
    recipient: row.recipient,
    key: row.key,
    seq: Number(row.seq),
    payload: row.payload,
    createdAt: row.created_at,
  };
}
