import type pg from 'pg';
import type { Keyring } from '../privacy/sealed-box.js';
import { type MyNumberVault, openMyNumber, sealMyNumber } from '../w4/my-number-vault.js';
import type { PostgresComponentMigration } from './component-migrations.js';
import { PostgresComponent } from './postgres-component.js';

const migrations: readonly PostgresComponentMigration[] = [
  {
    version: 1,
    name: 'W4 My Number vault',
    sql: (s) => `
      CREATE TABLE ${s}.w4_my_numbers (
        customer_id text PRIMARY KEY,
        sealed bytea NOT NULL,
        stored_at timestamptz NOT NULL
      );
    `,
  },
];

/**
 * W4.6 My Numbers, sealed, in the PostgreSQL workflow schema:
 * `new PostgresMyNumberVault(store.pool, { schema: store.schema, keyring })`, then `migrate()`.
 */
export class PostgresMyNumberVault extends PostgresComponent implements MyNumberVault {
  readonly #keyring: Keyring;

  constructor(pool: pg.Pool, options: { readonly schema?: string; readonly keyring: Keyring }) {
    super(pool, options.schema, 'w4-my-numbers', migrations);
    this.#keyring = options.keyring;
  }

  async put(customerId: string, myNumber: string, now: Date): Promise<void> {
    const sealed = await sealMyNumber(this.#keyring, customerId, myNumber);
    await this.pool.query(
      `INSERT INTO ${this.s}.w4_my_numbers (customer_id, sealed, stored_at) VALUES ($1, $2, $3)
       ON CONFLICT (customer_id) DO UPDATE SET sealed = excluded.sealed, stored_at = excluded.stored_at`,
      [customerId, Buffer.from(sealed), now],
    );
  }

  async has(customerId: string): Promise<boolean> {
    const result = await this.pool.query(`SELECT 1 FROM ${this.s}.w4_my_numbers WHERE customer_id = $1`, [
      customerId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async reveal(customerId: string): Promise<string | null> {
    const result = await this.pool.query<{ sealed: Buffer }>(
      `SELECT sealed FROM ${this.s}.w4_my_numbers WHERE customer_id = $1`,
      [customerId],
    );
    const row = result.rows[0];
    return row === undefined ? null : openMyNumber(this.#keyring, customerId, new Uint8Array(row.sealed));
  }

  async delete(customerId: string): Promise<boolean> {
    const result = await this.pool.query(`DELETE FROM ${this.s}.w4_my_numbers WHERE customer_id = $1`, [
      customerId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }
}
