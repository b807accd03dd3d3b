import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import { describeStoreContract } from './support/store-contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mynakit-wf-sqlite-'));
}

describeStoreContract('sqlite (file)', async () => {
  const dir = await tempDir();
  const store = await SqliteWorkflowStore.open(join(dir, 'workflows.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract('sqlite (:memory:)', async () => {
  const store = await SqliteWorkflowStore.open(':memory:');
  return { store, cleanup: () => store.close() };
});

describe('SqliteWorkflowStore', () => {
  it('keeps the data across a reopen, and two connections to one file see each other', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir, 'wf.db');
      const a = await SqliteWorkflowStore.open(file);
      const b = await SqliteWorkflowStore.open(file);
      const at = new Date('2026-01-01T00:00:00Z');
      const first = {
        state: { n: 0 },
        label: null,
        final: false,
        event: { type: 'start' },
        effects: [],
        timers: [],
        cancelTimers: [],
        at,
      };
      expect(await a.createCase({ caseId: 'c', workflow: 'w', workflowVersion: 1 }, first)).toBe(true);
      expect(await b.createCase({ caseId: 'c', workflow: 'w', workflowVersion: 1 }, first)).toBe(false);
      const step = { ...first, caseId: 'c', expectedVersion: 1, state: { n: 1 } };
      const results = [await a.commitStep(step), await b.commitStep(step)];
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      await a.close();
      await b.close();
      const reopened = await SqliteWorkflowStore.open(file);
      expect((await reopened.loadCase('c'))?.state).toEqual({ n: 1 });
      expect(await reopened.events('c')).toHaveLength(2);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
