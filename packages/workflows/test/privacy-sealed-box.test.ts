import { describe, expect, it } from 'vitest';
import {
  generateKeyBase64,
  Keyring,
  type KeyringConfig,
  PrivacyError,
  sealContext,
  sealedKeyId,
} from '../src/privacy/index.js';

const keyA = generateKeyBase64();
const keyB = generateKeyBase64();
const plaintext = new TextEncoder().encode('photo bytes of case 1');
const context = sealContext('case-1', 'live-photo');

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrivacyError);
  expect((error as PrivacyError).code).toBe(code);
}

describe('sealed box (rule: personal data encrypted at rest)', () => {
  it('round-trips and never contains the plaintext', async () => {
    const ring = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: keyA }] });
    const blob = await ring.seal(plaintext, context);
    expect(Buffer.from(blob).includes(Buffer.from(plaintext))).toBe(false);
    expect(sealedKeyId(blob)).toBe('k1');
    expect(Buffer.from(await ring.open(blob, sealContext('case-1', 'live-photo')))).toEqual(
      Buffer.from(plaintext),
    );
    // A fresh nonce each time: sealing twice gives different blobs.
    expect(Buffer.from(await ring.seal(plaintext, context)).equals(Buffer.from(blob))).toBe(false);
  });

  it('refuses tampered ciphertext, tampered header and other associated data', async () => {
    const ring = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: keyA }] });
    const blob = await ring.seal(plaintext, context);
    const flippedBody = blob.slice();
    flippedBody[blob.length - 20] = (flippedBody[blob.length - 20] ?? 0) ^ 1;
    await expectCode(ring.open(flippedBody, context), 'DECRYPT_FAILED');
    const flippedNonce = blob.slice();
    flippedNonce[10] = (flippedNonce[10] ?? 0) ^ 0x80; // inside the nonce (after magic, version, length, "k1")
    await expectCode(ring.open(flippedNonce, context), 'DECRYPT_FAILED');
    // The same photo cannot be moved to another case or purpose.
    await expectCode(ring.open(blob, sealContext('case-2', 'live-photo')), 'DECRYPT_FAILED');
    await expectCode(ring.open(blob, sealContext('case-1', 'card-photo')), 'DECRYPT_FAILED');
    // Context parts are not ambiguous when joined.
    const joined = await ring.seal(plaintext, sealContext('a|b', 'c'));
    await expectCode(ring.open(joined, sealContext('a', 'b|c')), 'DECRYPT_FAILED');
    await expectCode(ring.open(blob.subarray(0, 20), context), 'MALFORMED_BLOB');
    await expectCode(ring.open(new Uint8Array(64), context), 'MALFORMED_BLOB');
  });

  it('refuses a key of another keyring, or one it does not hold', async () => {
    const ring = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: keyA }] });
    const other = await Keyring.fromConfig({ current: 'k2', keys: [{ id: 'k2', key: keyB }] });
    const sameIdOtherKey = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: keyB }] });
    const blob = await ring.seal(plaintext, context);
    await expectCode(other.open(blob, context), 'UNKNOWN_KEY');
    await expectCode(sameIdOtherKey.open(blob, context), 'DECRYPT_FAILED');
  });

  it('rotates: new seals use the current key, old blobs still open, reseal moves them', async () => {
    const before = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: keyA }] });
    const oldBlob = await before.seal(plaintext, context);
    const rotated = await Keyring.fromConfig({
      current: 'k2',
      keys: [
        { id: 'k1', key: keyA },
        { id: 'k2', key: keyB },
      ],
    });
    const newBlob = await rotated.seal(plaintext, context);
    expect(sealedKeyId(newBlob)).toBe('k2');
    expect(Buffer.from(await rotated.open(oldBlob, context))).toEqual(Buffer.from(plaintext));
    expect(rotated.needsReseal(oldBlob)).toBe(true);
    expect(rotated.needsReseal(newBlob)).toBe(false);
    const resealed = await rotated.reseal(oldBlob, context);
    expect(sealedKeyId(resealed)).toBe('k2');
    // Once k1 is dropped, only the resealed blob opens (crypto-shredding of the rest).
    const after = await Keyring.fromConfig({ current: 'k2', keys: [{ id: 'k2', key: keyB }] });
    expect(Buffer.from(await after.open(resealed, context))).toEqual(Buffer.from(plaintext));
    await expectCode(after.open(oldBlob, context), 'UNKNOWN_KEY');
  });

  it('refuses bad key configuration with INVALID_KEY and without echoing the key', async () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const bad: unknown[] = [
      { current: 'k1', keys: [{ id: 'k1', key: short }] },
      { current: 'k1', keys: [{ id: 'k1', key: 'not base64!!' }] },
      { current: 'k9', keys: [{ id: 'k1', key: keyA }] },
      {
        current: 'k1',
        keys: [
          { id: 'k1', key: keyA },
          { id: 'k1', key: keyB },
        ],
      },
      { current: 'k1', keys: [] },
      { current: 'bad id/..', keys: [{ id: 'bad id/..', key: keyA }] },
    ];
    for (const config of bad) {
      const error = await Keyring.fromConfig(config).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PrivacyError);
      expect((error as PrivacyError).code).toBe('INVALID_KEY');
      expect(JSON.stringify(error) + String(error)).not.toContain(keyA.slice(0, 20));
      expect(String(error)).not.toContain(short);
    }
    const ok: KeyringConfig = { current: 'k1', keys: [{ id: 'k1', key: keyA }] };
    expect((await Keyring.fromConfig(ok)).currentKeyId).toBe('k1');
  });
});
