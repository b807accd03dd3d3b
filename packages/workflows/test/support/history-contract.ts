import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryPhotoEntry, HistoryPhotoIndex } from '../../src/stores/history-photo-index.js';

/** The behaviour every HistoryPhotoIndex must have (memory, SQLite, PostgreSQL). Each test gets a fresh index. */
export function describeHistoryPhotoIndexContract(
  name: string,
  make: () => Promise<{ index: HistoryPhotoIndex; migrate?: () => Promise<void>; cleanup(): Promise<void> }>,
): void {
  describe(`HistoryPhotoIndex contract: ${name}`, () => {
    let index: HistoryPhotoIndex;
    let migrate: (() => Promise<void>) | undefined;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await make();
      index = made.index;
      migrate = made.migrate;
      cleanup = made.cleanup;
      await migrate?.();
    });
    afterEach(async () => {
      await cleanup();
    });

    const alice = 'person-key-alice-0000000000';
    const bob = 'person-key-bob-00000000000000';
    let n = 0;
    const photoId = () => (++n).toString(16).padStart(32, '0');
    const entry = (over: Partial<HistoryPhotoEntry> = {}): HistoryPhotoEntry => ({
      personKey: alice,
      photoId: photoId(),
      kind: 'booth',
      capturedAt: '2026-01-01T00:00:00.000Z',
      caseId: 'w1-case',
      ...over,
    });

    it("lists a person's photos newest first, with every field as given", async () => {
      const older = entry({ capturedAt: '2025-06-01T09:00:00Z', caseId: 'w2-a', kind: 'registered' });
      const newer = entry({ capturedAt: '2026-02-03T04:05:06.789123Z', caseId: 'w1-b' });
      const middle = entry({ capturedAt: '2025-12-31T23:59:59.999Z' });
      for (const e of [older, newer, middle]) await index.add(e);
      await index.add(entry({ personKey: bob }));
      expect(await index.list(alice)).toEqual([newer, middle, older]);
      expect(await index.list('person-key-nobody-0000000')).toEqual([]);
    });

    it('filters by kind and limits; ties by photo id, descending', async () => {
      const same = '2026-01-01T00:00:00.000Z';
      const booth = [entry({ capturedAt: same }), entry({ capturedAt: same }), entry({ capturedAt: same })];
      const registered = entry({ kind: 'registered', capturedAt: '2020-01-01T00:00:00Z' });
      for (const e of [...booth, registered]) await index.add(e);
      const byIdDesc = [...booth].sort((a, b) => (a.photoId < b.photoId ? 1 : -1));
      expect(await index.list(alice, { kind: 'booth' })).toEqual(byIdDesc);
      expect(await index.list(alice, { kind: 'registered' })).toEqual([registered]);
      expect(await index.list(alice, { limit: 2 })).toEqual(byIdDesc.slice(0, 2));
      expect(await index.list(alice, { kind: 'booth', limit: 1 })).toEqual(byIdDesc.slice(0, 1));
      await expect(index.list(alice, { limit: 0 })).rejects.toThrow(RangeError);
    });

    it('returns at most 20 by default', async () => {
      for (let i = 0; i < 25; i++) {
        await index.add(entry({ capturedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));
      }
      const list = await index.list(alice);
      expect(list).toHaveLength(20);
      expect(list[0]?.capturedAt).toBe(new Date(Date.UTC(2026, 0, 1, 0, 24)).toISOString());
    });

    it('is idempotent on the photo id: a re-run add keeps the first entry', async () => {
      const first = entry();
      await index.add(first);
      await index.add({ ...first, caseId: 'other-case', capturedAt: '2027-01-01T00:00:00Z' });
      expect(await index.list(alice)).toEqual([first]);
    });

    it('refuses an invalid entry', async () => {
      await expect(index.add(entry({ photoId: 'not-hex' }))).rejects.toThrow();
      await expect(index.add(entry({ capturedAt: 'yesterday' }))).rejects.toThrow();
      await expect(index.add(entry({ kind: 'other' as 'booth' }))).rejects.toThrow();
      expect(await index.list(alice)).toEqual([]);
    });

    it('purges entries captured before the cutoff and names their photos', async () => {
      const old1 = entry({ capturedAt: '2020-01-01T00:00:00Z' });
      const old2 = entry({ personKey: bob, kind: 'registered', capturedAt: '2020-06-01T00:00:00Z' });
      const edge = entry({ capturedAt: '2021-01-01T00:00:00.000Z' });
      const fresh = entry({ capturedAt: '2025-01-01T00:00:00Z' });
      for (const e of [old1, old2, edge, fresh]) await index.add(e);
      const removed = await index.purgeBefore(new Date('2021-01-01T00:00:00.000Z'));
      expect([...removed].sort()).toEqual([old1.photoId, old2.photoId].sort());
      expect(await index.list(alice)).toEqual([fresh, edge]);
      expect(await index.list(bob)).toEqual([]);
      expect(await index.purgeBefore(new Date('2021-01-01T00:00:00.000Z'))).toEqual([]);
    });

    it('migrate is idempotent and keeps the entries', async () => {
      const kept = entry();
      await index.add(kept);
      await migrate?.();
      await Promise.all([migrate?.(), migrate?.()]);
      expect(await index.list(alice)).toEqual([kept]);
    });
  });
}
