import { bitString, decode, isUniversal, type Node, oid, primitiveBytes, sequence, tag } from '../asn1.js';
import { toHex } from '../bytes.js';
import { JpkiError } from '../errors.js';
import { OID_RSA_ENCRYPTION } from './algorithms.js';

/** An RSA public key as big integers, with the modulus length in bytes (k in RFC 8017). */
export interface RsaPublicKey {
  modulus: bigint;
  exponent: bigint;
  length: number;
}

function unsignedInteger(node: Node | undefined, what: string): Uint8Array {
  if (!isUniversal(node, tag.INTEGER)) throw unusable(what);
  const bytes = primitiveBytes(node, what);
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) throw unusable(what);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function unusable(what: string): JpkiError {
  return new JpkiError('UNSUPPORTED_ALGORITHM', 'the certificate does not hold a usable RSA public key', {
    details: { field: what },
  });
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

/** I2OSP: the big-endian encoding of `value` in exactly `length` bytes (the caller guarantees it fits). */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** SubjectPublicKeyInfo DER → RSA key. UNSUPPORTED_ALGORITHM when it is not rsaEncryption or is malformed. */
export function parseRsaPublicKey(spki: Uint8Array): RsaPublicKey {
  let fields: Node[];
  try {
    const [algorithm, key] = sequence(decode(spki, 'subjectPublicKeyInfo'), 'subjectPublicKeyInfo');
    if (oid(sequence(algorithm, 'spki algorithm')[0], 'spki algorithm') !== OID_RSA_ENCRYPTION)
      throw unusable('algorithm');
    const { bytes, unusedBits } = bitString(key, 'subjectPublicKey');
    if (unusedBits !== 0) throw unusable('subjectPublicKey');
    fields = sequence(decode(bytes, 'RSAPublicKey'), 'RSAPublicKey');
  } catch (cause) {
    if (cause instanceof JpkiError && cause.code === 'UNSUPPORTED_ALGORITHM') throw cause;
    throw new JpkiError('UNSUPPORTED_ALGORITHM', 'the certificate does not hold a usable RSA public key', {
      cause,
    });
  }
  if (fields.length !== 2) throw unusable('RSAPublicKey');
  const n = unsignedInteger(fields[0], 'modulus');
  const e = unsignedInteger(fields[1], 'publicExponent');
  const modulus = bytesToBigInt(n);
  const exponent = bytesToBigInt(e);
  // 1024 bits is the floor any RSA key still in use meets; an even modulus or e < 3 is not an RSA key.
  if (n.length < 128 || (modulus & 1n) === 0n || exponent < 3n) throw unusable('RSAPublicKey');
  return { modulus, exponent, length: n.length };
}

/** base^exponent mod modulus by square-and-multiply (public exponents are small, so this is fast). */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** RSAVP1 (RFC 8017 §5.2.2) + I2OSP: the encoded message a signature opens to, or null when s is out of range. */
export function rsaPublicOperation(key: RsaPublicKey, signature: Uint8Array): Uint8Array | null {
  if (signature.length !== key.length) return null;
  const s = bytesToBigInt(signature);
  if (s >= key.modulus) return null;
  return bigIntToBytes(modPow(s, key.exponent, key.modulus), key.length);
}
