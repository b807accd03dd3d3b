import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepCommit, WorkflowStore } from '../../src/engine/store.js';

/**
 * The behaviour every WorkflowStore must have, whatever the database. Run it from a store's own test file:
 * `describeStoreContract('sqlite', async () => ({ store, cleanup }))`. Each test gets a fresh, empty store.
 * Times are explicit (`now` arguments), so nothing here depends on the wall clock.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Promise<{ store: WorkflowStore; cleanup(): Promise<void> }>,
): void {
  describe(`WorkflowStore contract: ${name}`, () => {
    let store: WorkflowStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
      await store.migrate();
    });

    afterEach(async () => {
      await cleanup();
    });

    const t0 = new Date('2026-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);

    type First = Parameters<WorkflowStore['createCase']>[1];
    const first = (over: Partial<First> = {}): First => ({
      state: { step: 'start' },
      label: null,
      final: false,
      event: { type: 'started' },
      effects: [],
      timers: [],
      cancelTimers: [],
      at: t0,
      ...over,
    });
    const step = (caseId: string, expectedVersion: number, over: Partial<StepCommit> = {}): StepCommit => ({
      caseId,
      expectedVersion,
      state: { step: `after-${expectedVersion}` },
      label: null,
      final: false,
      event: { type: 'next', n: expectedVersion },
      effects: [],
      timers: [],
      cancelTimers: [],
      at: at(expectedVersion * 1000),
      ...over,
    });
    const create = (caseId: string, over: Partial<First> = {}) =>
      store.createCase({ caseId, workflow: 'order', workflowVersion: 3 }, first(over));

    describe('cases', () => {
      it('creates a case at version 1 and loads it back', async () => {
        expect(await create('c1', { state: { step: 'start', nested: { list: [1, 'two', null] } } })).toBe(
          true,
        );
        const loaded = await store.loadCase('c1');
        expect(loaded).not.toBeNull();
        expect(loaded?.caseId).toBe('c1');
        expect(loaded?.workflow).toBe('order');
        expect(loaded?.workflowVersion).toBe(3);
        expect(loaded?.version).toBe(1);
        expect(loaded?.state).toEqual({ step: 'start', nested: { list: [1, 'two', null] } });
        expect(loaded?.final).toBe(false);
        expect(loaded?.createdAt.getTime()).toBe(t0.getTime());
        expect(loaded?.updatedAt.getTime()).toBe(t0.getTime());
      });

      it('refuses a second case with the same id and keeps the first', async () => {
        expect(await create('c1')).toBe(true);
        expect(await create('c1', { state: { step: 'other' } })).toBe(false);
        expect((await store.loadCase('c1'))?.state).toEqual({ step: 'start' });
        expect(await store.events('c1')).toHaveLength(1);
      });

      it('returns null for an unknown case', async () => {
        expect(await store.loadCase('nope')).toBeNull();
        expect(await store.events('nope')).toEqual([]);
      });

      it('commits a step: new state, version + 1, updatedAt, final flag', async () => {
        await create('c1');
        const result = await store.commitStep(
          step('c1', 1, { state: { step: 'done' }, final: true, at: at(5000) }),
        );
        expect(result).toEqual({ ok: true, version: 2 });
        const loaded = await store.loadCase('c1');
        expect(loaded?.version).toBe(2);
        expect(loaded?.state).toEqual({ step: 'done' });
        expect(loaded?.final).toBe(true);
        expect(loaded?.updatedAt.getTime()).toBe(at(5000).getTime());
        expect(loaded?.createdAt.getTime()).toBe(t0.getTime());
      });

      it('refuses a step on a stale version without changing anything', async () => {
        await create('c1');
        expect((await store.commitStep(step('c1', 1))).ok).toBe(true);
        const stale = await store.commitStep(
          step('c1', 1, {
            state: { step: 'stale' },
            effects: [{ idempotencyKey: 'k', effect: { type: 'x' } }],
          }),
        );
        expect(stale).toEqual({ ok: false, conflict: true });
        const loaded = await store.loadCase('c1');
        expect(loaded?.version).toBe(2);
        expect(loaded?.state).toEqual({ step: 'after-1' });
        expect(await store.events('c1')).toHaveLength(2);
        expect(await store.claimOutbox('w', 10, 1000, at(10_000))).toEqual([]);
      });

      it('a commit on an unknown case is a conflict', async () => {
        expect((await store.commitStep(step('ghost', 1))).ok).toBe(false);
      });

      it('two concurrent commits on the same version: exactly one wins', async () => {
        await create('c1');
        const results = await Promise.all([
          store.commitStep(step('c1', 1, { state: { by: 'a' }, event: { type: 'a' } })),
          store.commitStep(step('c1', 1, { state: { by: 'b' }, event: { type: 'b' } })),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, conflict: true }]);
        const winner = results[0]?.ok ? 'a' : 'b';
        expect((await store.loadCase('c1'))?.state).toEqual({ by: winner });
        expect((await store.events('c1')).map((e) => e.event)).toEqual([
          { type: 'started' },
          { type: winner },
        ]);
      });
    });

    describe('labels and listing', () => {
      const createIn = (caseId: string, workflow: string, over: Partial<First> = {}) =>
        store.createCase({ caseId, workflow, workflowVersion: 1 }, first(over));
      const ids = (list: { caseId: string }[]) => list.map((c) => c.caseId);

      it('stores the label with the case and replaces it with every step', async () => {
        await create('c1', { label: 'received' });
        expect((await store.loadCase('c1'))?.label).toBe('received');
        await store.commitStep(step('c1', 1, { label: 'held' }));
        expect((await store.loadCase('c1'))?.label).toBe('held');
        await store.commitStep(step('c1', 2, { label: null }));
        expect((await store.loadCase('c1'))?.label).toBeNull();
        // A refused (stale) step leaves the label alone.
        await store.commitStep(step('c1', 1, { label: 'stale' }));
        expect((await store.loadCase('c1'))?.label).toBeNull();
      });

      it('lists summaries, most recently updated first, with every field', async () => {
        await createIn('a', 'w1', { label: 'open', at: at(1000) });
        await createIn('b', 'w2', { label: 'held', at: at(2000) });
        await createIn('c', 'w1', { label: 'open', at: at(3000) });
        await store.commitStep(step('a', 1, { label: 'done', final: true, at: at(4000) }));
        const list = await store.listCases({});
        expect(list).toEqual([
          { caseId: 'a', workflow: 'w1', label: 'done', final: true, version: 2, updatedAt: at(4000) },
          { caseId: 'c', workflow: 'w1', label: 'open', final: false, version: 1, updatedAt: at(3000) },
          { caseId: 'b', workflow: 'w2', label: 'held', final: false, version: 1, updatedAt: at(2000) },
        ]);
        expect(await store.listCases({ limit: 2 })).toEqual(list.slice(0, 2));
      });

      it('filters by workflow, labels and final flag, all together', async () => {
        await createIn('a', 'w1', { label: 'open', at: at(1000) });
        await createIn('b', 'w1', { label: 'held', at: at(2000) });
        await createIn('c', 'w2', { label: 'held', at: at(3000) });
        await createIn('d', 'w1', { label: 'rejected', final: true, at: at(4000) });
        await createIn('e', 'w1', { label: null, at: at(5000) });
        expect(ids(await store.listCases({ workflow: 'w1' }))).toEqual(['e', 'd', 'b', 'a']);
        expect(ids(await store.listCases({ labels: ['held'] }))).toEqual(['c', 'b']);
        expect(ids(await store.listCases({ labels: ['held', 'open'] }))).toEqual(['c', 'b', 'a']);
        expect(ids(await store.listCases({ workflow: 'w1', labels: ['held', 'rejected'] }))).toEqual([
          'd',
          'b',
        ]);
        expect(ids(await store.listCases({ final: true }))).toEqual(['d']);
        expect(ids(await store.listCases({ workflow: 'w1', final: false }))).toEqual(['e', 'b', 'a']);
        expect(await store.listCases({ labels: [] })).toEqual([]);
        expect(await store.listCases({ workflow: 'nope' })).toEqual([]);
      });

      it('pages with `before` (keyset): no case twice, none lost, ties broken by case id', async () => {
        // Five cases share one update time, so the order inside it comes from the case ids alone.
        const expected: string[] = [];
        for (let i = 0; i < 12; i++) {
          const caseId = `case-${String(i).padStart(2, '0')}`;
          await createIn(caseId, 'w1', { label: 'open', at: at(i < 5 ? 500 : i * 1000) });
        }
        for (let i = 11; i >= 5; i--) expected.push(`case-${String(i).padStart(2, '0')}`);
        for (let i = 4; i >= 0; i--) expected.push(`case-0${i}`);
        const seen: string[] = [];
        let before: { updatedAt: Date; caseId: string } | undefined;
        for (let page = 0; page < 10; page++) {
          const list = await store.listCases({ labels: ['open'], limit: 3, ...(before && { before }) });
          if (list.length === 0) break;
          expect(list.length).toBeLessThanOrEqual(3);
          seen.push(...ids(list));
          const last = list[list.length - 1];
          before = last && { updatedAt: last.updatedAt, caseId: last.caseId };
        }
        expect(seen).toEqual(expected);
      });

      it('orders case ids bytewise (upper case before lower case, digits first)', async () => {
        for (const caseId of ['b', 'B', 'a', 'A', '1']) await createIn(caseId, 'w1', { at: at(100) });
        expect(ids(await store.listCases({}))).toEqual(['b', 'a', 'B', 'A', '1']);
      });

      it('refuses a limit that is not a positive integer, and caps a large one', async () => {
        await expect(store.listCases({ limit: 0 })).rejects.toThrow(RangeError);
        await expect(store.listCases({ limit: 1.5 })).rejects.toThrow(RangeError);
        await createIn('a', 'w1');
        expect(ids(await store.listCases({ limit: 1_000_000 }))).toEqual(['a']);
      });

      it('purged cases leave the listing', async () => {
        await createIn('a', 'w1', { label: 'done', final: true, at: at(10) });
        await createIn('b', 'w1', { label: 'open', at: at(20) });
        await store.purgeFinalCases(at(1000));
        expect(ids(await store.listCases({ workflow: 'w1' }))).toEqual(['b']);
      });
    });

    describe('event log', () => {
      it('keeps every committed event, oldest first, with its time', async () => {
        await create('c1', { event: { type: 'started', input: { n: 1 } } });
        for (let v = 1; v <= 4; v++) expect((await store.commitStep(step('c1', v))).ok).toBe(true);
        await create('c2');
        const log = await store.events('c1');
        expect(log.map((e) => e.event)).toEqual([
          { type: 'started', input: { n: 1 } },
          { type: 'next', n: 1 },
          { type: 'next', n: 2 },
          { type: 'next', n: 3 },
          { type: 'next', n: 4 },
        ]);
        const seqs = log.map((e) => e.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(log.map((e) => e.at.getTime())).toEqual(
          [t0, at(1000), at(2000), at(3000), at(4000)].map((d) => d.getTime()),
        );
        expect(await store.events('c2')).toHaveLength(1);
      });
    });

    describe('outbox', () => {
      it('inserts effects with the step and hands them out once claimed, in order', async () => {
        await create('c1', {
          effects: [
            { idempotencyKey: 'pay', effect: { type: 'pay', amount: 100 } },
            { idempotencyKey: 'mail', effect: { type: 'mail' } },
          ],
        });
        const items = await store.claimOutbox('w1', 10, 30_000, at(1));
        expect(items.map((i) => [i.caseId, i.idempotencyKey, i.effect, i.attempts])).toEqual([
          ['c1', 'pay', { type: 'pay', amount: 100 }, 0],
          ['c1', 'mail', { type: 'mail' }, 0],
        ]);
        expect(new Set(items.map((i) => i.id)).size).toBe(2);
      });

      it('ignores a second effect with the same case + idempotency key', async () => {
        await create('c1', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay', try: 1 } }] });
        await store.commitStep(
          step('c1', 1, { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay', try: 2 } }] }),
        );
        // The same key inside one step is ignored too.
        await store.commitStep(
          step('c1', 2, {
            effects: [
              { idempotencyKey: 'ship', effect: { type: 'ship' } },
              { idempotencyKey: 'ship', effect: { type: 'ship', dup: true } },
            ],
          }),
        );
        // The same key in another case is a different effect.
        await create('c2', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay', try: 3 } }] });
        const items = await store.claimOutbox('w1', 10, 30_000, at(10_000));
        const keys = items.map((i) => `${i.caseId}/${i.idempotencyKey}`).sort();
        expect(keys).toEqual(['c1/pay', 'c1/ship', 'c2/pay']);
        expect(items.find((i) => i.caseId === 'c1' && i.idempotencyKey === 'pay')?.effect).toEqual({
          type: 'pay',
          try: 1,
        });
        expect(items.find((i) => i.idempotencyKey === 'ship')?.effect).toEqual({ type: 'ship' });
      });

      it('a completed key stays taken: re-requesting it does not run the effect again', async () => {
        await create('c1', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay' } }] });
        const [item] = await store.claimOutbox('w1', 10, 30_000, at(1));
        await store.completeOutbox(item?.id ?? '', 'w1', { receipt: 'r1' }, at(2));
        await store.commitStep(
          step('c1', 1, { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay' } }] }),
        );
        expect(await store.claimOutbox('w1', 10, 30_000, at(100_000))).toEqual([]);
      });

      it('respects the claim limit', async () => {
        await create('c1', {
          effects: ['a', 'b', 'c'].map((k) => ({ idempotencyKey: k, effect: { type: k } })),
        });
        expect(await store.claimOutbox('w1', 2, 30_000, at(1))).toHaveLength(2);
        expect(await store.claimOutbox('w1', 2, 30_000, at(1))).toHaveLength(1);
        expect(await store.claimOutbox('w1', 2, 30_000, at(1))).toHaveLength(0);
      });

      it('two claimers never get the same item', async () => {
        for (let c = 0; c < 4; c++) {
          await create(`c${c}`, {
            effects: ['a', 'b', 'c'].map((k) => ({ idempotencyKey: k, effect: { type: k } })),
          });
        }
        const [one, two, three] = await Promise.all([
          store.claimOutbox('w1', 5, 30_000, at(1)),
          store.claimOutbox('w2', 5, 30_000, at(1)),
          store.claimOutbox('w3', 5, 30_000, at(1)),
        ]);
        const ids = [...(one ?? []), ...(two ?? []), ...(three ?? [])].map((i) => i.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(12);
      });

      it('a held lease blocks others; an expired lease can be claimed again, with attempts counted', async () => {
        await create('c1', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay' } }] });
        const [held] = await store.claimOutbox('w1', 10, 1000, at(0));
        expect(held?.attempts).toBe(0);
        expect(await store.claimOutbox('w2', 10, 1000, at(999))).toEqual([]);
        const [again] = await store.claimOutbox('w2', 10, 1000, at(1000));
        expect(again?.id).toBe(held?.id);
        expect(again?.idempotencyKey).toBe('pay');
        expect(again?.attempts).toBe(1);
      });

      it('only the lease holder can complete an item', async () => {
        await create('c1', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay' } }] });
        const [item] = await store.claimOutbox('w1', 10, 1000, at(0));
        const id = item?.id ?? '';
        await store.completeOutbox(id, 'intruder', { bad: true }, at(1));
        // Still pending: after the lease expires it comes back.
        const [back] = await store.claimOutbox('w2', 10, 1000, at(1000));
        expect(back?.id).toBe(id);
        // w1 lost the lease to w2: its late completion does not count either.
        await store.completeOutbox(id, 'w1', {}, at(1001));
        await store.completeOutbox(id, 'w2', { ok: true }, at(1002));
        expect(await store.claimOutbox('w3', 10, 1000, at(1_000_000))).toEqual([]);
      });

      it('a completed item is never handed out again', async () => {
        await create('c1', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay' } }] });
        const [item] = await store.claimOutbox('w1', 10, 1000, at(0));
        await store.completeOutbox(item?.id ?? '', 'w1', undefined, at(10));
        expect(await store.claimOutbox('w2', 10, 1000, at(1_000_000))).toEqual([]);
      });

      it('a failed item comes back at retryAt, not before, and only the holder can fail it', async () => {
        await create('c1', { effects: [{ idempotencyKey: 'pay', effect: { type: 'pay' } }] });
        const [item] = await store.claimOutbox('w1', 10, 60_000, at(0));
        const id = item?.id ?? '';
        await store.failOutbox(id, 'intruder', 'nope', at(1));
        expect(await store.claimOutbox('w2', 10, 60_000, at(2))).toEqual([]);
        await store.failOutbox(id, 'w1', 'remote down', at(5000));
        expect(await store.claimOutbox('w2', 10, 60_000, at(4999))).toEqual([]);
        const [retry] = await store.claimOutbox('w2', 10, 60_000, at(5000));
        expect(retry?.id).toBe(id);
        expect(retry?.attempts).toBe(1);
        await store.completeOutbox(id, 'w2', null, at(5001));
        expect(await store.claimOutbox('w3', 10, 60_000, at(1_000_000))).toEqual([]);
      });
    });

    describe('timers', () => {
      it('claims only due timers, with their event', async () => {
        await create('c1', {
          timers: [
            { key: 'soon', dueAt: at(1000), event: { type: 'soon' } },
            { key: 'later', dueAt: at(5000), event: { type: 'later' } },
          ],
        });
        expect(await store.claimDueTimers('w1', 10, 30_000, at(999))).toEqual([]);
        const due = await store.claimDueTimers('w1', 10, 30_000, at(1000));
        expect(due.map((d) => [d.caseId, d.key, d.event, d.dueAt.getTime()])).toEqual([
          ['c1', 'soon', { type: 'soon' }, at(1000).getTime()],
        ]);
      });

      it('scheduling the same key again moves the timer', async () => {
        await create('c1', { timers: [{ key: 't', dueAt: at(1000), event: { type: 'v1' } }] });
        await store.commitStep(
          step('c1', 1, { timers: [{ key: 't', dueAt: at(9000), event: { type: 'v2' } }] }),
        );
        expect(await store.claimDueTimers('w1', 10, 30_000, at(8999))).toEqual([]);
        const due = await store.claimDueTimers('w1', 10, 30_000, at(9000));
        expect(due.map((d) => [d.key, d.event])).toEqual([['t', { type: 'v2' }]]);
      });

      it('cancelling removes the timer; cancels apply before new timers of the same step', async () => {
        await create('c1', {
          timers: [
            { key: 'a', dueAt: at(1000), event: { type: 'a' } },
            { key: 'b', dueAt: at(1000), event: { type: 'b' } },
          ],
        });
        await store.commitStep(step('c1', 1, { cancelTimers: ['a', 'unknown'] }));
        // Cancel + reschedule in one step (a fired timer that re-arms itself): the new timer stays.
        await store.commitStep(
          step('c1', 2, {
            cancelTimers: ['b'],
            timers: [{ key: 'b', dueAt: at(2000), event: { type: 'b2' } }],
          }),
        );
        const due = await store.claimDueTimers('w1', 10, 30_000, at(100_000));
        expect(due.map((d) => [d.key, d.event])).toEqual([['b', { type: 'b2' }]]);
      });

      it('a leased timer is not claimed twice until its lease expires; completing deletes it', async () => {
        await create('c1', { timers: [{ key: 't', dueAt: at(0), event: { type: 't' } }] });
        await create('c2', { timers: [{ key: 't', dueAt: at(0), event: { type: 't' } }] });
        const [one, two] = await Promise.all([
          store.claimDueTimers('w1', 10, 1000, at(10)),
          store.claimDueTimers('w2', 10, 1000, at(10)),
        ]);
        const all = [...(one ?? []), ...(two ?? [])].map((d) => d.caseId).sort();
        expect(all).toEqual(['c1', 'c2']);
        expect(await store.claimDueTimers('w3', 10, 1000, at(500))).toEqual([]);
        const holderOfC1 = one?.some((d) => d.caseId === 'c1') ? 'w1' : 'w2';
        await store.completeTimer('c1', 't', 'intruder');
        await store.completeTimer('c1', 't', holderOfC1);
        // Expired lease: c2's timer (never completed) comes back, c1's is gone.
        const again = await store.claimDueTimers('w3', 10, 1000, at(1010));
        expect(again.map((d) => d.caseId)).toEqual(['c2']);
      });

      it('completing a timer that was re-armed while leased keeps the new timer', async () => {
        await create('c1', { timers: [{ key: 't', dueAt: at(0), event: { type: 'v1' } }] });
        const [claimed] = await store.claimDueTimers('w1', 10, 1000, at(10));
        expect(claimed?.key).toBe('t');
        await store.commitStep(
          step('c1', 1, { timers: [{ key: 't', dueAt: at(50), event: { type: 'v2' } }] }),
        );
        await store.completeTimer('c1', 't', 'w1');
        const due = await store.claimDueTimers('w2', 10, 1000, at(60));
        expect(due.map((d) => [d.key, d.event])).toEqual([['t', { type: 'v2' }]]);
      });
    });

    describe('purge', () => {
      it('deletes final cases last updated before the cutoff, with their events, outbox and timers', async () => {
        await create('old-final', {
          effects: [{ idempotencyKey: 'e', effect: { type: 'e' } }],
          timers: [{ key: 't', dueAt: at(100), event: { type: 't' } }],
        });
        await store.commitStep(step('old-final', 1, { final: true, at: at(1000) }));
        await create('old-open', { at: at(1000) });
        await create('new-final', { at: at(1000) });
        await store.commitStep(step('new-final', 1, { final: true, at: at(50_000) }));

        expect(await store.purgeFinalCases(at(10_000))).toBe(1);
        expect(await store.loadCase('old-final')).toBeNull();
        expect(await store.events('old-final')).toEqual([]);
        expect(await store.loadCase('old-open')).not.toBeNull();
        expect(await store.loadCase('new-final')).not.toBeNull();
        expect(await store.claimOutbox('w', 10, 1000, at(100_000))).toEqual([]);
        expect(await store.claimDueTimers('w', 10, 1000, at(100_000))).toEqual([]);
        // The id is free again after the purge.
        expect(await create('old-final')).toBe(true);
        expect(await store.purgeFinalCases(at(10_000))).toBe(0);
      });
    });

    describe('migrate', () => {
      it('is idempotent and keeps the data', async () => {
        await create('c1');
        await store.migrate();
        await Promise.all([store.migrate(), store.migrate()]);
        expect((await store.loadCase('c1'))?.version).toBe(1);
      });
    });
  });
}
