import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { z } from 'zod';
import type { JpkiTestCa } from '../ca/jpki-ca.js';
import { x509 } from '../ca/x509-setup.js';
import { concatByteArrays, concatBytes } from '../virtual-card/tlv.js';
import {
  type CrlReason,
  crlReasonCode,
  crlReasons,
  normalizeSerialHex,
  type RevocationEntry,
  type RevocationRegistry,
} from './revocation-registry.js';

const DAY_MS = 24 * 3600 * 1000;
const sha256WithRSAEncryption = '1.2.840.113549.1.1.11';

export const issueCrlOptionsSchema = z.object({
  /** thisUpdate; default the current time (whole seconds). */
  now: z.date().optional(),
  /** nextUpdate − thisUpdate; J-LIS refreshes its CRL daily (jpki-pki.md §3.2). */
  validityMs: z.number().int().positive().default(DAY_MS),
  /** An expired CRL: thisUpdate two days before `now`, nextUpdate one day before (verifiers must fail closed). */
  expired: z.boolean().default(false),
  /** Extra synthetic revoked entries (large-CRL performance tests); they never collide with issued serials. */
  syntheticEntries: z.number().int().nonnegative().default(0),
  /** Forces the cRLNumber instead of taking the registry's next one (the registry counter is left alone). */
  crlNumber: z.number().int().positive().optional(),
});

export type IssueCrlOptions = z.input<typeof issueCrlOptionsSchema>;

/**
 * Not parsed back on purpose: asn1js 4 (under PKI.js and @peculiar/x509) refuses DER with more than 10 000 ASN.1
 * nodes by default, i.e. CRLs beyond roughly 1 200 entries; parse large ones with `asn1js.fromBER(der, { maxNodes })`.
 */
export interface IssuedCrl {
  der: Uint8Array;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Number of revokedCertificates entries (registry + synthetic). */
  entryCount: number;
}

/** Minimal two's-complement INTEGER content for a positive serial (adds a 00 sign byte when needed). */
export function serialIntegerBytes(serialHex: string): Uint8Array {
  const hex = normalizeSerialHex(serialHex);
  const bytes = Buffer.from(hex, 'hex');
  return new Uint8Array((bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function ext(oid: string, value: ArrayBuffer): asn1X509.Extension {
  return new asn1X509.Extension({ extnID: oid, critical: false, extnValue: new OctetString(value) });
}

/** Synthetic serial i: 9 bytes, so it never equals an issued serial (the testkit's are 8 bytes). */
export function syntheticSerial(i: number): string {
  return `7e${i.toString(16).padStart(16, '0')}`;
}

const nonUnspecified = crlReasons.filter((r) => r !== 'unspecified');

/** DER tag-length-value; lengths in the definite long form as needed. */
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x84, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + length.length + n);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

const REASON_CODE_OID = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x15); // 2.5.29.21 id-ce-cRLReasons

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime after. */
function derTime(at: Date): Uint8Array {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return at.getUTCFullYear() < 2050
    ? tlv(0x17, new TextEncoder().encode(`${iso.slice(2)}Z`))
    : tlv(0x18, new TextEncoder().encode(`${iso}Z`));
}

/**
 * One revokedCertificates entry, encoded by hand: a CRL of a million entries must build in seconds, and the
 * schema-driven encoder takes minutes at that size.
 */
function revokedEntry(serial: string, reason: CrlReason, at: Date): Uint8Array {
  const parts = [tlv(0x02, serialIntegerBytes(serial)), derTime(at)];
  // RFC 5280 §5.3.1: the reasonCode SHOULD be absent rather than `unspecified`.
  if (reason !== 'unspecified') {
    const reasonValue = tlv(0x04, tlv(0x0a, Uint8Array.of(crlReasonCode[reason])));
    parts.push(tlv(0x30, tlv(0x30, concatBytes(REASON_CODE_OID, reasonValue))));
  }
  return tlv(0x30, concatBytes(...parts));
}

/** Offset just past the DER object starting at `offset`. */
function objectEnd(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 1]!;
  if (first < 0x80) return offset + 2 + first;
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
  return offset + 2 + count + length;
}

/** Offset of the first content byte of the DER object starting at `offset`. */
function contentStart(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset + 1]!;
  return offset + 2 + (first < 0x80 ? 0 : first & 0x7f);
}

