import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../bytes.js';
import type { JpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import { DerError, expectTlv, readTlv, TAG } from './der-reader.js';
import { type CertificateInput, toCertificate } from './types.js';

/** Hashes an OCSP CertID may use. SHA-1 is fine here: CertID hashes identify, they do not authenticate. */
export type OcspCertIdHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export const OCSP_OIDS = {
  basicResponse: '1.3.6.1.5.5.7.48.1.1',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  noCheck: '1.3.6.1.5.5.7.48.1.5',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

export const HASH_OIDS: Readonly<Record<OcspCertIdHash, string>> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export function hashOfOid(oid: string): OcspCertIdHash | undefined {
  return (Object.keys(HASH_OIDS) as OcspCertIdHash[]).find((h) => HASH_OIDS[h] === oid);
}

/** The CertID fields (RFC 6960 §4.1.1), byte values. */
export interface OcspCertId {
  hash: OcspCertIdHash;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** INTEGER content octets (two's complement, with a sign byte when needed). */
  serialNumber: Uint8Array;
}

/** The issuer's subject Name DER and its public key bits: what CertID hashes cover. */
export interface IssuerIdentity {
  nameDer: Uint8Array;
  keyBits: Uint8Array;
}

export function issuerIdentity(issuer: JpkiCertificate): IssuerIdentity {
  try {
    const tbs = issuer.tbsCertificate;
    const outer = expectTlv(tbs, 0, TAG.SEQUENCE);
    let p = outer.contentStart;
    let field = readTlv(tbs, p, outer.end);
    if (field.tag === TAG.CONTEXT_0_CONSTRUCTED) p = field.end; // version
    for (let i = 0; i < 4; i++) p = readTlv(tbs, p, outer.end).end; // serial, signature, issuer, validity
    field = expectTlv(tbs, p, TAG.SEQUENCE, outer.end); // subject
    const nameDer = tbs.slice(field.start, field.end);
    const spki = issuer.publicKey;
    const spkiSeq = expectTlv(spki, 0, TAG.SEQUENCE);
    const algorithm = expectTlv(spki, spkiSeq.contentStart, TAG.SEQUENCE, spkiSeq.end);
    const bits = expectTlv(spki, algorithm.end, TAG.BIT_STRING, spkiSeq.end);
    // The hash covers the key bits without the BIT STRING's unused-bits octet.
    return { nameDer, keyBits: spki.slice(bits.contentStart + 1, bits.end) };
  } catch (cause) {
    if (cause instanceof DerError)
      throw new JpkiError('MALFORMED_CERTIFICATE', 'issuer certificate is malformed', { cause });
    throw cause;
  }
}

export async function digest(
  hash: OcspCertIdHash,
  data: Uint8Array,
  crypto: JpkiCrypto,
): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, toArrayBuffer(data)));
}

/** Serial hex (as JpkiCertificate.serialNumber) → INTEGER content octets. */
export function serialContent(serialHex: string): Uint8Array {
  const hex = serialHex.length % 2 ? `0${serialHex}` : serialHex;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return (bytes[0] ?? 0) & 0x80 ? new Uint8Array([0, ...bytes]) : bytes;
}

/** The CertID of (certificate, issuer) under `hash`. */
export async function computeCertId(
  certificate: JpkiCertificate,
  issuer: JpkiCertificate,
  hash: OcspCertIdHash,
  crypto: JpkiCrypto = defaultCrypto(),
): Promise<OcspCertId> {
  const identity = issuerIdentity(issuer);
  return {
    hash,
    issuerNameHash: await digest(hash, identity.nameDer, crypto),
    issuerKeyHash: await digest(hash, identity.keyBits, crypto),
    serialNumber: serialContent(certificate.serialNumber),
  };
}

export interface BuildOcspRequestOptions {
  certificate: CertificateInput;
  issuer: CertificateInput;
  /** CertID hash; default SHA-1 (RFC 5019 profile, understood by every responder). */
  hash?: 'SHA-1' | 'SHA-256';
  /** `true` (default): a fresh random 16-byte nonce; bytes: that nonce; `false`: no nonce extension. */
  nonce?: boolean | Uint8Array;
  crypto?: JpkiCrypto;
}

export interface BuiltOcspRequest {
  der: Uint8Array;
  certId: OcspCertId;
  /** The nonce sent, or null. */
  nonce: Uint8Array | null;
}

function randomNonce(crypto: JpkiCrypto): Uint8Array {
  const source = (crypto as Partial<Crypto>).getRandomValues
    ? (crypto as Crypto)
    : (globalThis as { crypto?: Crypto }).crypto;
  if (!source?.getRandomValues)
    throw new JpkiError('UNSUPPORTED_ALGORITHM', 'no random source for the OCSP nonce');
  return source.getRandomValues(new Uint8Array(16));
}

/**
 * An unsigned DER OCSPRequest for one certificate (RFC 6960 §4.1), with an id-pkix-ocsp-nonce extension whose
 * value is an OCTET STRING of the nonce (RFC 8954).
 */
export async function buildOcspRequest(options: BuildOcspRequestOptions): Promise<BuiltOcspRequest> {
  const crypto = options.crypto ?? defaultCrypto();
  const hash = options.hash ?? 'SHA-1';
  if (hash !== 'SHA-1' && hash !== 'SHA-256')
    throw new JpkiError('INVALID_INPUT', "OCSP CertID hash must be 'SHA-1' or 'SHA-256'");
  const certId = await computeCertId(
    toCertificate(options.certificate),
    toCertificate(options.issuer),
    hash,
    crypto,
  );
  const nonce =
    options.nonce === false
      ? null
      : options.nonce instanceof Uint8Array
        ? options.nonce.slice()
        : randomNonce(crypto);
  if (nonce !== null && (nonce.length < 1 || nonce.length > 32))
    throw new JpkiError('INVALID_INPUT', 'OCSP nonce must be 1 to 32 bytes (RFC 8954)');
  const reqCert = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: HASH_OIDS[hash],
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: toArrayBuffer(certId.issuerNameHash) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: toArrayBuffer(certId.issuerKeyHash) }),
    serialNumber: new asn1js.Integer({ valueHex: toArrayBuffer(certId.serialNumber) }),
  });
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [new pkijs.Request({ reqCert })],
      ...(nonce && {
        requestExtensions: [
          new pkijs.Extension({
            extnID: OCSP_OIDS.nonce,
            critical: false,
            extnValue: new asn1js.OctetString({ valueHex: toArrayBuffer(nonce) }).toBER(false),
          }),
        ],
      }),
    }),
  });
  return { der: new Uint8Array(request.toSchema(true).toBER(false)), certId, nonce };
}
