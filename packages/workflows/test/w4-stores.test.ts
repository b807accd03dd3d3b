import { afterAll, describe, expect, it } from 'vitest';
import {
  PostgresAccountBindingStore,
  PostgresEvidenceStore,
  PostgresWorkflowStore,
} from '../src/postgres/index.js';
import { PrivacyError } from '../src/privacy/errors.js';
import { generateKeyBase64, Keyring } from '../src/privacy/sealed-box.js';
import { SqliteAccountBindingStore, SqliteEvidenceStore, SqliteWorkflowStore } from '../src/sqlite/index.js';
import { InMemoryAccountBindingStore, InMemoryEvidenceStore } from '../src/w4/stores.js';
import { dropSchema, postgresUrl, randomSchema, testPool } from './support/postgres.js';
import { binding, describeW4StoresContract, evidenceRecord } from './support/w4-stores-contract.js';

const k1 = { id: 'k1', key: generateKeyBase64() };
const k2 = { id: 'k2', key: generateKeyBase64() };
const keyring = await Keyring.fromConfig({ current: 'k1', keys: [k1] });

describeW4StoresContract('memory', async () => ({
  accounts: new InMemoryAccountBindingStore(),
  evidence: new InMemoryEvidenceStore(),
  cleanup: async () => {},
}));

describeW4StoresContract('sqlite', async () => {
  const store = await SqliteWorkflowStore.open(':memory:');
  const accounts = new SqliteAccountBindingStore(store.database);
  const evidence = new SqliteEvidenceStore(store.database, { keyring });
  return {
    accounts,
    evidence,
    migrate: async () => {
      await accounts.migrate();
      await evidence.migrate();
    },
    cleanup: () => store.close(),
  };
});

describeW4StoresContract('postgres', async () => {
  const schema = randomSchema();
  const store = await PostgresWorkflowStore.connect(postgresUrl, { schema });
  const accounts = new PostgresAccountBindingStore(store.pool, { schema: store.schema });
  const evidence = new PostgresEvidenceStore(store.pool, { schema: store.schema, keyring });
  return {
    accounts,
    evidence,
    migrate: async () => {
      await Promise.all([accounts.migrate(), evidence.migrate()]);
    },
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
});

/** What must never be readable from the database: the certificate (it carries the basic four) and its serial. */
function leaks(bytes: Uint8Array): boolean {
  const record = evidenceRecord({ id: 'secret' });
  const text = Buffer.from(bytes);
  return [record.evidence.certificate, record.evidence.serialNumber, '山田太郎'].some((needle) =>
    text.includes(Buffer.from(needle)),
  );
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrivacyError);
  expect((error as PrivacyError).code).toBe(code);
}

describe('SqliteEvidenceStore', () => {
  async function open(ring = keyring) {
    const store = await SqliteWorkflowStore.open(':memory:');
    const evidence = new SqliteEvidenceStore(store.database, { keyring: ring });
    await evidence.migrate();
    return { store, evidence };
  }

  it('keeps the evidence sealed at rest: no certificate, serial or name in the table', async () => {
    const { store, evidence } = await open();
    try {
      await evidence.put(evidenceRecord({ id: 'secret' }));
      const rows = store.database.prepare('SELECT * FROM w4_evidence').all() as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      for (const value of Object.values(rows[0] ?? {})) {
        const bytes = value instanceof Uint8Array ? value : Buffer.from(String(value));
        expect(leaks(bytes)).toBe(false);
      }
    } finally {
      await store.close();
    }
  });

  it('a blob moved to another customer no longer opens', async () => {
    const { store, evidence } = await open();
    try {
      await evidence.put(evidenceRecord({ id: 'e1' }));
      store.database.prepare("UPDATE w4_evidence SET customer_id = 'customer-2'").run();
      await rejectsWith(evidence.latestFor('customer-2'), 'DECRYPT_FAILED');
    } finally {
      await store.close();
    }
  });

  it('reads records sealed with an older key after a rotation; without that key they are shredded', async () => {
    const { store, evidence } = await open();
    try {
      await evidence.put(evidenceRecord({ id: 'under-k1' }));
      const rotated = new SqliteEvidenceStore(store.database, {
        keyring: await Keyring.fromConfig({ current: 'k2', keys: [k1, k2] }),
      });
      expect((await rotated.latestFor('customer-1'))?.id).toBe('under-k1');
      const dropped = new SqliteEvidenceStore(store.database, {
        keyring: await Keyring.fromConfig({ current: 'k2', keys: [k2] }),
      });
      await rejectsWith(dropped.latestFor('customer-1'), 'UNKNOWN_KEY');
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL W4 stores', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });
  const fresh = () => {
    const schema = randomSchema();
    schemas.push(schema);
    return schema;
  };

  it('concurrent first logins with one card on two connections both get the same binding', async () => {
    const schema = fresh();
    const pools = [await testPool(8), await testPool(8)];
    try {
      const stores = pools.map((pool) => new PostgresAccountBindingStore(pool, { schema }));
      await Promise.all(stores.map((s) => s.migrate()));
      for (let round = 0; round < 10; round++) {
        const accountKey = `root:serial-${round}`;
        const results = await Promise.all(
          stores.flatMap((s, i) => [
            s.bindIfAbsent(binding({ accountKey, customerId: `customer-${i}-a` })),
            s.bindIfAbsent(binding({ accountKey, customerId: `customer-${i}-b` })),
          ]),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)?.binding;
        for (const r of results) expect(r.binding).toEqual(winner);
      }
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('keeps the evidence sealed at rest, bound to its row', async () => {
    const schema = fresh();
    const pool = await testPool(2);
    try {
      const evidence = new PostgresEvidenceStore(pool, { schema, keyring });
      await evidence.migrate();
      await evidence.put(evidenceRecord({ id: 'secret' }));
      const rows = await pool.query<Record<string, unknown>>(`SELECT * FROM "${schema}".w4_evidence`);
      expect(rows.rows).toHaveLength(1);
      for (const value of Object.values(rows.rows[0] ?? {})) {
        const bytes = value instanceof Uint8Array ? value : Buffer.from(String(value));
        expect(leaks(bytes)).toBe(false);
      }
      await pool.query(`UPDATE "${schema}".w4_evidence SET customer_id = 'customer-2'`);
      await rejectsWith(evidence.latestFor('customer-2'), 'DECRYPT_FAILED');
    } finally {
      await pool.end();
    }
  });
});
