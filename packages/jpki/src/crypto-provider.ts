import { toArrayBuffer } from './bytes.js';
import { JpkiError } from './errors.js';

/**
 * The only crypto the JPKI validator needs: a WebCrypto `subtle`. Injectable so that a browser, Node or an HSM-backed
 * polyfill can be used; defaults to `globalThis.crypto`.
 */
export interface JpkiCrypto {
  readonly subtle: SubtleCrypto;
}

export function defaultCrypto(): JpkiCrypto {
  const crypto = (globalThis as { crypto?: JpkiCrypto }).crypto;
  if (!crypto?.subtle)
    throw new JpkiError('UNSUPPORTED_ALGORITHM', 'no WebCrypto available: pass a crypto provider');
  return crypto;
}

/** sha*WithRSAEncryption OIDs the validator accepts. SHA-1 is deliberately absent: JPKI signs with SHA-256. */
const rsaSignatureHashes: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
};

export function signatureHashOf(signatureAlgorithmOid: string): string | undefined {
  return rsaSignatureHashes[signatureAlgorithmOid];
}

/** SHA-256 of `data`, lowercase hex. */
export async function sha256Hex(data: Uint8Array, crypto: JpkiCrypto = defaultCrypto()): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', toArrayBuffer(data)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Verifies an RSASSA-PKCS1-v1_5 signature with an SPKI public key. A key WebCrypto refuses (not RSA, bad
 * encoding) is an UNSUPPORTED_ALGORITHM, a wrong signature is `false`.
 */
export async function verifyRsaSignature(
  spki: Uint8Array,
  hash: string,
  signature: Uint8Array,
  data: Uint8Array,
  crypto: JpkiCrypto = defaultCrypto(),
): Promise<boolean> {
  const key = await importVerifyKey(spki, hash, crypto);
  return crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, toArrayBuffer(signature), toArrayBuffer(data));
}

/**
 * Imported verification keys, per crypto provider: the same few root keys verify every certificate and OCSP
 * answer, and an SPKI import costs several RSA verifications. Bounded, oldest first out.
 */
const importedKeys = new WeakMap<JpkiCrypto, Map<string, Promise<CryptoKey>>>();
const MAX_IMPORTED_KEYS = 64;

function importVerifyKey(spki: Uint8Array, hash: string, crypto: JpkiCrypto): Promise<CryptoKey> {
  let cache = importedKeys.get(crypto);
  if (!cache) {
    cache = new Map();
    importedKeys.set(crypto, cache);
  }
  const id = `${hash}:${bytesKey(spki)}`;
  let key = cache.get(id);
  if (!key) {
    key = crypto.subtle
      .importKey('spki', toArrayBuffer(spki), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify'])
      .catch((cause: unknown) => {
        cache.delete(id);
        throw new JpkiError('UNSUPPORTED_ALGORITHM', 'issuer public key is not a usable RSA key', { cause });
      });
    if (cache.size >= MAX_IMPORTED_KEYS) cache.delete(cache.keys().next().value as string);
    cache.set(id, key);
  }
  return key;
}

function bytesKey(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}
