import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WorkflowError } from '../src/engine/errors.js';
import { type EffectHandlers, WorkflowRuntime, type WorkflowRuntimeOptions } from '../src/engine/runtime.js';
import type { WorkflowStore } from '../src/engine/store.js';
import type { WorkflowDefinition } from '../src/engine/workflow.js';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import {
  confirmAfterMs,
  FakeRemote,
  type OrderState,
  orderHandlers,
  orderWorkflow,
} from './support/order-workflow.js';

/** A store whose process "dies" on demand: from then on every call hangs forever, as if the process had stopped. */
function mortal(store: WorkflowStore): { store: WorkflowStore; die(): void; died: Promise<void> } {
  let dead = false;
  let announce = () => {};
  const died = new Promise<void>((resolve) => {
    announce = resolve;
  });
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (dead ? new Promise(() => {}) : value.apply(target, args));
    },
  });
  return {
    store: proxy,
    die: () => {
      dead = true;
      announce();
    },
    died,
  };
}

async function expectWorkflowError(promise: Promise<unknown>, code: string): Promise<WorkflowError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowError);
  expect((error as WorkflowError).code).toBe(code);
  return error as WorkflowError;
}

/** A second workflow: a counter bumped by a one-shot timer that does not re-arm itself. */
const tickState = z.object({ ticks: z.number().int() });
const tickEvent = z.object({ type: z.literal('tick') });
const tickerWorkflow: WorkflowDefinition<
  z.infer<typeof tickState>,
  z.infer<typeof tickEvent>,
  { type: 'none' },
  { inMs: number }
> = {
  name: 'ticker',
  version: 1,
  stateSchema: tickState,
  eventSchema: tickEvent,
  effectSchema: z.object({ type: z.literal('none') }),
  initial: ({ inMs }, { now }) => ({
    next: { ticks: 0 },
    timers: [{ key: 'tick', dueAt: new Date(now.getTime() + inMs), event: { type: 'tick' } }],
  }),
  decide: (state) => ({ next: { ticks: state.ticks + 1 } }),
  isFinal: () => false,
};

