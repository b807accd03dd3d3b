import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { z } from 'zod';
import type { JpkiTestCa } from '../ca/jpki-ca.js';
import { x509 } from '../ca/x509-setup.js';
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

function revokedCertificate(serial: string, reason: CrlReason, at: Date): asn1X509.RevokedCertificate {
  // RFC 5280 §5.3.1: the reasonCode SHOULD be absent rather than `unspecified`.
  const extensions =
    reason === 'unspecified'
      ? undefined
      : [
          ext(
            asn1X509.id_ce_cRLReasons,
            AsnConvert.serialize(new asn1X509.CRLReason(crlReasonCode[reason] as asn1X509.CRLReasons)),
          ),
        ];
  return new asn1X509.RevokedCertificate({
    userCertificate: serialIntegerBytes(serial).slice().buffer,
    revocationDate: new asn1X509.Time(at),
    ...(extensions && { crlEntryExtensions: extensions }),
  });
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
  const revoked = entries.map((e) => revokedCertificate(e.serial, e.reason, e.revokedAt));
  for (let i = 0; i < o.syntheticEntries; i++) {
    const reason = nonUnspecified[i % nonUnspecified.length] ?? 'keyCompromise';
    revoked.push(
      revokedCertificate(syntheticSerial(i), reason, new Date(thisUpdate.getTime() - (i + 1) * 60_000)),
    );
  }

  const signatureAlgorithm = new asn1X509.AlgorithmIdentifier({
    algorithm: sha256WithRSAEncryption,
    parameters: null,
  });
  const tbsCertList = new asn1X509.TBSCertList({
    version: asn1X509.Version.v2,
    signature: signatureAlgorithm,
    issuer: ca.name,
    thisUpdate: new asn1X509.Time(thisUpdate),
    nextUpdate: new asn1X509.Time(nextUpdate),
    ...(revoked.length > 0 && { revokedCertificates: revoked }),
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
  });
  const tbs = AsnConvert.serialize(tbsCertList);
  const signature = await globalThis.crypto.subtle.sign('RSASSA-PKCS1-v1_5', ca.signingKey, tbs);
  const der = new Uint8Array(
    AsnConvert.serialize(new asn1X509.CertificateList({ tbsCertList, signatureAlgorithm, signature })),
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
