import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  digestInfoPrefix,
  type HashAlgorithm,
  hashLength,
  hashToDigestInfo,
  unwrapDigestInfo,
  wrapDigestInfo,
} from '../src/digest-info.js';
import { CardError } from '../src/errors.js';
import { parseTlvs } from '../src/tlv.js';

const fromHex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// OIDs: 1.3.14.3.2.26 (SHA-1) and 2.16.840.1.101.3.4.2.{1,2,3}, DER content bytes.
const cases: [HashAlgorithm, number, string, string][] = [
  ['SHA-1', 20, '2B0E03021A', 'sha1'],
  ['SHA-256', 32, '608648016503040201', 'sha256'],
  ['SHA-384', 48, '608648016503040202', 'sha384'],
  ['SHA-512', 64, '608648016503040203', 'sha512'],
];

function invalid(fn: () => unknown): void {
  expect(fn).toThrow(CardError);
  expect(fn).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
}

describe('wrapDigestInfo', () => {
  for (const [alg, length, oid] of cases) {
    it(`builds a well-formed ${alg} DigestInfo`, () => {
      expect(hashLength(alg)).toBe(length);
      const hash = Uint8Array.from({ length }, (_, i) => i + 1);
      const info = wrapDigestInfo(alg, hash);
      // Parse it back as DER: SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING hash } and nothing else.
      const [root, ...rest] = parseTlvs(info);
      expect(rest).toEqual([]);
      expect(root!.tag).toBe(0x30);
      expect(root!.size).toBe(info.length);
      const [algId, digest] = root!.children!;
      expect(algId!.tag).toBe(0x30);
      expect(algId!.children!.map((t) => t.tag)).toEqual([0x06, 0x05]);
      expect(algId!.children![0]!.value).toEqual(fromHex(oid));
      expect(algId!.children![1]!.value.length).toBe(0);
      expect(digest!.tag).toBe(0x04);
      expect(digest!.value).toEqual(hash);
      expect(info.subarray(0, info.length - length)).toEqual(digestInfoPrefix(alg));
    });
  }

  it('matches the SHA-256 prefix in the spec byte for byte', () => {
    expect(digestInfoPrefix('SHA-256')).toEqual(
      fromHex('30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20'),
    );
    expect(digestInfoPrefix('SHA-1')).toEqual(fromHex('30 21 30 09 06 05 2B 0E 03 02 1A 05 00 04 14'));
  });

  it('rejects a hash of the wrong length or an unknown algorithm', () => {
    invalid(() => wrapDigestInfo('SHA-256', new Uint8Array(20)));
    invalid(() => wrapDigestInfo('SHA-1', new Uint8Array(32)));
    invalid(() => wrapDigestInfo('MD5' as HashAlgorithm, new Uint8Array(16)));
  });

  it('returns prefix copies that callers cannot corrupt', () => {
    digestInfoPrefix('SHA-256')[0] = 0;
    expect(digestInfoPrefix('SHA-256')[0]).toBe(0x30);
  });
});

describe('unwrapDigestInfo', () => {
  it('round-trips every algorithm', () => {
    for (const [alg, length] of cases) {
      const hash = new Uint8Array(length).fill(0xab);
      const { algorithm, hash: out } = unwrapDigestInfo(wrapDigestInfo(alg, hash));
      expect(algorithm).toBe(alg);
      expect(out).toEqual(hash);
    }
  });

  it('is strict', () => {
    const good = wrapDigestInfo('SHA-256', new Uint8Array(32));
    invalid(() => unwrapDigestInfo(good.subarray(0, good.length - 1)));
    invalid(() => unwrapDigestInfo(Uint8Array.from([...good, 0])));
    const otherOid = good.slice();
    otherOid[14] = 0x09; // OID …04 02 09: not one of the four
    invalid(() => unwrapDigestInfo(otherOid));
    invalid(() => unwrapDigestInfo(new Uint8Array(51)));
    invalid(() => unwrapDigestInfo(new Uint8Array(0)));
    // A bare hash is not a DigestInfo.
    invalid(() => unwrapDigestInfo(new Uint8Array(32)));
  });
});

describe('hashToDigestInfo', () => {
  it('hashes "abc" to the FIPS 180 SHA-256 test vector', async () => {
    const info = await hashToDigestInfo('SHA-256', new TextEncoder().encode('abc'));
    expect(unwrapDigestInfo(info).hash).toEqual(
      fromHex('ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad'),
    );
  });

  it('agrees with node:crypto for every algorithm', async () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    for (const [alg, , , nodeName] of cases) {
      const info = await hashToDigestInfo(alg, data);
      const { algorithm, hash } = unwrapDigestInfo(info);
      expect(algorithm).toBe(alg);
      expect(hash).toEqual(Uint8Array.from(createHash(nodeName).update(data).digest()));
    }
  });
});