/** Wrap a store so that its process "dies" right after the first committed step (every later call hangs). */
function diesAfterCommit(store: WorkflowStore): {
  store: WorkflowStore;
  commits(): number;
  died: Promise<void>;
} {
  const a = mortal(store);
  let commits = 0;
  const watched = new Proxy(a.store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'commitStep') {
        return async (...args: Parameters<WorkflowStore['commitStep']>) => {
          const result = await target.commitStep(...args);
          commits++;
          a.die();
          return result;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: watched, commits: () => commits, died: a.died };
}

describe('WorkflowRuntime', () => {
  let store: SqliteWorkflowStore;
  let now: Date;
  const clock = () => now;
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  const leaseMs = 5000;
  const runtime = (options: Partial<WorkflowRuntimeOptions> = {}) =>
    new WorkflowRuntime({ store, workflows: [orderWorkflow], clock, leaseMs, workerId: 'w1', ...options });
  const stateOf = async (caseId: string) =>
    (await runtime().getCase(caseId))?.state as OrderState | undefined;
  const eventTypes = async (caseId: string) =>
    (await store.events(caseId)).map((e) => (e.event as { type: string }).type);

  beforeEach(async () => {
    store = await SqliteWorkflowStore.open(':memory:');
    now = new Date('2026-03-01T09:00:00.000Z');
  });
  afterEach(async () => {
    await store.close();
  });

  it('runs an order from submission to confirmation', async () => {
    const remote = new FakeRemote();
    const rt = runtime();
    const started = await rt.start(orderWorkflow, 'o1', { amount: 1200 });
    expect(started).toMatchObject({ caseId: 'o1', workflow: 'order', version: 1, final: false });
    expect(remote.calls).toBe(0);

    const charge = await rt.runOutboxOnce(orderHandlers(remote));
    expect(charge).toEqual({ claimed: 1, completed: 1, failed: [] });
    expect(await stateOf('o1')).toMatchObject({ status: 'paid', receipt: 'charge-1' });

    await rt.runOutboxOnce(orderHandlers(remote));
    expect((await stateOf('o1'))?.status).toBe('printed');
    expect(await rt.runOutboxOnce(orderHandlers(remote))).toEqual({ claimed: 0, completed: 0, failed: [] });

    const confirmed = await rt.dispatch('o1', { type: 'confirmed' });
    expect(confirmed).toMatchObject({ final: true, applied: true, version: 4 });
    // The confirmation cancelled the reminder timer.
    advance(confirmAfterMs * 3);
    expect((await rt.runTimersOnce()).claimed).toBe(0);

    expect(await eventTypes('o1')).toEqual(['@start', 'payment-succeeded', 'printed', 'confirmed']);
    expect(remote.count('charge')).toBe(1);
    expect(remote.count('print')).toBe(1);
    // A final case takes no more events.
    expect(await rt.dispatch('o1', { type: 'note', text: 'late' })).toMatchObject({
      applied: false,
      version: 4,
    });
    expect(await eventTypes('o1')).toHaveLength(4);
  });

  it('runs effects of different cases side by side with `concurrency`, one at a time without', async () => {
    const rt = runtime();
    for (const id of ['c1', 'c2', 'c3']) await rt.start(orderWorkflow, id, { amount: 100 });
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const allStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handlers: EffectHandlers = {
      charge: async (_effect, { caseId }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        if (most === 3) release();
        // Each charge waits until all three are in flight: run one at a time, this would never finish.
        await Promise.race([allStarted, new Promise((resolve) => setTimeout(resolve, 2000))]);
        inFlight--;
        return { event: { type: 'payment-succeeded', receipt: `r-${caseId}` } };
      },
    };
    const report = await rt.runOutboxOnce(handlers, { concurrency: 3 });
    expect(report).toEqual({ claimed: 3, completed: 3, failed: [] });
    expect(most).toBe(3);

    // The default keeps one effect in flight.
    for (const id of ['c4', 'c5']) await rt.start(orderWorkflow, id, { amount: 100 });
    most = 0;
    const serial = await rt.runOutboxOnce({
      charge: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
      },
    });
    expect(serial.completed).toBe(2);
    expect(most).toBe(1);
  });

  it('retries a failing handler with backoff, with the same idempotency key', async () => {
    const remote = new FakeRemote();
    const seen: { key: string; attempt: number }[] = [];
    let failuresLeft = 2;
    const handlers: EffectHandlers = {
      ...orderHandlers(remote),
      charge: async (_effect: unknown, context) => {
        seen.push({ key: context.idempotencyKey, attempt: context.attempt });
        if (failuresLeft-- > 0) throw new Error('payment provider unavailable');
        const receipt = remote.perform('charge', context.caseId, context.idempotencyKey);
        return { event: { type: 'payment-succeeded', receipt } };
      },
    };
    const rt = runtime({ retryDelayMs: (attempt) => 1000 * 2 ** attempt });
    await rt.start(orderWorkflow, 'o1', { amount: 500 });

    const first = await rt.runOutboxOnce(handlers);
    expect(first.completed).toBe(0);
    expect(first.failed).toEqual([
      { caseId: 'o1', key: 'charge', error: expect.stringContaining('unavailable') },
    ]);
    expect((await stateOf('o1'))?.status).toBe('submitted');
    // Not before the backoff has passed.
    expect((await rt.runOutboxOnce(handlers)).claimed).toBe(0);
    advance(1000);
    expect((await rt.runOutboxOnce(handlers)).failed).toHaveLength(1);
    advance(1999);
    expect((await rt.runOutboxOnce(handlers)).claimed).toBe(0);
    advance(1);
    expect(await rt.runOutboxOnce(handlers)).toMatchObject({ claimed: 1, completed: 1 });

    expect(seen).toEqual([
      { key: 'charge', attempt: 0 },
      { key: 'charge', attempt: 1 },
      { key: 'charge', attempt: 2 },
    ]);
    expect((await stateOf('o1'))?.status).toBe('paid');
    expect(remote.count('charge')).toBe(1);
  });

  it('fails an effect without a handler instead of dropping it', async () => {
    const rt = runtime();
    await rt.start(orderWorkflow, 'o1', { amount: 500 });
    const report = await rt.runOutboxOnce({});
    expect(report.failed).toEqual([
      { caseId: 'o1', key: 'charge', error: expect.stringContaining('no handler') },
    ]);
    advance(60_000);
    const remote = new FakeRemote();
    expect((await rt.runOutboxOnce(orderHandlers(remote))).completed).toBe(1);
    expect(remote.count('charge')).toBe(1);
  });

  it('a worker that dies after the effect but before completing it: the re-run reuses the key, the remote acts once', async () => {
    const remote = new FakeRemote();
    const a = mortal(store);
    const workerA = new WorkflowRuntime({
      store: a.store,
      workflows: [orderWorkflow],
      clock,
      leaseMs,
      workerId: 'a',
    });
    await workerA.start(orderWorkflow, 'o1', { amount: 700 });

    const keys: string[] = [];
    const dyingHandlers: EffectHandlers = {
      charge: async (_effect: unknown, { caseId, idempotencyKey }) => {
        keys.push(idempotencyKey);
        remote.perform('charge', caseId, idempotencyKey);
        a.die(); // the process stops here: no feedback event, no completeOutbox, no failOutbox
        return { event: { type: 'payment-succeeded', receipt: 'never-delivered' } };
      },
    };
    void workerA.runOutboxOnce(dyingHandlers);
    await a.died;
    expect(keys).toEqual(['charge']);
    expect(remote.calls).toBe(1);

    const workerB = runtime({ workerId: 'b' });
    const countingHandlers: EffectHandlers = {
      charge: async (effect: unknown, context) => {
        keys.push(context.idempotencyKey);
        return orderHandlers(remote).charge?.(effect as never, context);
      },
    };
    // While A's lease runs, nobody else may take the item.
    expect((await workerB.runOutboxOnce(countingHandlers)).claimed).toBe(0);
    advance(leaseMs);
    expect(await workerB.runOutboxOnce(countingHandlers)).toMatchObject({ claimed: 1, completed: 1 });

    expect(keys).toEqual(['charge', 'charge']);
    expect(remote.calls).toBe(2);
    expect(remote.count('charge')).toBe(1);
    // The case got the first (and only) receipt the remote ever issued.
    expect(await stateOf('o1')).toMatchObject({ status: 'paid', receipt: 'charge-1' });
  });

  it('a crash before the step is committed leaves no effect behind', async () => {
    const remote = new FakeRemote();
    const dying = (method: 'createCase' | 'commitStep'): WorkflowStore =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property === method) return () => Promise.reject(new Error('process died'));
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });

    const crashedStart = new WorkflowRuntime({
      store: dying('createCase'),
      workflows: [orderWorkflow],
      clock,
    });
    await expect(crashedStart.start(orderWorkflow, 'o1', { amount: 100 })).rejects.toThrow('process died');
    expect(await store.loadCase('o1')).toBeNull();
    expect((await runtime().runOutboxOnce(orderHandlers(remote))).claimed).toBe(0);

    await runtime().start(orderWorkflow, 'o2', { amount: 100 });
    const crashedStep = new WorkflowRuntime({
      store: dying('commitStep'),
      workflows: [orderWorkflow],
      clock,
    });
    await expect(crashedStep.dispatch('o2', { type: 'payment-succeeded', receipt: 'r' })).rejects.toThrow(
      'process died',
    );
    expect((await stateOf('o2'))?.status).toBe('submitted');
    expect(await eventTypes('o2')).toEqual(['@start']);
    // Only the start's charge is in the outbox; the print of the lost step never runs.
    const seen: string[] = [];
    await runtime().runOutboxOnce({
      charge: async (_e: unknown, { idempotencyKey }) => {
        seen.push(idempotencyKey);
      },
      print: async (_e: unknown, { idempotencyKey }) => {
        seen.push(idempotencyKey);
      },
    });
    expect(seen).toEqual(['charge']);
    advance(confirmAfterMs * 2);
    expect((await runtime().runTimersOnce()).claimed).toBe(0);
  });

  it('concurrent dispatches on one case never lose an event', async () => {
    let conflicts = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'commitStep') {
          return async (...args: Parameters<WorkflowStore['commitStep']>) => {
            const result = await target.commitStep(...args);
            if (!result.ok) conflicts++;
            return result;
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const one = new WorkflowRuntime({ store: counting, workflows: [orderWorkflow], clock, workerId: 'one' });
    const two = new WorkflowRuntime({ store: counting, workflows: [orderWorkflow], clock, workerId: 'two' });
    await one.start(orderWorkflow, 'o1', { amount: 100 });

    const texts = Array.from({ length: 12 }, (_, i) => `note-${i}`);
    const results = await Promise.all(
      texts.map((text, i) => (i % 2 === 0 ? one : two).dispatch('o1', { type: 'note', text })),
    );
    expect(conflicts).toBeGreaterThan(0);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(texts.map((_, i) => i + 2));
    expect([...((await stateOf('o1'))?.notes ?? [])].sort()).toEqual([...texts].sort());
    expect(
      (await store.events('o1')).filter((e) => (e.event as { type: string }).type === 'note'),
    ).toHaveLength(12);
  });

  it('gives up with CONFLICT after the bounded retries', async () => {
    await runtime().start(orderWorkflow, 'o1', { amount: 100 });
    let commits = 0;
    const alwaysStale = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'commitStep') {
          return async () => {
            commits++;
            return { ok: false, conflict: true } as const;
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const rt = new WorkflowRuntime({
      store: alwaysStale,
      workflows: [orderWorkflow],
      clock,
      maxConflictRetries: 3,
    });
    await expectWorkflowError(rt.dispatch('o1', { type: 'note', text: 'x' }), 'CONFLICT');
    expect(commits).toBe(4);
  });

  it('refuses unknown cases, invalid events, taken ids and unknown workflows with typed errors', async () => {
    const rt = runtime();
    await expectWorkflowError(rt.dispatch('nope', { type: 'confirmed' }), 'UNKNOWN_CASE');
    await rt.start('order', 'o1', { amount: 100 });
    const invalid = await expectWorkflowError(
      rt.dispatch('o1', { type: 'payment-succeeded' }),
      'INVALID_EVENT',
    );
    expect(invalid.details.issues).toContain('receipt');
    await expectWorkflowError(rt.dispatch('o1', { type: 'teleport' }), 'INVALID_EVENT');
    await expectWorkflowError(rt.start(orderWorkflow, 'o1', { amount: 5 }), 'CASE_EXISTS');
    await expectWorkflowError(rt.start('invoice', 'i1', {}), 'UNKNOWN_WORKFLOW');
    // A decision the workflow's own schemas refuse never reaches the store.
    await expectWorkflowError(rt.start(orderWorkflow, 'o2', { amount: -1 }), 'INVALID_DECISION');
    expect(await store.loadCase('o2')).toBeNull();
    expect(await eventTypes('o1')).toEqual(['@start']);
  });

  it('fires a timer once, re-arms it, and expires the order on the second timeout', async () => {
    const remote = new FakeRemote();
    const rt = runtime();
    await rt.start(orderWorkflow, 'o1', { amount: 100 });
    await rt.runOutboxOnce(orderHandlers(remote)); // paid: confirmation timer armed

    advance(confirmAfterMs - 1);
    expect((await rt.runTimersOnce()).claimed).toBe(0);
    advance(1);
    expect(await rt.runTimersOnce()).toEqual({ claimed: 1, fired: 1, failed: [] });
    expect((await stateOf('o1'))?.reminders).toBe(1);
    expect((await rt.runTimersOnce()).claimed).toBe(0);

    advance(confirmAfterMs);
    expect((await rt.runTimersOnce()).fired).toBe(1);
    expect((await stateOf('o1'))?.status).toBe('expired');
    advance(confirmAfterMs * 10);
    expect((await rt.runTimersOnce()).claimed).toBe(0);
    expect((await eventTypes('o1')).filter((t) => t === 'confirmation-timeout')).toHaveLength(2);
  });

  it('a timer whose worker dies after the step, before completeTimer, does not fire again', async () => {
    const remote = new FakeRemote();
    await runtime().start(orderWorkflow, 'o1', { amount: 100 });
    await runtime().runOutboxOnce(orderHandlers(remote));
    await runtime().dispatch('o1', { type: 'printed' });
    await runtime().dispatch('o1', { type: 'confirmed' });
    expect((await stateOf('o1'))?.status).toBe('done');

    // Another case whose timer fires while its worker dies right after the step is committed.
    await runtime().start(orderWorkflow, 'o2', { amount: 100 });
    await runtime().runOutboxOnce(orderHandlers(remote));
    const dying = diesAfterCommit(store);
    const workerA = new WorkflowRuntime({
      store: dying.store,
      workflows: [orderWorkflow],
      clock,
      leaseMs,
      workerId: 'a',
    });
    advance(confirmAfterMs);
    void workerA.runTimersOnce();
    await dying.died;
    expect(dying.commits()).toBe(1);
    expect((await stateOf('o2'))?.reminders).toBe(1);

    // After A's lease: the fired timer is gone (deleted by the step), only its re-armed successor remains.
    advance(leaseMs);
    expect((await runtime({ workerId: 'b' }).runTimersOnce()).claimed).toBe(0);
    advance(confirmAfterMs);
    expect((await runtime({ workerId: 'b' }).runTimersOnce()).fired).toBe(1);
    expect((await eventTypes('o2')).filter((t) => t === 'confirmation-timeout')).toHaveLength(2);
    expect((await stateOf('o2'))?.status).toBe('expired');
  });

  it('a one-shot timer fires once even when its worker dies before completeTimer', async () => {
    const workflows = [orderWorkflow, tickerWorkflow];
    await runtime({ workflows }).start(tickerWorkflow, 't1', { inMs: 1000 });
    const dying = diesAfterCommit(store);
    const workerA = new WorkflowRuntime({ store: dying.store, workflows, clock, leaseMs, workerId: 'a' });
    advance(1000);
    void workerA.runTimersOnce();
    await dying.died;
    expect(dying.commits()).toBe(1);
    expect((await runtime({ workflows }).getCase('t1'))?.state).toEqual({ ticks: 1 });

    advance(leaseMs * 3);
    expect((await runtime({ workflows, workerId: 'b' }).runTimersOnce()).claimed).toBe(0);
    expect((await runtime({ workflows }).getCase('t1'))?.state).toEqual({ ticks: 1 });
  });

  it('drops a due timer whose case vanished (purged) between the claim and the dispatch', async () => {
    const rt = runtime();
    await rt.start(orderWorkflow, 'o1', { amount: 100 });
    await rt.runOutboxOnce(orderHandlers(new FakeRemote()));
    const vanished = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'loadCase') return async () => null;
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    advance(confirmAfterMs);
    const report = await runtime({ store: vanished }).runTimersOnce();
    expect(report).toEqual({ claimed: 1, fired: 0, failed: [] });
    // Completed, not merely leased: it does not come back when the lease would have expired.
    advance(leaseMs * 2);
    expect(await store.claimDueTimers('other', 10, leaseMs, now)).toEqual([]);
  });

  it('purges final cases after the retention period only', async () => {
    const remote = new FakeRemote();
    const rt = runtime();
    await rt.start(orderWorkflow, 'done', { amount: 100 });
    await rt.start(orderWorkflow, 'open', { amount: 100 });
    await rt.runOutboxOnce(orderHandlers(remote));
    await rt.runOutboxOnce(orderHandlers(remote));
    await rt.dispatch('done', { type: 'confirmed' });
    const finishedAt = now;
    expect((await rt.getCase('done'))?.final).toBe(true);

    expect(await rt.purge(finishedAt)).toBe(0);
    advance(24 * 3600_000);
    expect(await rt.purge(new Date(now.getTime() - 3600_000))).toBe(1);
    expect(await rt.getCase('done')).toBeNull();
    expect(await rt.events('done')).toEqual([]);
    expect((await rt.getCase('open'))?.final).toBe(false);
    await expectWorkflowError(rt.dispatch('done', { type: 'note', text: 'x' }), 'UNKNOWN_CASE');
  });
});
