import { SqliteWorkflowStore } from '@mynakit/workflows/sqlite';
import { type SupervisedServer, waitUntil } from './server-process.js';

/**
 * After an injected crash: waits for the kill and the supervisor's restart, then until the restarted process has
 * emptied the outbox, and stops it. The database is opened first and handed to `keep` (for the test's cleanup).
 */
export async function settleAfterCrash(
  server: SupervisedServer,
  dbFile: string,
  keep: (store: SqliteWorkflowStore) => void,
): Promise<SqliteWorkflowStore> {
  await waitUntil(() => server.crashes === 1, 'the injected crash');
  await server.ready();
  const store = await SqliteWorkflowStore.open(dbFile, { migrate: false });
  keep(store);
  const pending = store.database.prepare("SELECT count(*) FROM outbox WHERE status = 'pending'").pluck();
  await waitUntil(() => pending.get() === 0, 'an empty outbox');
  await server.stop();
  return store;
}
