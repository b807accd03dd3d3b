import { pageLimit } from './page-limit.js';

/**
 * Durable messages to a device, kiosk or booth, for what the recipient collects by polling (W3 print confirmation
 * requests, kiosk print data). `put` is idempotent on (recipient, key), so an effect re-run after a crash leaves one
 * message; a recipient acks what it handled. SQLite and PostgreSQL versions share the workflow store's database, so
 * every server process sees every message.
 */
export interface MailboxMessage {
  readonly recipient: string;
  readonly key: string;
  /** Increasing per mailbox database: poll with `after` to get only newer messages. */
  readonly seq: number;
  readonly payload: unknown;
  readonly createdAt: Date;
}

export interface Mailbox {
  /**
   * Stores the message unless (recipient, key) was ever put (an acknowledged key stays taken until the retention
   * purge, so a re-run effect does not deliver again); true when it was new. The payload is JSON.
   */
  put(recipient: string, key: string, payload: unknown, now: Date): Promise<boolean>;
  /** Unacknowledged messages with `seq` above `after`, oldest first (default limit 100, at most 1000). */
  list(recipient: string, options?: { after?: number; limit?: number }): Promise<MailboxMessage[]>;
  /** The unacknowledged message, or null. */
  get(recipient: string, key: string): Promise<MailboxMessage | null>;
  /** True when an unacknowledged message was acknowledged (it no longer shows in `list` and `get`). */
  ack(recipient: string, key: string): Promise<boolean>;
  /** Retention: removes messages created before `before`, acknowledged or not; returns how many. */
  purgeBefore(before: Date): Promise<number>;
}

export class InMemoryMailbox implements Mailbox {
  private readonly messages = new Map<string, MailboxMessage & { acked: boolean }>();
  private seq = 0;

  async put(recipient: string, key: string, payload: unknown, now: Date): Promise<boolean> {
    const id = JSON.stringify([recipient, key]);
    if (this.messages.has(id)) return false;
    this.seq += 1;
    // A JSON round trip, as the databases store it.
    const stored = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
    this.messages.set(id, { recipient, key, seq: this.seq, payload: stored, createdAt: now, acked: false });
    return true;
  }

  async list(recipient: string, options: { after?: number; limit?: number } = {}): Promise<MailboxMessage[]> {
    const limit = pageLimit(options.limit, 100);
    return [...this.messages.values()]
      .filter((m) => m.recipient === recipient && !m.acked && m.seq > (options.after ?? 0))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map(copy);
  }

  async get(recipient: string, key: string): Promise<MailboxMessage | null> {
    const message = this.messages.get(JSON.stringify([recipient, key]));
    return message === undefined || message.acked ? null : copy(message);
  }

  async ack(recipient: string, key: string): Promise<boolean> {
    const message = this.messages.get(JSON.stringify([recipient, key]));
    if (message === undefined || message.acked) return false;
    message.acked = true;
    return true;
  }

  async purgeBefore(before: Date): Promise<number> {
    let removed = 0;
    for (const [id, message] of this.messages) {
      if (message.createdAt < before) {
        this.messages.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}

function copy(message: MailboxMessage): MailboxMessage {
  return {
    recipient: message.recipient,
    key: message.key,
    seq: message.seq,
    payload: structuredClone(message.payload),
    createdAt: new Date(message.createdAt),
  };
}
