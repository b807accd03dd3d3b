import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkflowError } from '../src/engine/errors.js';
import { WorkflowRuntime } from '../src/engine/runtime.js';
import type { WorkflowStore } from '../src/engine/store.js';
import type { WorkflowDefinition } from '../src/engine/workflow.js';
import { PostgresWorkflowStore } from '../src/postgres/index.js';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import {
  type OrderEffect,
  type OrderEvent,
  type OrderState,
  orderWorkflow,
} from './support/order-workflow.js';
import { dropSchema, postgresUrl, randomSchema } from './support/postgres.js';

type Order = WorkflowDefinition<OrderState, OrderEvent, OrderEffect, { amount: number }>;
const labelled: Order = { ...orderWorkflow, label: (state) => state.status };
const t0 = new Date('2026-01-01T00:00:00.000Z');

describe('WorkflowRuntime labels and listCases', () => {
  let store: WorkflowStore;
  afterEach(async () => {
    await store.close();
  });

  function runtime(workflows: Order[], clock: () => Date = () => t0): WorkflowRuntime {
    return new WorkflowRuntime({ store, workflows, clock });
  }

  it("stores the definition's label with every step and lists by it", async () => {
    store = await SqliteWorkflowStore.open(':memory:');
    let now = t0;
    const rt = runtime([labelled], () => now);
    await rt.start(labelled, 'o1', { amount: 10 });
    now = new Date(t0.getTime() + 1000);
    await rt.start(labelled, 'o2', { amount: 20 });
    expect((await store.loadCase('o1'))?.label).toBe('submitted');
    now = new Date(t0.getTime() + 2000);
    await rt.dispatch('o1', { type: 'payment-succeeded', receipt: 'r1' });
    expect((await store.loadCase('o1'))?.label).toBe('paid');

    expect(await rt.listCases({ workflow: 'order', labels: ['submitted', 'paid'] })).toEqual([
      {
        caseId: 'o1',
        workflow: 'order',
        label: 'paid',
        final: false,
        version: 2,
        updatedAt: new Date(t0.getTime() + 2000),
      },
      {
        caseId: 'o2',
        workflow: 'order',
        label: 'submitted',
        final: false,
        version: 1,
        updatedAt: new Date(t0.getTime() + 1000),
      },
    ]);
    expect((await rt.listCases({ labels: ['submitted'] })).map((c) => c.caseId)).toEqual(['o2']);
    expect(await rt.listCases()).toHaveLength(2);
  });

  it('stores null without a label function', async () => {
    store = await SqliteWorkflowStore.open(':memory:');
    const rt = runtime([orderWorkflow]);
    await rt.start(orderWorkflow, 'o1', { amount: 10 });
    expect((await store.loadCase('o1'))?.label).toBeNull();
    expect((await rt.listCases({}))[0]?.label).toBeNull();
  });

  it('refuses an empty or overlong label as an invalid decision, storing nothing', async () => {
    store = await SqliteWorkflowStore.open(':memory:');
    for (const label of ['', 'x'.repeat(101)]) {
      const bad: Order = { ...orderWorkflow, label: () => label };
      const rt = runtime([bad]);
      const error = await rt.start(bad, 'o1', { amount: 10 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowError);
      expect((error as WorkflowError).code).toBe('INVALID_DECISION');
      expect(await store.loadCase('o1')).toBeNull();
    }
  });
});

/** The step every case of the upgrade tests starts with; stored by the old schema, so without a label. */
const oldFirst = {
  state: { n: 0 },
  label: null,
  final: false,
  event: { type: 'started' },
  effects: [],
  timers: [],
  cancelTimers: [],
  at: t0,
};

describe('migration to case labels', () => {
  it('SQLite: a database made before labels upgrades, keeping its cases', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mynakit-wf-labels-'));
    try {
      const file = join(dir, 'wf.db');
      // Make a database as the first release left it: the label migration undone.
      const old = await SqliteWorkflowStore.open(file);
      await old.createCase({ caseId: 'old', workflow: 'w', workflowVersion: 1 }, oldFirst);
      old.database.exec(`
        DROP INDEX cases_updated; DROP INDEX cases_label_updated; DROP INDEX cases_workflow_updated;
        ALTER TABLE cases DROP COLUMN label;
        DELETE FROM schema_migrations WHERE version = 2;
      `);
      await old.close();

      const store = await SqliteWorkflowStore.open(file);
      try {
        expect((await store.loadCase('old'))?.label).toBeNull();
        expect(
          await store.commitStep({ ...oldFirst, caseId: 'old', expectedVersion: 1, label: 'next' }),
        ).toEqual({ ok: true, version: 2 });
        expect((await store.listCases({ labels: ['next'] })).map((c) => c.caseId)).toEqual(['old']);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: a schema made before labels upgrades, keeping its cases', async () => {
    const schema = randomSchema();
    try {
      const old = await PostgresWorkflowStore.connect(postgresUrl, { schema });
      await old.migrate();
      await old.createCase({ caseId: 'old', workflow: 'w', workflowVersion: 1 }, oldFirst);
      await old.pool.query(`
        DROP INDEX "${schema}".cases_updated, "${schema}".cases_label_updated, "${schema}".cases_workflow_updated;
        ALTER TABLE "${schema}".cases DROP COLUMN label;
        DELETE FROM "${schema}".schema_migrations WHERE version = 2;
      `);
      await old.close();

      const stores = await Promise.all(
        [1, 2].map(() => PostgresWorkflowStore.connect(postgresUrl, { schema })),
      );
      try {
        // Two processes upgrading at once: one applies the migration, the other finds it done.
        await Promise.all(stores.map((s) => s.migrate()));
        const [a, b] = stores as [PostgresWorkflowStore, PostgresWorkflowStore];
        expect((await a.loadCase('old'))?.label).toBeNull();
        expect(await b.commitStep({ ...oldFirst, caseId: 'old', expectedVersion: 1, label: 'next' })).toEqual(
          {
            ok: true,
            version: 2,
          },
        );
        expect((await a.listCases({ labels: ['next'] })).map((c) => c.caseId)).toEqual(['old']);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    } finally {
      await dropSchema(schema);
    }
  });
});
