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
  /** Stores the message unless (recipient, key) exists; true when it was new. */
  put(recipient: string, key: string, payload: unknown, now: Date): Promise<boolean>;
  /** Unacknowledged messages, oldest first. */
  list(recipient: string, options?: { after?: number; limit?: number }): Promise<MailboxMessage[]>;
  get(recipient: string, key: string): Promise<MailboxMessage | null>;
  /** True when a message was removed. */
  ack(recipient: string, key: string): Promise<boolean>;
  /** Retention: removes messages created before `before`; returns how many. */
  purgeBefore(before: Date): Promise<number>;
}

export class InMemoryMailbox implements Mailbox {
  private readonly messages = new Map<string, MailboxMessage>();
  private seq = 0;

  async put(recipient: string, key: string, payload: unknown, now: Date): Promise<boolean> {
    const id = JSON.stringify([recipient, key]);
    if (this.messages.has(id)) return false;
    this.seq += 1;
    this.messages.set(id, {
      recipient,
      key,
      seq: this.seq,
      payload: structuredClone(payload),
      createdAt: now,
    });
    return true;
  }

  async list(recipient: string, options: { after?: number; limit?: number } = {}): Promise<MailboxMessage[]> {
    return [...this.messages.values()]
      .filter((m) => m.recipient === recipient && m.seq > (options.after ?? 0))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, options.limit ?? 100)
      .map((m) => structuredClone(m));
  }

  async get(recipient: string, key: string): Promise<MailboxMessage | null> {
    const message = this.messages.get(JSON.stringify([recipient, key]));
    return message === undefined ? null : structuredClone(message);
  }

  async ack(recipient: string, key: string): Promise<boolean> {
    return this.messages.delete(JSON.stringify([recipient, key]));
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
