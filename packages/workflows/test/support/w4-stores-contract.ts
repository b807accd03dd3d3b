import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AccountBinding,
  AccountBindingStore,
  EvidenceRecord,
  EvidenceStore,
} from '../../src/w4/stores.js';

export interface W4Stores {
  readonly accounts: AccountBindingStore;
  readonly evidence: EvidenceStore;
  migrate?(): Promise<void>;
  cleanup(): Promise<void>;
}

export const binding = (over: Partial<AccountBinding> = {}): AccountBinding => ({
  customerId: 'customer-1',
  accountKey: 'root-sha256:0123abcd',
  authSerial: '0123abcd',
  boundAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

/** A fake, schema-valid evidence record. Revocation answers carry Dates and raw bytes, as the real ones do. */
export const evidenceRecord = (over: {
  id: string;
  customerId?: string;
  verifiedAt?: string;
  retainUntil?: string;
}): EvidenceRecord => ({
  id: over.id,
  customerId: over.customerId ?? 'customer-1',
  verifierId: 'verifier-1',
  evidence: {
    verifiedAt: over.verifiedAt ?? '2026-01-01T00:00:00.000Z',
    retainUntil: over.retainUntil ?? '2033-01-01T00:00:00.000Z',
    certificate: Buffer.from(`certificate of ${over.id}: 山田太郎 東京都千代田区`).toString('base64'),
    rootSha256: 'ab'.repeat(32),
    signedData: Buffer.from('transaction\nnonce:00').toString('base64'),
    signature: Buffer.from([1, 2, 3, 4]).toString('base64'),
    hash: 'SHA-256',
    serialNumber: `serial-${over.id}`,
    revocation: {
      status: 'good',
      evidence: [
        {
          source: 'ocsp',
          checkedAt: new Date('2026-01-01T00:00:00.000Z'),
          nextUpdate: null,
          rawResponse: new Uint8Array([0x30, 0x82, 0x00, 0xff]),
          nested: { list: [1, 'two'] },
        },
      ],
    },
  },
});

/** The behaviour every W4 account binding and evidence store must have (memory, SQLite, PostgreSQL). */
export function describeW4StoresContract(name: string, make: () => Promise<W4Stores>): void {
  describe(`W4 stores contract: ${name}`, () => {
    let stores: W4Stores;
    beforeEach(async () => {
      stores = await make();
      await stores.migrate?.();
    });
    afterEach(async () => {
      await stores.cleanup();
    });

    describe('account bindings', () => {
      it('binds a new account key and finds it', async () => {
        expect(await stores.accounts.findByAccountKey(binding().accountKey)).toBeNull();
        expect(await stores.accounts.bindIfAbsent(binding())).toEqual({ binding: binding(), created: true });
        expect(await stores.accounts.findByAccountKey(binding().accountKey)).toEqual(binding());
      });

      it('keeps the first binding of a key: a second customer gets the first one back', async () => {
        await stores.accounts.bindIfAbsent(binding());
        const second = binding({ customerId: 'customer-2', boundAt: '2026-02-01T00:00:00.000Z' });
        expect(await stores.accounts.bindIfAbsent(second)).toEqual({ binding: binding(), created: false });
        const other = binding({ accountKey: 'root-sha256:ffff', customerId: 'customer-2' });
        expect((await stores.accounts.bindIfAbsent(other)).created).toBe(true);
        expect(await stores.accounts.findByAccountKey('root-sha256:ffff')).toEqual(other);
      });

      it('concurrent first logins with one card all end on the same binding', async () => {
        const results = await Promise.all(
          [1, 2, 3, 4, 5].map((i) => stores.accounts.bindIfAbsent(binding({ customerId: `customer-${i}` }))),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)?.binding;
        for (const r of results) expect(r.binding).toEqual(winner);
        expect(await stores.accounts.findByAccountKey(binding().accountKey)).toEqual(winner);
      });
    });

    describe('evidence', () => {
      it('keeps a record intact (dates and bytes in the revocation answers included)', async () => {
        const record = evidenceRecord({ id: 'e1' });
        await stores.evidence.put(record);
        expect(await stores.evidence.latestFor('customer-1')).toEqual(record);
        expect(await stores.evidence.latestFor('customer-2')).toBeNull();
      });

      it('returns the most recent record by verification time; on a tie the later put', async () => {
        await stores.evidence.put(evidenceRecord({ id: 'mid', verifiedAt: '2026-03-01T00:00:00.000Z' }));
        await stores.evidence.put(evidenceRecord({ id: 'new', verifiedAt: '2026-05-01T00:00:00.000Z' }));
        await stores.evidence.put(evidenceRecord({ id: 'old', verifiedAt: '2026-01-01T00:00:00.000Z' }));
        await stores.evidence.put(
          evidenceRecord({ id: 'other', customerId: 'customer-2', verifiedAt: '2027-01-01T00:00:00.000Z' }),
        );
        expect((await stores.evidence.latestFor('customer-1'))?.id).toBe('new');
        await stores.evidence.put(
          evidenceRecord({ id: 'same-time', verifiedAt: '2026-05-01T00:00:00.000Z' }),
        );
        expect((await stores.evidence.latestFor('customer-1'))?.id).toBe('same-time');
        expect((await stores.evidence.latestFor('customer-2'))?.id).toBe('other');
      });

      it('is idempotent on the record id', async () => {
        const first = evidenceRecord({ id: 'e1', verifiedAt: '2026-01-01T00:00:00.000Z' });
        await stores.evidence.put(first);
        await stores.evidence.put(evidenceRecord({ id: 'e1', verifiedAt: '2026-09-01T00:00:00.000Z' }));
        expect(await stores.evidence.latestFor('customer-1')).toEqual(first);
        expect(await stores.evidence.purgeExpired(new Date('2099-01-01T00:00:00Z'))).toBe(1);
      });

      it('purges the records whose retention date has passed (the date itself included)', async () => {
        await stores.evidence.put(evidenceRecord({ id: 'a', retainUntil: '2030-01-01T00:00:00.000Z' }));
        await stores.evidence.put(
          evidenceRecord({
            id: 'b',
            customerId: 'customer-2',
            retainUntil: '2031-01-01T00:00:00.000Z',
          }),
        );
        await stores.evidence.put(
          evidenceRecord({
            id: 'c',
            customerId: 'customer-2',
            verifiedAt: '2026-06-01T00:00:00.000Z',
            retainUntil: '2032-01-01T00:00:00.000Z',
          }),
        );
        expect(await stores.evidence.purgeExpired(new Date('2029-12-31T23:59:59.999Z'))).toBe(0);
        expect(await stores.evidence.purgeExpired(new Date('2031-01-01T00:00:00.000Z'))).toBe(2);
        expect(await stores.evidence.latestFor('customer-1')).toBeNull();
        expect((await stores.evidence.latestFor('customer-2'))?.id).toBe('c');
        expect(await stores.evidence.purgeExpired(new Date('2031-01-01T00:00:00.000Z'))).toBe(0);
      });
    });

    it('migrate is idempotent and keeps the data', async () => {
      await stores.accounts.bindIfAbsent(binding());
      await stores.evidence.put(evidenceRecord({ id: 'e1' }));
      await stores.migrate?.();
      await Promise.all([stores.migrate?.(), stores.migrate?.()]);
      expect(await stores.accounts.findByAccountKey(binding().accountKey)).toEqual(binding());
      expect((await stores.evidence.latestFor('customer-1'))?.id).toBe('e1');
    });
  });
}
