import type Database from 'better-sqlite3';
import type { Mailbox, MailboxMessage } from '../stores/mailbox.js';
import { pageLimit } from '../stores/page-limit.js';
import { migrateComponent, type SqliteComponentMigration, toJson } from './component-migrations.js';
import { statement } from './statements.js';

const migrations: readonly SqliteComponentMigration[] = [
  {
    version: 1,
    name: 'mailbox',
    // AUTOINCREMENT: a seq is never reused after a purge, so a poller's `after` never skips a new message.
    sql: `
      CREATE TABLE mailbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        recipient TEXT NOT NULL,
        key TEXT NOT NULL,
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        created_at INTEGER NOT NULL,
        acked INTEGER NOT NULL DEFAULT 0,
        UNIQUE (recipient, key)
      );
      CREATE INDEX mailbox_pending ON mailbox (recipient, seq) WHERE acked = 0;
      CREATE INDEX mailbox_created ON mailbox (created_at);
    `,
  },
];

interface MessageRow {
  seq: number;
  recipient: string;
  key: string;
  payload: string;
  created_at: number;
}

/**
 * The Mailbox in the SQLite workflow database: `new SqliteMailbox(store.database)`, then `migrate()`. Writes are
 * serialized by SQLite, so `seq` grows in commit order and polling with `after` misses nothing.
 */
export class SqliteMailbox implements Mailbox {
  constructor(private readonly db: Database.Database) {}

  /** Create or upgrade the table (idempotent; safe when several processes start at once). */
  async migrate(): Promise<void> {
    migrateComponent(this.db, 'mailbox', migrations);
  }

  async put(recipient: string, key: string, payload: unknown, now: Date): Promise<boolean> {
    const inserted = statement(
      this.db,
      `INSERT INTO mailbox (recipient, key, payload, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (recipient, key) DO NOTHING`,
    ).run(recipient, key, toJson(payload), now.getTime());
    return inserted.changes === 1;
  }

  async list(recipient: string, options: { after?: number; limit?: number } = {}): Promise<MailboxMessage[]> {
    const rows = statement(
      this.db,
      `SELECT seq, recipient, key, payload, created_at FROM mailbox
         WHERE recipient = ? AND acked = 0 AND seq > ? ORDER BY seq LIMIT ?`,
    ).all(recipient, options.after ?? 0, pageLimit(options.limit, 100)) as MessageRow[];
    return rows.map(toMessage);
  }

  async get(recipient: string, key: string): Promise<MailboxMessage | null> {
    const row = statement(
      this.db,
      'SELECT seq, recipient, key, payload, created_at FROM mailbox WHERE recipient = ? AND key = ? AND acked = 0',
    ).get(recipient, key) as MessageRow | undefined;
    return row === undefined ? null : toMessage(row);
  }

  async ack(recipient: string, key: string): Promise<boolean> {
    return (
      statement(this.db, 'UPDATE mailbox SET acked = 1 WHERE recipient = ? AND key = ? AND acked = 0').run(
        recipient,
        key,
      ).changes === 1
    );
  }

  async purgeBefore(before: Date): Promise<number> {
    return statement(this.db, 'DELETE FROM mailbox WHERE created_at < ?').run(before.getTime()).changes;
  }
}

function toMessage(row: MessageRow): MailboxMessage {
  return {
    recipient: row.recipient,
    key: row.key,
    seq: row.seq,
    payload: JSON.parse(row.payload),
    createdAt: new Date(row.created_at),
  };
}
