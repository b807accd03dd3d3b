/**
 * A worker process for the kill test: `node --conditions=@mynakit/source --import tsx crash-worker.ts <db> <remote-db>
 * <cases> <worker-id> [hang-after]`. It starts the order cases (once), then loops over outbox, timers and confirmations until every
 * case is final. The "remote side" is a second SQLite file that dedupes by idempotency key, as a payment provider
 * would; it also logs every call. With `hang-after` N, the worker stops dead right after its Nth side effect (before
 * completing it), so the parent's SIGKILL lands in the worst window; then the parent starts another worker.
 */

import { hasErrorCode } from '@mynakit/card';
import Database from 'better-sqlite3';
import { WorkflowRuntime } from '../../src/engine/runtime.js';
import { SqliteWorkflowStore } from '../../src/sqlite/index.js';
import { type OrderState, orderWorkflow } from './order-workflow.js';

const [dbFile, remoteFile, caseCountText, workerId, hangAfterText] = process.argv.slice(2);
if (
  dbFile === undefined ||
  remoteFile === undefined ||
  caseCountText === undefined ||
  workerId === undefined
) {
  throw new Error('usage: crash-worker <db> <remote-db> <cases> <worker-id>');
}
const caseIds = Array.from({ length: Number(caseCountText) }, (_, i) => `order-${i}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hangAfter = hangAfterText === undefined ? Number.POSITIVE_INFINITY : Number(hangAfterText);
let effectsDone = 0;

/** Report a performed side effect; at the chosen one, hang (the parent kills us) before the outbox hears of it. */
async function performed(caseId: string, kind: string): Promise<void> {
  process.stdout.write(`effect ${caseId} ${kind}\n`);
  if (++effectsDone >= hangAfter) {
    process.stdout.write('hanging\n');
    // Stay alive (an empty event loop would let Node exit) and never return: only SIGKILL ends this process.
    setInterval(() => {}, 60_000);
    await new Promise(() => {});
  }
  await sleep(3);
}

const remote = new Database(remoteFile);
remote.pragma('busy_timeout = 5000');
remote.pragma('journal_mode = WAL');
remote.exec(`
  CREATE TABLE IF NOT EXISTS performed (key TEXT PRIMARY KEY, case_id TEXT NOT NULL, kind TEXT NOT NULL, answer TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, key TEXT NOT NULL, worker TEXT NOT NULL);
`);
/** The remote's own transaction: log the call, do the work only for a new key, answer with the first result. */
const perform = remote.transaction((kind: string, caseId: string, idempotencyKey: string): string => {
  const key = `${caseId}/${idempotencyKey}`;
  remote.prepare('INSERT INTO calls (key, worker) VALUES (?, ?)').run(key, workerId);
  remote
    .prepare(
      'INSERT INTO performed (key, case_id, kind, answer) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
    )
    .run(key, caseId, kind, `${kind}:${key}:${workerId}`);
  return (remote.prepare('SELECT answer FROM performed WHERE key = ?').pluck().get(key) as string) ?? '';
});

const store = await SqliteWorkflowStore.open(dbFile);
const runtime = new WorkflowRuntime({
  store,
  workflows: [orderWorkflow],
  workerId,
  // Short leases so that the restarted worker soon takes over what the killed one held.
  leaseMs: 300,
  retryDelayMs: () => 20,
});

for (const caseId of caseIds) {
  try {
    await runtime.start(orderWorkflow, caseId, { amount: 100 });
  } catch (error) {
    if (!hasErrorCode(error, 'CASE_EXISTS')) throw error;
  }
}

const handlers = {
  charge: async (
    _effect: unknown,
    { caseId, idempotencyKey }: { caseId: string; idempotencyKey: string },
  ) => {
    await sleep(3);
    const receipt = perform('charge', caseId, idempotencyKey);
    await performed(caseId, 'charge');
    return { event: { type: 'payment-succeeded', receipt } };
  },
  print: async (_effect: unknown, { caseId, idempotencyKey }: { caseId: string; idempotencyKey: string }) => {
    await sleep(3);
    perform('print', caseId, idempotencyKey);
    await performed(caseId, 'print');
    return { event: { type: 'printed' } };
  },
};

for (;;) {
  await runtime.runOutboxOnce(handlers, { limit: 2 });
  await runtime.runTimersOnce();
  let open = 0;
  for (const caseId of caseIds) {
    const snapshot = await runtime.getCase(caseId);
    if (snapshot === null || snapshot.final) continue;
    open++;
    // The customer confirms as soon as the receipt is printed.
    if ((snapshot.state as OrderState).status === 'printed')
      await runtime.dispatch(caseId, { type: 'confirmed' });
  }
  if (open === 0) break;
  await sleep(5);
}

process.stdout.write('done\n');
await store.close();
remote.close();
