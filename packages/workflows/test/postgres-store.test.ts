import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkflowRuntime } from '../src/engine/runtime.js';
import { PostgresWorkflowStore } from '../src/postgres/index.js';
import { FakeRemote, type OrderState, orderHandlers, orderWorkflow } from './support/order-workflow.js';
import { describeStoreContract } from './support/store-contract.js';

// CI runs scripts/setup.sh, which starts this server (scripts/start-postgres.sh). No server is a failure, not a skip.
const url = process.env.MYNAKIT_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/mynakit_test';
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const workerScript = join(packageDir, 'test', 'support', 'postgres-outbox-worker.ts');

/** A fresh schema name per store, so test runs (and tests) never see each other's rows. */
function randomSchema(): string {
  return `mynakit_test_${randomBytes(6).toString('hex')}`;
}

async function connect(schema: string): Promise<PostgresWorkflowStore> {
  try {
    return await PostgresWorkflowStore.connect(url, { schema });
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable (${(error as Error).message}). Start it with scripts/start-postgres.sh or set MYNAKIT_PG_URL.`,
    );
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

describeStoreContract('postgres', async () => {
  const schema = randomSchema();
  const store = await connect(schema);
  return {
    store,
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
});

const t0 = new Date('2026-01-01T00:00:00.000Z');
const first = (effects: { idempotencyKey: string; effect: unknown }[] = []) => ({
  state: { n: 0 },
  label: null,
  final: false,
  event: { type: 'started' },
  effects,
  timers: [],
  cancelTimers: [],
  at: t0,
});

describe('PostgresWorkflowStore', () => {
  const schemas: string[] = [];
  const fresh = () => {
    const schema = randomSchema();
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('refuses a schema name that would need quoting', async () => {
    await expect(PostgresWorkflowStore.connect(url, { schema: 'Bad"; DROP' })).rejects.toThrow(
      /invalid schema name/,
    );
  });

  it('fails with a clear message (and no password) when the server is not there', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    await expect(PostgresWorkflowStore.connect('postgres://u:secret@127.0.0.1:1/db')).rejects.toThrow(
      /cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/,
    );
  });

  it('several stores migrating one schema at once end with one copy of every migration', async () => {
    const schema = fresh();
    const stores = await Promise.all([1, 2, 3, 4].map(() => connect(schema)));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const check = await connect(schema);
      await check.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const rows = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY version`,
      );
      await client.end();
      const versions = rows.rows.map((r) => r.version);
      expect(versions.length).toBeGreaterThan(0);
      expect(new Set(versions).size).toBe(versions.length);
      // Every store can work on the migrated schema.
      expect(await stores[0]?.createCase({ caseId: 'c', workflow: 'w', workflowVersion: 1 }, first())).toBe(
        true,
      );
      expect((await stores[3]?.loadCase('c'))?.version).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('leaves a caller-owned pool open on close', async () => {
    const schema = fresh();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const store = await PostgresWorkflowStore.connect(pool, { schema });
      await store.migrate();
      await store.close();
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('two runtimes on two connections drive the same cases to the end, each effect run once, no note lost', async () => {
    const schema = fresh();
    const stores = [await connect(schema), await connect(schema)];
    try {
      await stores[0]?.migrate();
      const runtimes = stores.map(
        (store, i) => new WorkflowRuntime({ store, workflows: [orderWorkflow], workerId: `rt-${i}` }),
      );
      const [a, b] = runtimes as [WorkflowRuntime, WorkflowRuntime];
      const remote = new FakeRemote();
      const handlers = orderHandlers(remote);
      const caseIds = Array.from({ length: 20 }, (_, i) => `order-${i}`);
      for (const caseId of caseIds) await a.start(orderWorkflow, caseId, { amount: 100 });
      // Both runtimes write notes to the same cases at once: optimistic retries must keep every one.
      await Promise.all(
        caseIds.flatMap((caseId) => [
          a.dispatch(caseId, { type: 'note', text: 'from a' }),
          b.dispatch(caseId, { type: 'note', text: 'from b' }),
        ]),
      );
      for (let round = 0; round < 50; round++) {
        const reports = await Promise.all(runtimes.map((rt) => rt.runOutboxOnce(handlers, { limit: 3 })));
        if (reports.every((r) => r.claimed === 0)) break;
      }
      for (const caseId of caseIds) {
        const snapshot = await b.getCase(caseId);
        expect((snapshot!.state as OrderState).status).toBe('printed');
        await b.dispatch(caseId, { type: 'confirmed' });
      }
      for (const caseId of caseIds) {
        const snapshot = await a.getCase(caseId);
        expect(snapshot?.final).toBe(true);
        expect([...(snapshot!.state as OrderState).notes].sort()).toEqual(['from a', 'from b']);
        expect(remote.count('charge', caseId)).toBe(1);
        expect(remote.count('print', caseId)).toBe(1);
      }
      // One call per effect: no item was handed to both runtimes.
      expect(remote.calls).toBe(caseIds.length * 2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('three worker processes share ~300 outbox items: each processed exactly once, none lost after a crash', async () => {
    const schema = fresh();
    const store = await connect(schema);
    const caseCount = 60;
    const perCase = 5;
    try {
      await store.migrate();
      for (let c = 0; c < caseCount; c++) {
        const effects = Array.from({ length: perCase }, (_, k) => ({
          idempotencyKey: `effect-${k}`,
          effect: { type: 'work', case: c, k },
        }));
        // The same key again in a later step must not add a second item.
        expect(
          await store.createCase(
            { caseId: `case-${c}`, workflow: 'load', workflowVersion: 1 },
            first(effects),
          ),
        ).toBe(true);
        expect(
          (
            await store.commitStep({
              ...first(effects.slice(0, 2)),
              caseId: `case-${c}`,
              expectedVersion: 1,
            })
          ).ok,
        ).toBe(true);
      }
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(
          `CREATE TABLE "${schema}".processed (outbox_id bigint NOT NULL, case_id text NOT NULL,
             idempotency_key text NOT NULL, worker text NOT NULL)`,
        );

        // A worker that claims a batch and dies: its items must come back once the lease runs out.
        const crashed = await runChild([url, schema, 'crasher', 'crash']);
        expect(crashed.code).toBe(0);
        expect(crashed.stdout).toContain('claimed 7');

        const workers = ['w1', 'w2', 'w3'].map((id) => startChild([url, schema, id]));
        // Start them together, so that they really compete for the same rows.
        await Promise.all(workers.map((w) => w.ready));
        for (const w of workers) w.go();
        const results = await Promise.all(workers.map((w) => w.exit));
        for (const r of results) expect(r.code, r.stderr).toBe(0);

        const all = await admin.query<{
          outbox_id: string;
          case_id: string;
          idempotency_key: string;
          worker: string;
        }>(`SELECT outbox_id, case_id, idempotency_key, worker FROM "${schema}".processed`);
        const outbox = await admin.query<{
          id: string;
          case_id: string;
          idempotency_key: string;
          status: string;
        }>(`SELECT id, case_id, idempotency_key, status FROM "${schema}".outbox`);
        expect(outbox.rows).toHaveLength(caseCount * perCase);
        expect(outbox.rows.every((row) => row.status === 'done')).toBe(true);
        // Exactly once: as many processing records as items, and every item among them.
        expect(all.rows).toHaveLength(caseCount * perCase);
        const seen = new Set(all.rows.map((row) => row.outbox_id));
        expect(seen.size).toBe(caseCount * perCase);
        for (const row of outbox.rows) expect(seen.has(row.id)).toBe(true);
        // The crashed worker's 7 items were claimed twice: once by it, once by the worker that did them.
        const retried = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".outbox WHERE attempts = 2`,
        );
        expect(retried.rows[0]?.n).toBe(7);
        expect(all.rows.some((row) => row.worker === 'crasher')).toBe(false);
        // More than one process did real work.
        expect(new Set(all.rows.map((row) => row.worker)).size).toBeGreaterThan(1);
      } finally {
        await admin.end();
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startChild(args: string[]): { ready: Promise<void>; go(): void; exit: Promise<ChildResult> } {
  const child = spawn(
    process.execPath,
    ['--conditions=@mynakit/source', '--import', 'tsx', workerScript, ...args],
    {
      cwd: packageDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  // A child that exits before reading stdin must not turn our write into an unhandled EPIPE.
  child.stdin.on('error', () => undefined);
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<ChildResult>((resolve) => {
    child.on('close', (code) => {
      markReady();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    ready,
    go: () => child.stdin.write('go\n'),
    exit,
  };
}

async function runChild(args: string[]): Promise<ChildResult> {
  return startChild(args).exit;
}
