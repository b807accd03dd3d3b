import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilePhotoStore } from '../src/node.js';
import {
  generateKeyBase64,
  Keyring,
  MemoryPhotoStore,
  type PhotoStore,
  PrivacyError,
} from '../src/privacy/index.js';

const MARKER = 'PLAINTEXT-MARKER-JPEG-0123456789';
const keyA = generateKeyBase64();
const keyB = generateKeyBase64();

function photoBytes(extra = ''): Uint8Array<ArrayBuffer> {
  // A JPEG-ish start, a marker we can search for on disk, and some filler.
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from(MARKER + extra),
      Buffer.alloc(300, 0x5a),
    ]),
  );
}

class FakeClock {
  constructor(public now: Date) {}
  readonly read = (): Date => this.now;
  advanceDays(days: number): void {
    this.now = new Date(this.now.getTime() + days * 86_400_000);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof PrivacyError ? e.code : `not a PrivacyError: ${String(e)}`),
  );
}

let dir: string;
let keyring: Keyring;
let clock: FakeClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mynakit-photos-'));
  keyring = await Keyring.fromConfig({ current: 'k1', keys: [{ id: 'k1', key: keyA }] });
  clock = new FakeClock(new Date('2026-04-01T09:00:00.000Z'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stores: [string, () => PhotoStore][] = [
  ['MemoryPhotoStore', () => new MemoryPhotoStore({ keyring, clock: clock.read })],
  ['FilePhotoStore', () => new FilePhotoStore({ dir: join(dir, 'photos'), keyring, clock: clock.read })],
];

describe.each(stores)('%s (photos encrypted at rest, retention)', (_name, makeStore) => {
  it('stores, gets back the same bytes with metadata, and deletes', async () => {
    const store = makeStore();
    const bytes = photoBytes();
    const capturedAt = new Date('2026-04-01T08:59:30.000Z');
    const meta = await store.put({ kind: 'live', caseId: 'case-1', capturedAt, bytes });
    expect(meta).toMatchObject({
      kind: 'live',
      caseId: 'case-1',
      capturedAt: capturedAt.toISOString(),
      storedAt: clock.now.toISOString(),
      byteLength: bytes.length,
    });
    expect(meta.id).toMatch(/^[0-9a-f]{32}$/);
    expect(meta.sha256).toBe(Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex'));
    const other = await store.put({ kind: 'card', caseId: 'case-1', capturedAt, bytes: photoBytes('x') });
    expect(other.id).not.toBe(meta.id);

    const got = await store.get(meta.id);
    expect(got?.metadata).toEqual(meta);
    expect(Buffer.from(got?.bytes ?? [])).toEqual(Buffer.from(bytes));
    expect(await store.metadata(meta.id)).toEqual(meta);

    expect(await store.delete(meta.id)).toBe(true);
    expect(await store.get(meta.id)).toBeUndefined();
    expect(await store.delete(meta.id)).toBe(false);
    expect(await store.get(other.id)).toBeDefined();
  });

  it('refuses ids that are not its own form (no path traversal) and invalid input', async () => {
    const store = makeStore();
    expect(await codeOf(store.get('../../etc/passwd'))).toBe('INVALID_INPUT');
    expect(await codeOf(store.delete('ABC'))).toBe('INVALID_INPUT');
    expect(await store.get('0'.repeat(32))).toBeUndefined();
    expect(
      await codeOf(
        store.put({ kind: 'selfie' as 'live', caseId: 'c', capturedAt: new Date(), bytes: photoBytes() }),
      ),
    ).toBe('INVALID_INPUT');
    expect(
      await codeOf(store.put({ kind: 'live', caseId: '', capturedAt: new Date(), bytes: photoBytes() })),
    ).toBe('INVALID_INPUT');
  });

  it('purges by age (storedAt) with the injected clock', async () => {
    const store = makeStore();
    const capturedAt = clock.now;
    const old1 = await store.put({ kind: 'history', caseId: 'case-1', capturedAt, bytes: photoBytes('1') });
    clock.advanceDays(10);
    const old2 = await store.put({
      kind: 'registered',
      caseId: 'case-2',
      capturedAt,
      bytes: photoBytes('2'),
    });
    clock.advanceDays(20);
    const fresh = await store.put({ kind: 'live', caseId: 'case-3', capturedAt, bytes: photoBytes('3') });

    const cutoff = new Date(clock.now.getTime() - 15 * 86_400_000); // 15 days of retention
    expect(await store.purgeOlderThan(cutoff)).toBe(2);
    expect(await store.get(old1.id)).toBeUndefined();
    expect(await store.get(old2.id)).toBeUndefined();
    expect(await store.get(fresh.id)).toBeDefined();
    expect(await store.purgeOlderThan(cutoff)).toBe(0);
  });
});

describe('MemoryPhotoStore', () => {
  it('holds only sealed bytes and detects tampering', async () => {
    const store = new MemoryPhotoStore({ keyring, clock: clock.read });
    const meta = await store.put({
      kind: 'card',
      caseId: 'case-1',
      capturedAt: clock.now,
      bytes: photoBytes(),
    });
    const blob = store.sealedBlob(meta.id);
    expect(blob).toBeDefined();
    expect(Buffer.from(blob ?? []).includes(Buffer.from(MARKER))).toBe(false);
    blob?.set([(blob[blob.length - 1] ?? 0) ^ 1], blob.length - 1);
    expect(await codeOf(store.get(meta.id))).toBe('DECRYPT_FAILED');
  });
});

describe('FilePhotoStore on disk', () => {
  it('never writes the plaintext, writes files 0600 in a 0700 directory and leaves no temp files', async () => {
    const photos = join(dir, 'photos');
    const store = new FilePhotoStore({ dir: photos, keyring, clock: clock.read });
    const a = await store.put({ kind: 'card', caseId: 'case-1', capturedAt: clock.now, bytes: photoBytes() });
    await store.put({ kind: 'live', caseId: 'case-1', capturedAt: clock.now, bytes: photoBytes('b') });
    const names = await readdir(photos);
    expect(names.sort()).toHaveLength(2);
    expect(names).toContain(`${a.id}.photo`);
    for (const name of names) {
      const content = await readFile(join(photos, name));
      expect(content.includes(Buffer.from(MARKER))).toBe(false);
      expect(content.includes(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe(false);
      expect((await stat(join(photos, name))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(photos)).mode & 0o077).toBe(0);
  });

  it('detects a swapped blob, a tampered file and edited metadata', async () => {
    const store = new FilePhotoStore({ dir, keyring, clock: clock.read });
    const a = await store.put({
      kind: 'live',
      caseId: 'case-1',
      capturedAt: clock.now,
      bytes: photoBytes('a'),
    });
    const b = await store.put({
      kind: 'live',
      caseId: 'case-2',
      capturedAt: clock.now,
      bytes: photoBytes('b'),
    });
    const pathA = join(dir, `${a.id}.photo`);
    const pathB = join(dir, `${b.id}.photo`);
    const fileA = await readFile(pathA);
    const fileB = await readFile(pathB);

    // Case 2's sealed blob under case 1's metadata: must not open.
    const metaEndA = 9 + fileA.readUInt32BE(5);
    const metaEndB = 9 + fileB.readUInt32BE(5);
    await writeFile(pathA, Buffer.concat([fileA.subarray(0, metaEndA), fileB.subarray(metaEndB)]));
    expect(await codeOf(store.get(a.id))).toBe('DECRYPT_FAILED');

    // A flipped ciphertext byte.
    const flipped = Buffer.from(fileA);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    await writeFile(pathA, flipped);
    expect(await codeOf(store.get(a.id))).toBe('DECRYPT_FAILED');

    // Metadata edited to claim another case (same length keeps the header valid).
    const edited = Buffer.from(fileA.toString('latin1').replace('"case-1"', '"case-9"'), 'latin1');
    await writeFile(pathA, edited);
    expect(await codeOf(store.get(a.id))).toBe('DECRYPT_FAILED');

    await writeFile(pathA, Buffer.from('garbage'));
    expect(await codeOf(store.get(a.id))).toBe('MALFORMED_BLOB');
    // Restored, it opens again.
    await writeFile(pathA, fileA);
    expect(Buffer.from((await store.get(a.id))?.bytes ?? [])).toEqual(Buffer.from(photoBytes('a')));
  });

  it('keeps opening photos after a key rotation and seals new ones with the new key', async () => {
    const before = await new FilePhotoStore({ dir, keyring, clock: clock.read }).put({
      kind: 'live',
      caseId: 'case-1',
      capturedAt: clock.now,
      bytes: photoBytes('old'),
    });
    const rotated = await Keyring.fromConfig({
      current: 'k2',
      keys: [
        { id: 'k1', key: keyA },
        { id: 'k2', key: keyB },
      ],
    });
    const store = new FilePhotoStore({ dir, keyring: rotated, clock: clock.read });
    expect(Buffer.from((await store.get(before.id))?.bytes ?? [])).toEqual(Buffer.from(photoBytes('old')));
    const after = await store.put({
      kind: 'live',
      caseId: 'case-1',
      capturedAt: clock.now,
      bytes: photoBytes('new'),
    });
    expect(Buffer.from((await store.get(after.id))?.bytes ?? [])).toEqual(Buffer.from(photoBytes('new')));
    // The new photo is under k2: a ring with only k1 cannot open it, one with only k2 can.
    const onlyOld = new FilePhotoStore({ dir, keyring });
    expect(await codeOf(onlyOld.get(after.id))).toBe('UNKNOWN_KEY');
    const onlyNew = new FilePhotoStore({
      dir,
      keyring: await Keyring.fromConfig({ current: 'k2', keys: [{ id: 'k2', key: keyB }] }),
    });
    expect(await onlyNew.get(after.id)).toBeDefined();
    expect(await codeOf(onlyNew.get(before.id))).toBe('UNKNOWN_KEY');
  });

  it('a second store over the same directory reads what the first wrote (durable)', async () => {
    const first = new FilePhotoStore({ dir, keyring, clock: clock.read });
    const meta = await first.put({
      kind: 'registered',
      caseId: 'case-7',
      capturedAt: clock.now,
      bytes: photoBytes(),
    });
    const second = new FilePhotoStore({ dir, keyring });
    expect((await second.get(meta.id))?.metadata).toEqual(meta);
  });

  it('purge on a missing directory is a no-op', async () => {
    const store = new FilePhotoStore({ dir: join(dir, 'never-created'), keyring });
    expect(await store.purgeOlderThan(new Date())).toBe(0);
  });
});
