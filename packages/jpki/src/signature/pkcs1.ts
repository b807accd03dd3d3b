import { type HashAlgorithm, hashAlgorithms, unwrapDigestInfo, wrapDigestInfo } from '@mynakit/card';
import { bytesEqual, toArrayBuffer } from '../bytes.js';
import { type JpkiCertificate, parseJpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto, verifyRsaSignature } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import { parseRsaPublicKey, rsaPublicOperation } from './rsa-public-key.js';

export interface VerifyPkcs1Options {
  /** The signer's certificate (DER, PEM or parsed); only its RSA public key is used. */
  certificate: Uint8Array | string | JpkiCertificate;
  /** The raw RSASSA-PKCS1-v1_5 signature, as long as the modulus (256 bytes for JPKI's RSA-2048). */
  signature: Uint8Array;
  /** The signed data; it is hashed with `hash` (default SHA-256). Give this or `digestInfo`. */
  data?: Uint8Array;
  /** The DigestInfo that was signed (what the card's COMPUTE DIGITAL SIGNATURE takes). Give this or `data`. */
  digestInfo?: Uint8Array;
  /** With `data`: the hash to use. With `digestInfo`: if given, the DigestInfo must use it. */
  hash?: HashAlgorithm;
  crypto?: JpkiCrypto;
}

export interface Pkcs1Verification {
  ok: true;
  /** The hash the signature covers. */
  hash: HashAlgorithm;
  /** The DigestInfo the signature opens to. */
  digestInfo: Uint8Array;
  certificate: JpkiCertificate;
}

function invalid(message: string, reason: string, certificate: JpkiCertificate): JpkiError {
  return new JpkiError('SIGNATURE_INVALID', message, {
    details: { reason, serialNumber: certificate.serialNumber },
  });
}

function checkHash(hash: unknown): asserts hash is HashAlgorithm {
  if (!hashAlgorithms.includes(hash as HashAlgorithm))
    throw new JpkiError('UNSUPPORTED_ALGORITHM', 'hash must be SHA-1, SHA-256, SHA-384 or SHA-512', {
      details: { field: 'hash' },
    });
}

function readDigestInfo(digestInfo: Uint8Array): { algorithm: HashAlgorithm; hash: Uint8Array } {
  try {
    return unwrapDigestInfo(digestInfo);
  } catch (cause) {
    throw new JpkiError('INVALID_INPUT', 'not a SHA-1/256/384/512 DigestInfo', {
      details: { field: 'digestInfo' },
      cause,
    });
  }
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2): 00 01 FF…FF 00 || T, k bytes long. */
function encodePkcs1(digestInfo: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  out[0] = 0x00;
  out[1] = 0x01;
  out[length - digestInfo.length - 1] = 0x00;
  out.set(digestInfo, length - digestInfo.length);
  return out;
}

/** Opens the signature with the public key and compares it with the encoding of `digestInfo` (RFC 8017 §8.2.2). */
function verifyDigestInfo(certificate: JpkiCertificate, signature: Uint8Array, digestInfo: Uint8Array): void {
  const key = parseRsaPublicKey(certificate.publicKey);
  // RFC 8017 §9.2: the padding string needs at least 8 bytes, so T may be at most k − 11.
  if (digestInfo.length > key.length - 11)
    throw new JpkiError('INVALID_INPUT', 'the DigestInfo is too long for this RSA key', {
      details: { field: 'digestInfo', length: digestInfo.length },
    });
  const opened = rsaPublicOperation(key, signature);
  if (opened === null)
    throw invalid('signature length or value does not fit the RSA key', 'length', certificate);
  // Encode-and-compare (RFC 8017 §8.2.2), so no parsing of the opened block decides validity.
  if (bytesEqual(opened, encodePkcs1(digestInfo, key.length))) return;
  // A well-formed type-01 block means the key is right but another DigestInfo was signed (other data or another
  // hash); anything else almost always means another key made the signature.
  throw isType01Block(opened)
    ? invalid('signature covers a different DigestInfo', 'digest-mismatch', certificate)
    : invalid('signature does not verify with this public key', 'encoding', certificate);
}

function isType01Block(block: Uint8Array): boolean {
  if (block[0] !== 0x00 || block[1] !== 0x01) return false;
  let i = 2;
  while (block[i] === 0xff) i++;
  return i >= 10 && i < block.length && block[i] === 0x00;
}

/**
 * Verifies an RSA PKCS#1 v1.5 signature made by the card (or anything else) with a certificate's public key, either
 * over `data` (hashed here with `hash`, default SHA-256) or over a `digestInfo` the host built. Resolves
 * `{ ok: true, hash, digestInfo, certificate }` or throws a `JpkiError`:
 * SIGNATURE_INVALID (details.reason `length`, `encoding` or `digest-mismatch`), UNSUPPORTED_ALGORITHM (not an RSA
 * key, unknown hash), INVALID_INPUT (neither or both of data/digestInfo, not a DigestInfo, hash disagreeing with it),
 * MALFORMED_CERTIFICATE.
 *
 * It checks the signature only: whether the certificate is trusted, valid and revoked is `validateChain`'s and the
 * revocation check's job.
 */
export async function verifyPkcs1Signature(options: VerifyPkcs1Options): Promise<Pkcs1Verification> {
  const { signature, data, digestInfo } = options;
  if ((data === undefined) === (digestInfo === undefined))
    throw new JpkiError('INVALID_INPUT', 'give exactly one of data and digestInfo');
  if (!(signature instanceof Uint8Array))
    throw new JpkiError('INVALID_INPUT', 'signature must be bytes', { details: { field: 'signature' } });
  if (options.hash !== undefined) checkHash(options.hash);
  const input = options.certificate;
  const certificate = parseJpkiCertificate(
    typeof input === 'string' || input instanceof Uint8Array ? input : input.der,
  );
  const crypto = options.crypto ?? defaultCrypto();

  if (digestInfo !== undefined) {
    const { algorithm } = readDigestInfo(digestInfo);
    if (options.hash !== undefined && options.hash !== algorithm)
      throw new JpkiError('INVALID_INPUT', `the DigestInfo uses ${algorithm}, not ${options.hash}`, {
        details: { field: 'hash' },
      });
    verifyDigestInfo(certificate, signature, digestInfo);
    return { ok: true, hash: algorithm, digestInfo: digestInfo.slice(), certificate };
  }

  const hash = options.hash ?? 'SHA-256';
  if (!(data instanceof Uint8Array))
    throw new JpkiError('INVALID_INPUT', 'data must be bytes', { details: { field: 'data' } });
  // Checked up front so a non-RSA key is UNSUPPORTED_ALGORITHM, not a false "invalid signature".
  parseRsaPublicKey(certificate.publicKey);
  const digest = new Uint8Array(await crypto.subtle.digest(hash, toArrayBuffer(data)));
  const expected = wrapDigestInfo(hash, digest);
  if (!(await verifyRsaSignature(certificate.publicKey, hash, signature, data, crypto))) {
    // WebCrypto only says no; opening the signature ourselves says why (and throws).
    verifyDigestInfo(certificate, signature, expected);
    throw invalid('signature does not verify over the data', 'encoding', certificate);
  }
  return { ok: true, hash, digestInfo: expected, certificate };
}
