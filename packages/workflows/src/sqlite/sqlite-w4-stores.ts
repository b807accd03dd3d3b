import type Database from 'better-sqlite3';
import type { Keyring } from '../privacy/sealed-box.js';
import { openEvidence, sealEvidence } from '../stores/sealed-evidence.js';
import {
  type AccountBinding,
  type AccountBindingStore,
  accountBindingSchema,
  type EvidenceRecord,
  type EvidenceStore,
} from '../w4/stores.js';
import { migrateComponent, type SqliteComponentMigration } from './component-migrations.js';

const bindingMigrations: readonly SqliteComponentMigration[] = [
  {
    version: 1,
    name: 'W4 account bindings',
    sql: `
      CREATE TABLE w4_account_bindings (
        account_key TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        auth_serial TEXT NOT NULL,
        bound_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX w4_account_bindings_customer ON w4_account_bindings (customer_id);
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
 * W4 account bindings in the SQLite workflow database: `new SqliteAccountBindingStore(store.database)`, then
 * `migrate()`. The primary key on the account key makes `bindIfAbsent` atomic across processes.
 */
export class SqliteAccountBindingStore implements AccountBindingStore {
  constructor(private readonly db: Database.Database) {}

  /** Create or upgrade the table (idempotent; safe when several processes start at once). */
  async migrate(): Promise<void> {
    migrateComponent(this.db, 'w4-account-bindings', bindingMigrations);
  }

  async findByAccountKey(accountKey: string): Promise<AccountBinding | null> {
    const row = this.db.prepare('SELECT * FROM w4_account_bindings WHERE account_key = ?').get(accountKey) as
      | BindingRow
      | undefined;
    return row === undefined ? null : toBinding(row);
  }

  async bindIfAbsent(binding: AccountBinding): Promise<{ binding: AccountBinding; created: boolean }> {
    const b = accountBindingSchema.parse(binding);
    return this.db
      .transaction(() => {
        const inserted = this.db
          .prepare(
            `INSERT INTO w4_account_bindings (account_key, customer_id, auth_serial, bound_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (account_key) DO NOTHING`,
          )
          .run(b.accountKey, b.customerId, b.authSerial, b.boundAt);
        if (inserted.changes === 1) return { binding: b, created: true };
        const row = this.db
          .prepare('SELECT * FROM w4_account_bindings WHERE account_key = ?')
          .get(b.accountKey) as BindingRow;
        return { binding: toBinding(row), created: false };
      })
      .immediate();
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

const evidenceMigrations: readonly SqliteComponentMigration[] = [
  {
    version: 1,
    name: 'W4 identity evidence',
    // Only what ordering and retention need is in clear; the evidence (its certificate carries the basic four) is sealed.
    sql: `
      CREATE TABLE w4_evidence (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        customer_id TEXT NOT NULL,
        verifier_id TEXT NOT NULL,
        verified_ms INTEGER NOT NULL,
        retain_until_ms INTEGER NOT NULL,
        sealed BLOB NOT NULL
      );
      CREATE INDEX w4_evidence_customer ON w4_evidence (customer_id, verified_ms DESC, seq DESC);
      CREATE INDEX w4_evidence_retain ON w4_evidence (retain_until_ms);
    `,
  },
];

interface EvidenceRow {
  id: string;
  customer_id: string;
  verifier_id: string;
  sealed: Uint8Array;
}

/**
 * W4 identity evidence in the SQLite workflow database, sealed at rest with the keyring:
 * `new SqliteEvidenceStore(store.database, { keyring })`, then `migrate()`.
 */
export class SqliteEvidenceStore implements EvidenceStore {
  private readonly keyring: Keyring;

  constructor(
    private readonly db: Database.Database,
    options: { readonly keyring: Keyring },
  ) {
    this.keyring = options.keyring;
  }

  /** Create or upgrade the table (idempotent; safe when several processes start at once). */
  async migrate(): Promise<void> {
    migrateComponent(this.db, 'w4-evidence', evidenceMigrations);
  }

  async put(record: EvidenceRecord): Promise<void> {
    const { record: r, sealed } = await sealEvidence(this.keyring, record);
    this.db
      .prepare(
        `INSERT INTO w4_evidence (id, customer_id, verifier_id, verified_ms, retain_until_ms, sealed)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(
        r.id,
        r.customerId,
        r.verifierId,
        Date.parse(r.evidence.verifiedAt),
        Date.parse(r.evidence.retainUntil),
        // better-sqlite3 binds Buffers (not plain Uint8Arrays) as BLOBs; a view, not a copy.
        Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength),
      );
  }

  async latestFor(customerId: string): Promise<EvidenceRecord | null> {
    const row = this.db
      .prepare(
        `SELECT id, customer_id, verifier_id, sealed FROM w4_evidence
         WHERE customer_id = ? ORDER BY verified_ms DESC, seq DESC LIMIT 1`,
      )
      .get(customerId) as EvidenceRow | undefined;
    if (row === undefined) return null;
    return openEvidence(
      this.keyring,
      { id: row.id, customerId: row.customer_id, verifierId: row.verifier_id },
      row.sealed,
    );
  }

  async purgeExpired(now: Date): Promise<number> {
    return this.db.prepare('DELETE FROM w4_evidence WHERE retain_until_ms <= ?').run(now.getTime()).changes;
  }
}
