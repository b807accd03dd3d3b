import { afterAll, describe, expect, it } from 'vitest';
import { PostgresHistoryPhotoIndex, PostgresWorkflowStore } from '../src/postgres/index.js';
import { SqliteHistoryPhotoIndex, SqliteWorkflowStore } from '../src/sqlite/index.js';
import { InMemoryHistoryPhotoIndex } from '../src/stores/history-photo-index.js';
import { describeHistoryPhotoIndexContract } from './support/history-contract.js';
import { dropSchema, postgresUrl, randomSchema, testPool } from './support/postgres.js';

describeHistoryPhotoIndexContract('memory', async () => ({
  index: new InMemoryHistoryPhotoIndex(),
  cleanup: async () => {},
}));

describeHistoryPhotoIndexContract('sqlite', async () => {
  const store = await SqliteWorkflowStore.open(':memory:');
  const index = new SqliteHistoryPhotoIndex(store.database);
  return { index, migrate: () => index.migrate(), cleanup: () => store.close() };
});

describeHistoryPhotoIndexContract('postgres', async () => {
  const schema = randomSchema();
  const store = await PostgresWorkflowStore.connect(postgresUrl, { schema });
  const index = new PostgresHistoryPhotoIndex(store.pool, { schema: store.schema });
  return {
    index,
    migrate: () => index.migrate(),
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describe('PostgresHistoryPhotoIndex', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('several processes migrating at once, alongside the workflow store, end with one copy of each migration', async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const pools = await Promise.all([1, 2, 3].map(() => testPool(2)));
    try {
      const stores = await Promise.all(pools.map((pool) => PostgresWorkflowStore.connect(pool, { schema })));
      const indexes = pools.map((pool) => new PostgresHistoryPhotoIndex(pool, { schema }));
      // The schema does not exist yet: whoever comes first creates it, the others wait on the advisory lock.
      await Promise.all([...stores.map((s) => s.migrate()), ...indexes.map((i) => i.migrate())]);
      const rows = await pools[0]?.query<{ component: string; version: number }>(
        `SELECT component, version FROM "${schema}".component_migrations`,
      );
      expect(rows?.rows).toEqual([{ component: 'history-photos', version: 1 }]);
      await indexes[1]?.add({
        personKey: 'person-key-0000000000000',
        photoId: 'a'.repeat(32),
        kind: 'booth',
        capturedAt: '2026-01-01T00:00:00Z',
        caseId: 'c',
      });
      expect(await indexes[2]?.list('person-key-0000000000000')).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
