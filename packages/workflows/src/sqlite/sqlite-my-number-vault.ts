import type Database from 'better-sqlite3';
import type { Keyring } from '../privacy/sealed-box.js';
import { type MyNumberVault, openMyNumber, sealMyNumber } from '../w4/my-number-vault.js';
import { migrateComponent, type SqliteComponentMigration } from './component-migrations.js';

const migrations: readonly SqliteComponentMigration[] = [
  {
    version: 1,
    name: 'W4 My Number vault',
    sql: `
      CREATE TABLE w4_my_numbers (
        customer_id TEXT PRIMARY KEY,
        sealed BLOB NOT NULL,
        stored_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/** W4.6 My Numbers, sealed, in the SQLite workflow database: `new SqliteMyNumberVault(store.database, { keyring })`. */
export class SqliteMyNumberVault implements MyNumberVault {
  readonly #db: Database.Database;
  readonly #keyring: Keyring;

  constructor(db: Database.Database, options: { readonly keyring: Keyring }) {
    this.#db = db;
    this.#keyring = options.keyring;
  }

  async migrate(): Promise<void> {
    migrateComponent(this.#db, 'w4-my-numbers', migrations);
  }

  async put(customerId: string, myNumber: string, now: Date): Promise<void> {
    const sealed = await sealMyNumber(this.#keyring, customerId, myNumber);
    this.#db
      .prepare(
        `INSERT INTO w4_my_numbers (customer_id, sealed, stored_at) VALUES (?, ?, ?)
         ON CONFLICT (customer_id) DO UPDATE SET sealed = excluded.sealed, stored_at = excluded.stored_at`,
      )
      .run(customerId, Buffer.from(sealed), now.toISOString());
  }

  async has(customerId: string): Promise<boolean> {
    return (
      this.#db.prepare('SELECT 1 FROM w4_my_numbers WHERE customer_id = ?').get(customerId) !== undefined
    );
  }

  async reveal(customerId: string): Promise<string | null> {
    const row = this.#db.prepare('SELECT sealed FROM w4_my_numbers WHERE customer_id = ?').get(customerId) as
      | { sealed: Buffer }
      | undefined;
    return row === undefined ? null : openMyNumber(this.#keyring, customerId, new Uint8Array(row.sealed));
  }

  async delete(customerId: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM w4_my_numbers WHERE customer_id = ?').run(customerId).changes > 0;
  }
}
