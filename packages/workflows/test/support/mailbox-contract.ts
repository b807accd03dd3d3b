import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Mailbox } from '../../src/stores/mailbox.js';

/**
 * The behaviour every Mailbox must have (memory, SQLite, PostgreSQL). Each test gets a fresh, migrated mailbox.
 * Times are explicit, nothing depends on the wall clock.
 */
export function describeMailboxContract(
  name: string,
  make: () => Promise<{ mailbox: Mailbox; migrate?: () => Promise<void>; cleanup(): Promise<void> }>,
): void {
  describe(`Mailbox contract: ${name}`, () => {
    let mailbox: Mailbox;
    let migrate: (() => Promise<void>) | undefined;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await make();
      mailbox = made.mailbox;
      migrate = made.migrate;
      cleanup = made.cleanup;
      await migrate?.();
    });
    afterEach(async () => {
      await cleanup();
    });

    const t0 = new Date('2026-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);

    it('stores a message once per (recipient, key), keeping the first payload', async () => {
      expect(await mailbox.put('kiosk-1', 'job-1', { n: 1 }, t0)).toBe(true);
      expect(await mailbox.put('kiosk-1', 'job-1', { n: 2 }, at(5))).toBe(false);
      // The same key for another recipient is another message.
      expect(await mailbox.put('kiosk-2', 'job-1', { n: 3 }, t0)).toBe(true);
      const message = await mailbox.get('kiosk-1', 'job-1');
      expect(message).toMatchObject({ recipient: 'kiosk-1', key: 'job-1', payload: { n: 1 } });
      expect(message?.createdAt.getTime()).toBe(t0.getTime());
      expect(await mailbox.get('kiosk-1', 'nope')).toBeNull();
      expect(await mailbox.get('nobody', 'job-1')).toBeNull();
    });

    it("lists a recipient's messages oldest first, with growing seqs, JSON payloads intact", async () => {
      const payload = { text: '印刷してください', list: [1, 'two', null, { deep: true }], none: null };
      await mailbox.put('device-a', 'k1', payload, at(1));
      await mailbox.put('device-b', 'k1', { other: true }, at(2));
      await mailbox.put('device-a', 'k2', 'just a string', at(3));
      await mailbox.put('device-a', 'k3', undefined, at(4));
      const list = await mailbox.list('device-a');
      expect(list.map((m) => [m.recipient, m.key, m.payload, m.createdAt.getTime()])).toEqual([
        ['device-a', 'k1', payload, at(1).getTime()],
        ['device-a', 'k2', 'just a string', at(3).getTime()],
        ['device-a', 'k3', null, at(4).getTime()],
      ]);
      const seqs = list.map((m) => m.seq);
      expect(seqs.every((s) => Number.isSafeInteger(s) && s > 0)).toBe(true);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      expect(await mailbox.list('nobody')).toEqual([]);
    });

    it('polls with `after` and `limit`', async () => {
      for (let i = 0; i < 5; i++) await mailbox.put('r', `k${i}`, { i }, at(i));
      const firstTwo = await mailbox.list('r', { limit: 2 });
      expect(firstTwo.map((m) => m.key)).toEqual(['k0', 'k1']);
      const rest = await mailbox.list('r', { after: firstTwo[1]?.seq ?? 0 });
      expect(rest.map((m) => m.key)).toEqual(['k2', 'k3', 'k4']);
      expect(await mailbox.list('r', { after: rest[2]?.seq ?? 0 })).toEqual([]);
      await mailbox.put('r', 'k5', { i: 5 }, at(5));
      expect((await mailbox.list('r', { after: rest[2]?.seq ?? 0 })).map((m) => m.key)).toEqual(['k5']);
    });

    it('refuses a limit that is not a positive integer', async () => {
      await expect(mailbox.list('r', { limit: 0 })).rejects.toThrow(RangeError);
      await expect(mailbox.list('r', { limit: 2.5 })).rejects.toThrow(RangeError);
    });

    it('ack hides the message once; the key stays taken, so a re-run put delivers nothing again', async () => {
      await mailbox.put('r', 'a', { a: 1 }, t0);
      await mailbox.put('r', 'b', { b: 1 }, t0);
      expect(await mailbox.ack('r', 'a')).toBe(true);
      expect(await mailbox.ack('r', 'a')).toBe(false);
      expect(await mailbox.ack('r', 'unknown')).toBe(false);
      expect(await mailbox.ack('other', 'b')).toBe(false);
      expect(await mailbox.get('r', 'a')).toBeNull();
      expect((await mailbox.list('r')).map((m) => m.key)).toEqual(['b']);
      expect(await mailbox.put('r', 'a', { a: 2 }, at(1))).toBe(false);
      expect(await mailbox.get('r', 'a')).toBeNull();
    });

    it('purges messages created before the cutoff, acknowledged or not; seqs are never reused', async () => {
      await mailbox.put('r', 'old-acked', {}, at(0));
      await mailbox.put('r', 'old', {}, at(10));
      await mailbox.put('r', 'new', {}, at(1000));
      await mailbox.ack('r', 'old-acked');
      const before = await mailbox.list('r');
      const maxSeq = Math.max(...before.map((m) => m.seq));
      expect(await mailbox.purgeBefore(at(1000))).toBe(2);
      expect((await mailbox.list('r')).map((m) => m.key)).toEqual(['new']);
      expect(await mailbox.purgeBefore(at(1000))).toBe(0);
      // After the retention purge the key is free again, with a seq above every earlier one.
      expect(await mailbox.put('r', 'old', { again: true }, at(2000))).toBe(true);
      const again = await mailbox.get('r', 'old');
      expect(again?.seq).toBeGreaterThan(maxSeq);
      expect((await mailbox.list('r', { after: maxSeq })).map((m) => m.key)).toEqual(['old']);
    });

    it('migrate is idempotent and keeps the messages', async () => {
      await mailbox.put('r', 'k', { kept: true }, t0);
      await migrate?.();
      await Promise.all([migrate?.(), migrate?.()]);
      expect((await mailbox.get('r', 'k'))?.payload).toEqual({ kept: true });
    });
  });
}
