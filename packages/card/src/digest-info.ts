import { CardError } from './errors.js';

/** Hashes the card's signing keys are used with; the host hashes, the card pads (PKCS#1 v1.5) and signs. */
export type HashAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export const hashAlgorithms: readonly HashAlgorithm[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.split(' ').map((b) => Number.parseInt(b, 16)));
}

/** DER of DigestInfo up to the hash: SEQUENCE { AlgorithmIdentifier { OID, NULL }, OCTET STRING header }. */
const prefixes: Readonly<Record<HashAlgorithm, Uint8Array>> = {
  'SHA-1': hex('30 21 30 09 06 05 2B 0E 03 02 1A 05 00 04 14'),
  'SHA-256': hex('30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20'),
  'SHA-384': hex('30 41 30 0D 06 09 60 86 48 01 65 03 04 02 02 05 00 04 30'),
  'SHA-512': hex('30 51 30 0D 06 09 60 86 48 01 65 03 04 02 03 05 00 04 40'),
};

const hashLengths: Readonly<Record<HashAlgorithm, number>> = {
  'SHA-1': 20,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

function checkAlgorithm(alg: unknown): asserts alg is HashAlgorithm {
  if (!hashAlgorithms.includes(alg as HashAlgorithm)) {
    throw new CardError('INVALID_INPUT', 'unsupported hash algorithm', { details: { field: 'algorithm' } });
  }
}

/** The hash length in bytes. */
export function hashLength(alg: HashAlgorithm): number {
  checkAlgorithm(alg);
  return hashLengths[alg];
}

/** A copy of the DigestInfo DER prefix for `alg`. */
export function digestInfoPrefix(alg: HashAlgorithm): Uint8Array {
  checkAlgorithm(alg);
  return prefixes[alg].slice();
}

/** DigestInfo = prefix || hash, the input of COMPUTE DIGITAL SIGNATURE. */
export function wrapDigestInfo(alg: HashAlgorithm, hash: Uint8Array): Uint8Array {
  checkAlgorithm(alg);
  if (!(hash instanceof Uint8Array) || hash.length !== hashLengths[alg]) {
    throw new CardError('INVALID_INPUT', `a ${alg} hash is ${hashLengths[alg]} bytes`, {
      details: { field: 'hash', algorithm: alg },
    });
  }
  const prefix = prefixes[alg];
  const out = new Uint8Array(prefix.length + hash.length);
  out.set(prefix, 0);
  out.set(hash, prefix.length);
  return out;
}

/**
 * Recognises one of the four DigestInfo encodings exactly (prefix and total length); anything else,
 * including other DER spellings of the same value, throws CardError INVALID_INPUT.
 */
export function unwrapDigestInfo(bytes: Uint8Array): { algorithm: HashAlgorithm; hash: Uint8Array } {
  for (const algorithm of hashAlgorithms) {
    const prefix = prefixes[algorithm];
    if (bytes.length !== prefix.length + hashLengths[algorithm]) continue;
    if (prefix.every((b, i) => bytes[i] === b)) {
      return { algorithm, hash: bytes.slice(prefix.length) };
    }
  }
  throw new CardError('INVALID_INPUT', 'not a SHA-1/256/384/512 DigestInfo', {
    details: { field: 'digestInfo', length: bytes.length },
  });
}

/** Hashes `data` with WebCrypto and wraps the result in a DigestInfo. */
export async function hashToDigestInfo(alg: HashAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  checkAlgorithm(alg);
  // Copy into a fresh ArrayBuffer: WebCrypto's BufferSource type excludes SharedArrayBuffer views.
  const digest = await globalThis.crypto.subtle.digest(alg, new Uint8Array(data));
  return wrapDigestInfo(alg, new Uint8Array(digest));
}
