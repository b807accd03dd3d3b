/**
 * A worker process for the PostgreSQL concurrency test:
 * `node --conditions=@mynakit/source --import tsx postgres-outbox-worker.ts <url> <schema> <worker-id> [crash]`.
 * It prints `ready`, waits for a line on stdin, then claims outbox items from the shared schema, records each one in
 * the `processed` table (the "side effect") and completes it, until no item is pending. With `crash` it claims a
 * batch with a short lease and exits without recording or completing anything: a worker that died mid-batch.
 */

import { createInterface } from 'node:readline';
import pg from 'pg';
import { PostgresWorkflowStore } from '../../src/postgres/index.js';

const [url, schema, workerId, mode] = process.argv.slice(2);
if (url === undefined || schema === undefined || workerId === undefined) {
  throw new Error('usage: postgres-outbox-worker <url> <schema> <worker-id> [crash]');
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const pool = new pg.Pool({ connectionString: url, max: 3 });
const store = await PostgresWorkflowStore.connect(pool, { schema });
await store.migrate();

if (mode === 'crash') {
  const items = await store.claimOutbox(workerId, 7, 1000, new Date());
  process.stdout.write(`claimed ${items.length}\n`);
  // No complete, no fail: the lease must run out before anyone else may take these.
  await pool.end();
  process.exit(0);
}

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();

let processed = 0;
for (;;) {
  const items = await store.claimOutbox(workerId, 5, 60_000, new Date());
  for (const item of items) {
    await pool.query(
      `INSERT INTO "${schema}".processed (outbox_id, case_id, idempotency_key, worker) VALUES ($1, $2, $3, $4)`,
      [item.id, item.caseId, item.idempotencyKey, workerId],
    );
    await store.completeOutbox(item.id, workerId, { by: workerId }, new Date());
    processed++;
  }
  if (items.length > 0) continue;
  const pending = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${schema}".outbox WHERE status = 'pending'`,
  );
  if (pending.rows[0]?.n === 0) break;
  // Items leased by others (or by the crashed worker, until its lease expires).
  await sleep(25);
}

process.stdout.write(`done ${processed}\n`);
await store.close();
await pool.end();
