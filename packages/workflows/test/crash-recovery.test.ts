import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import type { OrderState } from './support/order-workflow.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const workerScript = join(here, 'support', 'crash-worker.ts');
const caseCount = 12;

function startWorker(
  dbFile: string,
  remoteFile: string,
  workerId: string,
  hangAfter?: number,
): { child: ChildProcess; lines: string[] } {
  const args = [workerScript, dbFile, remoteFile, String(caseCount), workerId];
  if (hangAfter !== undefined) args.push(String(hangAfter));
  const child = spawn(process.execPath, ['--conditions=@mynakit/source', '--import', 'tsx', ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) lines.push(`exit ${code}: ${stderr.slice(0, 2000)}`);
  });
  return { child, lines };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a worker process killed mid-loop', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mynakit-wf-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes after SIGKILL: every case completes, every side effect happens exactly once', async () => {
    const dbFile = join(dir, 'workflows.db');
    const remoteFile = join(dir, 'remote.db');

    // The first worker stops right after its 7th side effect, before the outbox knows: kill it there.
    const first = startWorker(dbFile, remoteFile, 'first', 7);
    await waitFor(
      () => first.lines.includes('hanging') || first.child.exitCode !== null,
      'the first worker to perform some effects',
    );
    expect(first.child.exitCode, first.lines.join('\n')).toBeNull();
    first.child.kill('SIGKILL');
    expect((await exited(first.child)).signal).toBe('SIGKILL');
    expect(first.lines).not.toContain('done');

    const store = await SqliteWorkflowStore.open(dbFile);
    try {
      const finalBefore = (
        await Promise.all(Array.from({ length: caseCount }, (_, i) => store.loadCase(`order-${i}`)))
      ).filter((c) => c?.final).length;
      expect(finalBefore).toBeLessThan(caseCount);

      const second = startWorker(dbFile, remoteFile, 'second');
      const { code } = await exited(second.child);
      expect(code, second.lines.join('\n')).toBe(0);
      expect(second.lines).toContain('done');
    } finally {
      await store.close();
    }

    const repeated = await expectEveryCaseDoneOnce(dbFile, remoteFile);
    // The effect interrupted by the kill was requested again, with the same key, by the second worker.
    expect(repeated).toHaveLength(1);
    expect(repeated[0]?.workers.split(',').sort()).toEqual(['first', 'second']);
  });

  it('two worker processes on one database file share the work without doing anything twice', async () => {
    const dbFile = join(dir, 'shared.db');
    const remoteFile = join(dir, 'shared-remote.db');
    const workers = [startWorker(dbFile, remoteFile, 'left'), startWorker(dbFile, remoteFile, 'right')];
    for (const worker of workers) {
      const { code } = await exited(worker.child);
      expect(code, worker.lines.join('\n')).toBe(0);
    }
    await expectEveryCaseDoneOnce(dbFile, remoteFile);
  });
});

/**
 * Every case is done with one confirmation, and the remote did one charge and one print per case (the engine never
 * asked under a second key). Returns the keys the remote was asked for more than once (answered from its dedupe).
 */
async function expectEveryCaseDoneOnce(
  dbFile: string,
  remoteFile: string,
): Promise<{ key: string; workers: string }[]> {
  const store = await SqliteWorkflowStore.open(dbFile);
  try {
    for (let i = 0; i < caseCount; i++) {
      const record = await store.loadCase(`order-${i}`);
      expect(record?.final).toBe(true);
      expect((record?.state as OrderState | undefined)?.status).toBe('done');
      const confirmations = (await store.events(`order-${i}`)).filter(
        (e) => (e.event as { type: string }).type === 'confirmed',
      );
      expect(confirmations).toHaveLength(1);
    }
  } finally {
    await store.close();
  }
  const remote = new Database(remoteFile, { readonly: true });
  try {
    const perCase = remote
      .prepare('SELECT case_id, kind, count(*) AS n FROM performed GROUP BY case_id, kind')
      .all() as { case_id: string; kind: string; n: number }[];
    expect(perCase).toHaveLength(caseCount * 2);
    expect(perCase.every((row) => row.n === 1)).toBe(true);
    return remote
      .prepare('SELECT key, group_concat(worker) AS workers FROM calls GROUP BY key HAVING count(*) > 1')
      .all() as { key: string; workers: string }[];
  } finally {
    remote.close();
  }
}
