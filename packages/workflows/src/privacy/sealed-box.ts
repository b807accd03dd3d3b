import { z } from 'zod';
import { PrivacyError } from './errors.js';

// Browser-safe: WebCrypto only.
//
// Format v1 (all integers big-endian):
//   magic "MKSB" | version 0x01 | keyIdLength u8 | keyId (ASCII) | nonce (12 bytes) | AES-256-GCM ciphertext+tag (16)
// The header (magic..nonce) is authenticated together with the caller's associated data, so neither the key id,
// the version nor the context a blob was sealed for can be changed without DECRYPT_FAILED.

const MAGIC = new Uint8Array([0x4d, 0x4b, 0x53, 0x42]); // "MKSB"
export const SEALED_BOX_VERSION = 1;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;

const keyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'key ids are 1-64 characters of A-Z a-z 0-9 . _ -');

const base64KeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'keys are standard base64')
  .refine((value) => decodeBase64(value).length === KEY_LENGTH, 'keys are 32 bytes (AES-256)');

/** One key of the keyring: the id is stored in every blob sealed with it. */
export const keyConfigSchema = z.object({ id: keyIdSchema, key: base64KeySchema });

/**
 * Keyring configuration. `current` seals new blobs; every listed key can open. Rotation: add a new key, make it
 * current, re-seal (or let retention purge) old blobs, then drop the old key — blobs under it become unreadable
 * (crypto-shredding).
 */
export const keyringConfigSchema = z
  .object({ current: keyIdSchema, keys: z.array(keyConfigSchema).min(1) })
  .refine((c) => new Set(c.keys.map((k) => k.id)).size === c.keys.length, 'key ids are unique')
  .refine((c) => c.keys.some((k) => k.id === c.current), 'the current key is one of the keys');

export type KeyConfig = z.infer<typeof keyConfigSchema>;
export type KeyringConfig = z.infer<typeof keyringConfigSchema>;

/** What a blob is bound to: bytes, or a string (UTF-8). Use `sealContext` for structured contexts. */
export type AssociatedData = Uint8Array | string;

/** Encodes a context (e.g. case id and purpose) unambiguously: ('a|b','c') and ('a','b|c') differ. */
export function sealContext(...parts: readonly string[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['mynakit-seal', ...parts]));
}

/** 32 fresh random bytes as base64, for `KeyConfig.key`. */
export function generateKeyBase64(): string {
  return encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(KEY_LENGTH)));
}

export class Keyring {
  private constructor(
    readonly currentKeyId: string,
    private readonly keys: ReadonlyMap<string, CryptoKey>,
  ) {}

  /** Validates the configuration (throws PrivacyError INVALID_KEY, never echoing key material) and imports the keys. */
  static async fromConfig(config: unknown): Promise<Keyring> {
    const parsed = keyringConfigSchema.safeParse(config);
    if (!parsed.success) {
      // Only paths and our own messages: zod issues could otherwise carry the input.
      const where = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw new PrivacyError('INVALID_KEY', `invalid keyring configuration (${where})`);
    }
    const keys = new Map<string, CryptoKey>();
    for (const { id, key } of parsed.data.keys) {
      const raw = decodeBase64(key);
      keys.set(
        id,
        await globalThis.crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']),
      );
      raw.fill(0);
    }
    return new Keyring(parsed.data.current, keys);
  }

  get keyIds(): readonly string[] {
    return [...this.keys.keys()];
  }

  /** Seals with the current key and a random 96-bit nonce. */
  async seal(plaintext: Uint8Array, associatedData: AssociatedData): Promise<Uint8Array> {
    const key = this.keys.get(this.currentKeyId);
    if (key === undefined) throw new PrivacyError('UNKNOWN_KEY', 'the current key is missing');
    const keyId = new TextEncoder().encode(this.currentKeyId);
    const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
    const header = concat(MAGIC, Uint8Array.of(SEALED_BOX_VERSION, keyId.length), keyId, nonce);
    const ciphertext = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: concat(header, toBytes(associatedData)), tagLength: 128 },
      key,
      ownBuffer(plaintext),
    );
    return concat(header, new Uint8Array(ciphertext));
  }

  /** Opens a blob sealed by any key of the ring, for exactly the same associated data. */
  async open(blob: Uint8Array, associatedData: AssociatedData): Promise<Uint8Array> {
    const { keyId, header, nonce, ciphertext } = parseSealedBox(blob);
    const key = this.keys.get(keyId);
    if (key === undefined)
      throw new PrivacyError('UNKNOWN_KEY', 'the blob was sealed with a key this keyring does not hold', {
        details: { keyId },
      });
    try {
      const plaintext = await globalThis.crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: ownBuffer(nonce),
          additionalData: concat(header, toBytes(associatedData)),
          tagLength: 128,
        },
        key,
        ownBuffer(ciphertext),
      );
      return new Uint8Array(plaintext);
    } catch (cause) {
      throw new PrivacyError(
        'DECRYPT_FAILED',
        'the blob does not authenticate (tampered, or other associated data)',
        { details: { keyId }, cause },
      );
    }
  }

  /** True when the blob was sealed with an older key and should be re-sealed after a rotation. */
  needsReseal(blob: Uint8Array): boolean {
    return sealedKeyId(blob) !== this.currentKeyId;
  }

  /** Opens and seals again with the current key (rotation). */
  async reseal(blob: Uint8Array, associatedData: AssociatedData): Promise<Uint8Array> {
    const plaintext = await this.open(blob, associatedData);
    try {
      return await this.seal(plaintext, associatedData);
    } finally {
      plaintext.fill(0);
    }
  }
}

/** The key id a blob names, without decrypting (throws MALFORMED_BLOB). */
export function sealedKeyId(blob: Uint8Array): string {
  return parseSealedBox(blob).keyId;
}

function parseSealedBox(blob: Uint8Array): {
  keyId: string;
  header: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
} {
  if (!(blob instanceof Uint8Array) || blob.length < MAGIC.length + 2) throw malformed('too short');
  for (let i = 0; i < MAGIC.length; i++) if (blob[i] !== MAGIC[i]) throw malformed('wrong magic');
  const version = blob[MAGIC.length];
  if (version !== SEALED_BOX_VERSION) throw malformed(`unsupported version ${version}`);
  const keyIdLength = blob[MAGIC.length + 1] ?? 0;
  const keyIdStart = MAGIC.length + 2;
  const nonceStart = keyIdStart + keyIdLength;
  const bodyStart = nonceStart + NONCE_LENGTH;
  if (keyIdLength === 0 || blob.length < bodyStart + TAG_LENGTH) throw malformed('truncated');
  const keyId = new TextDecoder().decode(blob.subarray(keyIdStart, nonceStart));
  if (!keyIdSchema.safeParse(keyId).success) throw malformed('invalid key id');
  return {
    keyId,
    header: blob.subarray(0, bodyStart),
    nonce: blob.subarray(nonceStart, bodyStart),
    ciphertext: blob.subarray(bodyStart),
  };
}

function malformed(why: string): PrivacyError {
  return new PrivacyError('MALFORMED_BLOB', `not a sealed box: ${why}`);
}

/** WebCrypto wants ArrayBuffer-backed views (not SharedArrayBuffer): copy only when needed. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

function toBytes(data: AssociatedData): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

function concat(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function decodeBase64(value: string): Uint8Array<ArrayBuffer> {
  try {
    const binary = atob(value);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return new Uint8Array(0);
  }
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