function authorityKeyId(ca: JpkiTestCa): Uint8Array {
  const ski = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ski) throw new Error('CA certificate has no subjectKeyIdentifier');
  return new Uint8Array(Buffer.from(ski.keyId, 'hex'));
}

/**
 * A v2 CRL for one root generation (jpki-pki.md §5 "CRL"): issuer = the CA's DN, signed sha256WithRSA by its key,
 * thisUpdate now / nextUpdate +1 day, non-critical cRLNumber (increasing per registry) and AKI, a reasonCode entry
 * extension. Built with @peculiar/asn1-x509 directly: X509CrlGenerator checks duplicates in O(n²), too slow
 * for large CRLs.
 */
export async function issueCrl(
  ca: JpkiTestCa,
  registry: RevocationRegistry,
  options: IssueCrlOptions = {},
): Promise<IssuedCrl> {
  const o = issueCrlOptionsSchema.parse(options);
  if (
    registry.ca.type !== ca.type ||
    registry.ca.hierarchy !== ca.hierarchy ||
    registry.ca.generation !== ca.generation
  )
    throw new TypeError('the registry belongs to another CA');
  const now = new Date(Math.floor((o.now ?? new Date()).getTime() / 1000) * 1000);
  const thisUpdate = o.expired ? new Date(now.getTime() - 2 * DAY_MS) : now;
  const nextUpdate = o.expired ? new Date(now.getTime() - DAY_MS) : new Date(now.getTime() + o.validityMs);
  const crlNumber = o.crlNumber ?? registry.nextCrlNumber();

  const entries: RevocationEntry[] = registry.list();
  const revoked = entries.map((e) => revokedEntry(e.serial, e.reason, e.revokedAt));
  for (let i = 0; i < o.syntheticEntries; i++) {
    const reason = nonUnspecified[i % nonUnspecified.length] ?? 'keyCompromise';
    revoked.push(revokedEntry(syntheticSerial(i), reason, new Date(thisUpdate.getTime() - (i + 1) * 60_000)));
  }

  const signatureAlgorithm = new asn1X509.AlgorithmIdentifier({
    algorithm: sha256WithRSAEncryption,
    parameters: null,
  });
  // The fixed fields come from the schema encoder; the (possibly huge) entry list is spliced in after nextUpdate.
  const skeleton = new Uint8Array(
    AsnConvert.serialize(
      new asn1X509.TBSCertList({
        version: asn1X509.Version.v2,
        signature: signatureAlgorithm,
        issuer: ca.name,
        thisUpdate: new asn1X509.Time(thisUpdate),
        nextUpdate: new asn1X509.Time(nextUpdate),
        crlExtensions: [
          ext(
            asn1X509.id_ce_authorityKeyIdentifier,
            AsnConvert.serialize(
              new asn1X509.AuthorityKeyIdentifier({
                keyIdentifier: new asn1X509.KeyIdentifier(authorityKeyId(ca)),
              }),
            ),
          ),
          ext(asn1X509.id_ce_cRLNumber, AsnConvert.serialize(new asn1X509.CRLNumber(crlNumber))),
        ],
      }),
    ),
  );
  // tbsCertList: version, signature, issuer, thisUpdate, nextUpdate, [revokedCertificates], [0] crlExtensions.
  let field = contentStart(skeleton, 0);
  for (let i = 0; i < 5; i++) field = objectEnd(skeleton, field);
  const tbs = tlv(
    0x30,
    concatBytes(
      skeleton.subarray(contentStart(skeleton, 0), field),
      ...(revoked.length > 0 ? [tlv(0x30, concatByteArrays(revoked))] : []),
      skeleton.subarray(field),
    ),
  );
  const signature = new Uint8Array(
    await globalThis.crypto.subtle.sign('RSASSA-PKCS1-v1_5', ca.signingKey, tbs.slice().buffer),
  );
  const der = tlv(
    0x30,
    concatBytes(
      tbs,
      new Uint8Array(AsnConvert.serialize(signatureAlgorithm)),
      tlv(0x03, concatBytes(Uint8Array.of(0), signature)),
    ),
  );
  return {
    der,
    crlNumber,
    thisUpdate,
    nextUpdate,
    entryCount: revoked.length,
  };
}

/** PEM of a DER CRL (for `openssl verify -CRLfile`). */
export function crlToPem(der: Uint8Array): string {
  return x509.PemConverter.encode(der.slice().buffer, 'X509 CRL');
}
