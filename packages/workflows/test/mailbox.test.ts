import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresMailbox, PostgresWorkflowStore } from '../src/postgres/index.js';
import { SqliteMailbox, SqliteWorkflowStore } from '../src/sqlite/index.js';
import { InMemoryMailbox } from '../src/stores/mailbox.js';
import { describeMailboxContract } from './support/mailbox-contract.js';
import { dropSchema, postgresUrl, randomSchema, testPool } from './support/postgres.js';

describeMailboxContract('memory', async () => ({ mailbox: new InMemoryMailbox(), cleanup: async () => {} }));

describeMailboxContract('sqlite', async () => {
  const store = await SqliteWorkflowStore.open(':memory:');
  const mailbox = new SqliteMailbox(store.database);
  return { mailbox, migrate: () => mailbox.migrate(), cleanup: () => store.close() };
});

describeMailboxContract('postgres', async () => {
  const schema = randomSchema();
  const store = await PostgresWorkflowStore.connect(postgresUrl, { schema });
  const mailbox = new PostgresMailbox(store.pool, { schema: store.schema });
  return {
    mailbox,
    migrate: () => mailbox.migrate(),
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
});

const t0 = new Date('2026-01-01T00:00:00.000Z');

describe('SqliteMailbox', () => {
  it('two connections to one file share the messages; a key put by both is stored once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mynakit-mailbox-'));
    try {
      const file = join(dir, 'wf.db');
      const stores = [await SqliteWorkflowStore.open(file), await SqliteWorkflowStore.open(file)];
      const [a, b] = stores.map((s) => new SqliteMailbox(s.database)) as [SqliteMailbox, SqliteMailbox];
      await Promise.all([a.migrate(), b.migrate()]);
      expect(await a.put('kiosk', 'job', { from: 'a' }, t0)).toBe(true);
      expect(await b.put('kiosk', 'job', { from: 'b' }, t0)).toBe(false);
      expect((await b.get('kiosk', 'job'))?.payload).toEqual({ from: 'a' });
      expect(await b.ack('kiosk', 'job')).toBe(true);
      expect(await a.list('kiosk')).toEqual([]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgresMailbox', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  async function twoConnections() {
    const schema = randomSchema();
    schemas.push(schema);
    const pools = [await testPool(8), await testPool(8)];
    const mailboxes = pools.map((pool) => new PostgresMailbox(pool, { schema })) as [
      PostgresMailbox,
      PostgresMailbox,
    ];
    // Both migrate at once, as two server processes starting together would.
    await Promise.all(mailboxes.map((m) => m.migrate()));
    return { mailboxes, close: () => Promise.all(pools.map((p) => p.end())) };
  }

  it('a put of one (recipient, key) from two connections at once is stored exactly once', async () => {
    const { mailboxes, close } = await twoConnections();
    try {
      const [a, b] = mailboxes;
      for (let i = 0; i < 20; i++) {
        const results = await Promise.all([
          a.put('device', `key-${i}`, { from: 'a' }, t0),
          b.put('device', `key-${i}`, { from: 'b' }, t0),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results[0] ? 'a' : 'b';
        expect((await a.get('device', `key-${i}`))?.payload).toEqual({ from: winner });
      }
      expect(await b.list('device')).toHaveLength(20);
    } finally {
      await close();
    }
  });

  it('a poller following `after` misses nothing while many connections put at once', async () => {
    const { mailboxes, close } = await twoConnections();
    try {
      const [a, b] = mailboxes;
      const seen: string[] = [];
      let after = 0;
      const poll = async () => {
        const batch = await a.list('kiosk', { after });
        for (const m of batch) seen.push(m.key);
        after = batch.at(-1)?.seq ?? after;
      };
      let putting = true;
      const puts = Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).put('kiosk', `m${i}`, { i }, t0)),
      ).finally(() => {
        putting = false;
      });
      // One poller, polling again and again while the puts are in flight, then once more after they committed.
      const poller = (async () => {
        while (putting) await poll();
      })();
      await Promise.all([puts, poller]);
      await poll();
      expect([...seen].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
      expect(new Set(seen).size).toBe(40);
    } finally {
      await close();
    }
  });

  it('refuses a schema name that would need quoting', () => {
    expect(() => new PostgresMailbox(null as never, { schema: 'Bad"; DROP' })).toThrow(/invalid schema name/);
  });
});
