import type { SqliteWorkflowStore } from '@mynakit/workflows/sqlite';

type Database = SqliteWorkflowStore['database'];

export type CustomerStatus = 'verified' | 'reverify';

/**
 * The business's own list of customers whose identity it verified: what the scheduled 現況確認 walks through. Ids
 * only (the business's opaque customer ids); the evidence itself is in mynakit's sealed evidence store.
 */
export class CustomerDirectory {
  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS example_ekyc_customers (
      customer_id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) WITHOUT ROWID`);
  }

  set(customerId: string, status: CustomerStatus, at: Date): void {
    this.db
      .prepare(
        `INSERT INTO example_ekyc_customers (customer_id, status, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (customer_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      )
      .run(customerId, status, at.toISOString());
  }

  /** Customers to re-check: those verified and not already asked to verify again. */
  toRecheck(): string[] {
    const rows = this.db
      .prepare(
        `SELECT customer_id FROM example_ekyc_customers WHERE status = 'verified' ORDER BY customer_id`,
      )
      .all() as { customer_id: string }[];
    return rows.map((row) => row.customer_id);
  }
}
