import type pg from 'pg';
import type { Keyring } from '../privacy/sealed-box.js';
import { openEvidence, sealEvidence } from '../stores/sealed-evidence.js';
import {
  type AccountBinding,
  type AccountBindingStore,
  accountBindingSchema,
  type EvidenceRecord,
  type EvidenceStore,
} from '../w4/stores.js';
import type { PostgresComponentMigration } from './component-migrations.js';
import { PostgresComponent } from './postgres-component.js';

const bindingMigrations: readonly PostgresComponentMigration[] = [
  {
    version: 1,
    name: 'W4 account bindings',
    sql: (s) => `
      CREATE TABLE ${s}.w4_account_bindings (
        account_key text PRIMARY KEY,
        customer_id text NOT NULL,
        auth_serial text NOT NULL,
        bound_at text NOT NULL
      );
      CREATE INDEX w4_account_bindings_customer ON ${s}.w4_account_bindings (customer_id);
    `,
  },
];

interface BindingRow {
  account_key: string;
  customer_id: string;
  auth_serial: string;
  bound_at: string;
}

/**
 * W4 account bindings in the PostgreSQL workflow schema:
 * `new PostgresAccountBindingStore(store.pool, { schema: store.schema })`, then `migrate()`.
 */
export class PostgresAccountBindingStore extends PostgresComponent implements AccountBindingStore {
  constructor(pool: pg.Pool, options: { readonly schema?: string } = {}) {
    super(pool, options.schema, 'w4-account-bindings', bindingMigrations);
  }

  async findByAccountKey(accountKey: string): Promise<AccountBinding | null> {
    const result = await this.pool.query<BindingRow>(
      `SELECT * FROM ${this.s}.w4_account_bindings WHERE account_key = $1`,
      [accountKey],
    );
    const row = result.rows[0];
    return row === undefined ? null : toBinding(row);
  }

  async bindIfAbsent(binding: AccountBinding): Promise<{ binding: AccountBinding; created: boolean }> {
    const b = accountBindingSchema.parse(binding);
    // A concurrent first login with the same card waits on the unique key, inserts nothing, and then (a new
    // statement, a new snapshot) reads the winner's committed row.
    const inserted = await this.pool.query(
      `INSERT INTO ${this.s}.w4_account_bindings (account_key, customer_id, auth_serial, bound_at)
       VALUES ($1, $2, $3, $4) ON CONFLICT (account_key) DO NOTHING`,
      [b.accountKey, b.customerId, b.authSerial, b.boundAt],
    );
    if (inserted.rowCount === 1) return { binding: b, created: true };
    const existing = await this.findByAccountKey(b.accountKey);
    if (existing === null) throw new Error('account binding vanished after a conflicting insert');
    return { binding: existing, created: false };
  }
}

function toBinding(row: BindingRow): AccountBinding {
  return accountBindingSchema.parse({
    customerId: row.customer_id,
    accountKey: row.account_key,
    authSerial: row.auth_serial,
    boundAt: row.bound_at,
  });
}

const evidenceMigrations: readonly PostgresComponentMigration[] = [
  {
    version: 1,
    name: 'W4 identity evidence',
    // Only what ordering and retention need is in clear; the evidence (its certificate carries the basic four) is sealed.
    sql: (s) => `
      CREATE TABLE ${s}.w4_evidence (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        customer_id text NOT NULL,
        verifier_id text NOT NULL,
        verified_at timestamptz NOT NULL,
        retain_until timestamptz NOT NULL,
        sealed bytea NOT NULL
      );
      CREATE INDEX w4_evidence_customer ON ${s}.w4_evidence (customer_id, verified_at DESC, seq DESC);
      CREATE INDEX w4_evidence_retain ON ${s}.w4_evidence (retain_until);
    `,
  },
];

interface EvidenceRow {
  id: string;
  customer_id: string;
  verifier_id: string;
  sealed: Buffer;
}

/**
 * W4 identity evidence in the PostgreSQL workflow schema, sealed at rest with the keyring:
 * `new PostgresEvidenceStore(store.pool, { schema: store.schema, keyring })`, then `migrate()`.
 */
export class PostgresEvidenceStore extends PostgresComponent implements EvidenceStore {
  readonly #keyring: Keyring;

  constructor(pool: pg.Pool, options: { readonly schema?: string; readonly keyring: Keyring }) {
    super(pool, options.schema, 'w4-evidence', evidenceMigrations);
    this.#keyring = options.keyring;
  }

  async put(record: EvidenceRecord): Promise<void> {
    const { record: r, sealed } = await sealEvidence(this.#keyring, record);
    await this.pool.query(
      `INSERT INTO ${this.s}.w4_evidence (id, customer_id, verifier_id, verified_at, retain_until, sealed)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [
        r.id,
        r.customerId,
        r.verifierId,
        new Date(Date.parse(r.evidence.verifiedAt)),
        new Date(Date.parse(r.evidence.retainUntil)),
        Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength),
      ],
    );
  }

  async latestFor(customerId: string): Promise<EvidenceRecord | null> {
    const result = await this.pool.query<EvidenceRow>(
      `SELECT id, customer_id, verifier_id, sealed FROM ${this.s}.w4_evidence
       WHERE customer_id = $1 ORDER BY verified_at DESC, seq DESC LIMIT 1`,
      [customerId],
    );
    const row = result.rows[0];
    if (row === undefined) return null;
    return openEvidence(
      this.#keyring,
      { id: row.id, customerId: row.customer_id, verifierId: row.verifier_id },
      row.sealed,
    );
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.s}.w4_evidence WHERE retain_until <= $1`, [now]);
    return result.rowCount ?? 0;
  }
}
