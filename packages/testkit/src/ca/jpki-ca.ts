import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { buildName, type JpkiCaType, type JpkiHierarchy, jpkiRootAltDn, jpkiRootDn } from './jpki-names.js';
import { rsaPublicKeyOf, spkiOf, testKeyOrFresh } from './test-keys.js';
import { addYears, endOfJstDay, startOfJstDay } from './validity.js';
import { x509 } from './x509-setup.js';

export type { JpkiCaType, JpkiHierarchy } from './jpki-names.js';

/**
 * First valid day of each root generation, after the real signca0N/authca0N pattern (2015, 2019, 2023).
 * Later generations continue the 4-year rhythm unless `validFrom` is given.
 */
const generationStart: Record<number, string> = { 1: '2015-10-20', 2: '2019-09-14', 3: '2023-07-16' };

/** The generation in force on the default issuance date (2025-10-27), like signca03/authca03. */
export const DEFAULT_CA_GENERATION = 3;

export interface JpkiTestCaOptions {
  type: JpkiCaType;
  hierarchy?: JpkiHierarchy;
  /** Root generation sharing one DN (1, 2, 3, …); default 3. */
  generation?: number;
  /** First valid day (JST); default from the generation. Validity is 10 years, ending 23:59:59 JST the day before. */
  validFrom?: string;
  /** PKCS#8 RSA-2048 key; default: the fixture key `ca.<hierarchy>.<type>.g<generation>` (a fresh one if missing). */
  privateKeyPkcs8?: Uint8Array;
}

/** Signing key usable by @peculiar/x509 (WebCrypto RSASSA-PKCS1-v1_5 / SHA-256). */
export function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey(
    'pkcs8',
    pkcs8.slice(),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
}

/** SHA-1 of the DER RSAPublicKey (RFC 5280 §4.2.1.2 method 1), as JPKI does for the SKI. */
export function keyIdentifier(rsaPublicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(rsaPublicKey).digest());
}

/** A positive, minimally encoded 8-byte serial derived from a label, so re-issuing gives the same certificate. */
export function deterministicSerial(label: string): string {
  const h = createHash('sha256').update(label).digest();
  h[0] = (h[0]! & 0x3f) | 0x40;
  return h.subarray(0, 8).toString('hex');
}

export function extension(oid: string, critical: boolean, value: unknown): x509.Extension {
  return new x509.Extension(oid, critical, AsnConvert.serialize(value));
}

export function skiExtension(rsaPublicKey: Uint8Array): x509.Extension {
  return extension(
    asn1X509.id_ce_subjectKeyIdentifier,
    false,
    new asn1X509.SubjectKeyIdentifier(keyIdentifier(rsaPublicKey)),
  );
}

/**
 * A self-signed JPKI root for the mock J-LIS (jpki-pki.md §1 "Root profile"): RSA-2048, sha256WithRSA, critical
 * KU keyCertSign|cRLSign, critical BC CA:TRUE without pathLen, Japanese DirName SAN, a directoryName CRL DP (the
 * CA's own DN), SKI; no AKI, no AIA; 10 years ending 14:59:59Z.
 */
export class JpkiTestCa {
  readonly type: JpkiCaType;
  readonly hierarchy: JpkiHierarchy;
  readonly generation: number;
  readonly certificate: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly privateKeyPkcs8: Uint8Array;
  readonly signingKey: CryptoKey;
  /** Subject = issuer DN with its string types, to copy into issued certificates. */
  readonly name: asn1X509.Name;

  private constructor(init: {
    options: Required<Pick<JpkiTestCaOptions, 'type' | 'hierarchy' | 'generation'>>;
    certificate: x509.X509Certificate;
    privateKeyPkcs8: Uint8Array;
    signingKey: CryptoKey;
    name: asn1X509.Name;
  }) {
    this.type = init.options.type;
    this.hierarchy = init.options.hierarchy;
    this.generation = init.options.generation;
    this.certificate = init.certificate;
    this.der = new Uint8Array(init.certificate.rawData);
    this.privateKeyPkcs8 = init.privateKeyPkcs8;
    this.signingKey = init.signingKey;
    this.name = init.name;
  }

  /** Fixture label of the default key of a root. */
  static keyLabel(type: JpkiCaType, hierarchy: JpkiHierarchy, generation: number): string {
    return `ca.${hierarchy}.${type}.g${generation}`;
  }

  static async create(options: JpkiTestCaOptions): Promise<JpkiTestCa> {
    const type = options.type;
    const hierarchy = options.hierarchy ?? 'production-like';
    const generation = options.generation ?? DEFAULT_CA_GENERATION;
    if (!Number.isInteger(generation) || generation < 1)
      throw new RangeError('generation must be a positive integer');
    const label = JpkiTestCa.keyLabel(type, hierarchy, generation);
    const pkcs8 = options.privateKeyPkcs8 ?? testKeyOrFresh(label);
    const validFrom = options.validFrom ?? generationStart[generation] ?? `${2011 + 4 * generation}-07-16`;
    const name = buildName(jpkiRootDn(type, hierarchy));
    const signingKey = await importSigningKey(pkcs8);

    const extensions = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.BasicConstraintsExtension(true, undefined, true),
      extension(
        asn1X509.id_ce_subjectAltName,
        false,
        new asn1X509.SubjectAlternativeName([
          new asn1X509.GeneralName({ directoryName: buildName(jpkiRootAltDn(type)) }),
        ]),
      ),
      extension(
        asn1X509.id_ce_cRLDistributionPoints,
        false,
        new asn1X509.CRLDistributionPoints([
          new asn1X509.DistributionPoint({
            distributionPoint: new asn1X509.DistributionPointName({
              fullName: [new asn1X509.GeneralName({ directoryName: buildName(jpkiRootDn(type, hierarchy)) })],
            }),
          }),
        ]),
      ),
      skiExtension(rsaPublicKeyOf(pkcs8)),
    ];

    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: deterministicSerial(label),
      subject: new x509.Name(name),
      issuer: new x509.Name(name),
      notBefore: startOfJstDay(validFrom),
      notAfter: endOfJstDay(dayBefore(addYears(validFrom, 10))),
      publicKey: new Uint8Array(spkiOf(pkcs8)),
      signingKey,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      extensions,
    });
    return new JpkiTestCa({
      options: { type, hierarchy, generation },
      certificate,
      privateKeyPkcs8: pkcs8,
      signingKey,
      name,
    });
  }
}

function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The signing root and the user-auth root of one hierarchy and generation. */
export interface JpkiTestCaPair {
  sign: JpkiTestCa;
  auth: JpkiTestCa;
}

const pairCache = new Map<string, Promise<JpkiTestCaPair>>();

/**
 * Both roots for a hierarchy/generation, built from the fixture keys. Cached: the result is deterministic,
 * so every caller shares one pair.
 */
export function createJpkiTestCas(
  options: { hierarchy?: JpkiHierarchy; generation?: number } = {},
): Promise<JpkiTestCaPair> {
  const hierarchy = options.hierarchy ?? 'production-like';
  const generation = options.generation ?? DEFAULT_CA_GENERATION;
  const key = `${hierarchy}/${generation}`;
  let pair = pairCache.get(key);
  if (!pair) {
    pair = Promise.all([
      JpkiTestCa.create({ type: 'sign', hierarchy, generation }),
      JpkiTestCa.create({ type: 'auth', hierarchy, generation }),
    ]).then(([sign, auth]) => ({ sign, auth }));
    pairCache.set(key, pair);
    pair.catch(() => pairCache.delete(key));
  }
  return pair;
}
