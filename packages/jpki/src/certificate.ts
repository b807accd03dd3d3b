import {
  bitString,
  boolean,
  children,
  decode,
  isContext,
  isUniversal,
  malformed,
  type Node,
  oid,
  primitiveBytes,
  rawBytes,
  sequence,
  tag,
  time,
} from './asn1.js';
import {
  type BasicFourInfo,
  basicFourFromOtherNames,
  type OtherName,
  parseOtherNames,
} from './basic-four.js';
import { bytesEqual, toHex } from './bytes.js';
import { type DnAttribute, formatName, parseName } from './distinguished-name.js';
import { EXTENSION_OIDS, JPKI_OIDS } from './oids.js';
import { toCertificateDer } from './pem.js';

export type JpkiCertificateType = 'sign' | 'auth' | 'unknown';
export type JpkiHierarchyKind = 'production' | 'test' | 'unknown';

export interface KeyUsageFlags {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
  encipherOnly: boolean;
  decipherOnly: boolean;
}

const keyUsageBits: readonly (keyof KeyUsageFlags)[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** extnValue content (the DER of the extension's own value). */
  value: Uint8Array;
}

/**
 * A parsed X.509 certificate with the JPKI reading of it. Parsing checks structure only; trust, validity and the
 * profile rules are `validateChain`'s job.
 */
export interface JpkiCertificate {
  der: Uint8Array;
  /** Lowercase hex, minimal, without the sign byte (the 発行番号 revocation data is matched on). */
  serialNumber: string;
  /** `C=JP, O=JPKI, OU=…` in encoding order. */
  issuer: string;
  subject: string;
  issuerAttributes: DnAttribute[];
  subjectAttributes: DnAttribute[];
  notBefore: Date;
  notAfter: Date;
  /** From the policy OID: `.1.1.20`/`.1.0.20` → sign, `.1.3.30` → auth; none or both → unknown. */
  type: JpkiCertificateType;
  /** test for the `.1.0.20` policy or an O=JPKI-TEST name, production for a production policy or O=JPKI. */
  hierarchy: JpkiHierarchyKind;
  /** certificatePolicies OIDs in order (empty when absent). */
  policies: string[];
  /** null when the certificate has no keyUsage extension. */
  keyUsage: KeyUsageFlags | null;
  basicConstraints: { ca: boolean; pathLength: number | null } | null;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  /** Lowercase hex key identifiers, null when absent. */
  subjectKeyIdentifier: string | null;
  authorityKeyIdentifier: string | null;
  /** SubjectPublicKeyInfo DER. */
  publicKey: Uint8Array;
  publicKeyAlgorithm: string;
  /** Signature algorithm OID (sha256WithRSAEncryption is 1.2.840.113549.1.1.11). */
  signatureAlgorithm: string;
  /** The signed bytes and the signature over them. */
  tbsCertificate: Uint8Array;
  signatureValue: Uint8Array;
  extensions: CertificateExtension[];
  /** All SAN otherNames in certificate order (basic-four ones included). */
  otherNames: OtherName[];
  /** The basic four of a signing certificate, null when the certificate carries none. */
  basicFour: BasicFourInfo | null;
}

/** AlgorithmIdentifier: the OID and the raw DER, so the inner and outer copies can be compared. */
function algorithm(node: Node | undefined, what: string): { oid: string; der: Uint8Array } {
  const [id] = sequence(node, what);
  return { oid: oid(id, what), der: rawBytes(node as Node) };
}

function serialHex(node: Node | undefined): string {
  if (!isUniversal(node, tag.INTEGER)) throw malformed('serialNumber');
  const bytes = primitiveBytes(node, 'serialNumber');
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) throw malformed('serialNumber');
  const hex = toHex(bytes).replace(/^(00)+(?=.)/, '');
  return hex;
}

function parseExtensions(node: Node | undefined): CertificateExtension[] {
  if (node === undefined) return [];
  const [list, ...rest] = children(node, 'extensions');
  if (rest.length > 0) throw malformed('extensions');
  const seen = new Set<string>();
  return sequence(list, 'extensions').map((ext) => {
    const fields = sequence(ext, 'extension');
    const extnId = oid(fields[0], 'extension id');
    let critical = false;
    let valueNode = fields[1];
    if (isUniversal(valueNode, tag.BOOLEAN)) {
      critical = boolean(valueNode, 'extension critical flag');
      valueNode = fields[2];
      if (fields.length !== 3) throw malformed('extension');
    } else if (fields.length !== 2) throw malformed('extension');
    if (!isUniversal(valueNode, tag.OCTET_STRING)) throw malformed('extension value');
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(extnId)) throw malformed('extensions (duplicate)');
    seen.add(extnId);
    return { oid: extnId, critical, value: primitiveBytes(valueNode, 'extension value') };
  });
}

function parseKeyUsage(value: Uint8Array): KeyUsageFlags {
  const { bytes } = bitString(decode(value, 'keyUsage'), 'keyUsage');
  const flags = {} as KeyUsageFlags;
  keyUsageBits.forEach((name, bit) => {
    flags[name] = (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) === 1;
  });
  return flags;
}

function parseBasicConstraints(value: Uint8Array): { ca: boolean; pathLength: number | null } {
  const fields = sequence(decode(value, 'basicConstraints'), 'basicConstraints');
  let ca = false;
  let pathLength: number | null = null;
  let i = 0;
  if (isUniversal(fields[i], tag.BOOLEAN)) ca = boolean(fields[i++], 'basicConstraints cA');
  if (isUniversal(fields[i], tag.INTEGER)) {
    const bytes = primitiveBytes(fields[i++], 'basicConstraints pathLen');
    pathLength = bytes.reduce((n, b) => n * 256 + b, 0);
  }
  if (i !== fields.length) throw malformed('basicConstraints');
  return { ca, pathLength };
}

function parsePolicies(value: Uint8Array): string[] {
  return sequence(decode(value, 'certificatePolicies'), 'certificatePolicies').map((info) =>
    oid(sequence(info, 'policyInformation')[0], 'policyIdentifier'),
  );
}

function parseSki(value: Uint8Array): string {
  const node = decode(value, 'subjectKeyIdentifier');
  if (!isUniversal(node, tag.OCTET_STRING)) throw malformed('subjectKeyIdentifier');
  return toHex(primitiveBytes(node, 'subjectKeyIdentifier'));
}

function parseAki(value: Uint8Array): string | null {
  const keyId = sequence(decode(value, 'authorityKeyIdentifier'), 'authorityKeyIdentifier').find((f) =>
    isContext(f, 0),
  );
  return keyId === undefined ? null : toHex(primitiveBytes(keyId, 'authorityKeyIdentifier keyIdentifier'));
}

function certificateType(policies: readonly string[]): JpkiCertificateType {
  const sign = policies.includes(JPKI_OIDS.signingPolicy) || policies.includes(JPKI_OIDS.signingPolicyTest);
  const auth = policies.includes(JPKI_OIDS.authPolicy);
  if (sign === auth) return 'unknown';
  return sign ? 'sign' : 'auth';
}

function hierarchyOf(
  policies: readonly string[],
  issuer: readonly DnAttribute[],
  subject: readonly DnAttribute[],
): JpkiHierarchyKind {
  const organizations = [...issuer, ...subject].filter((a) => a.type === 'O').map((a) => a.value);
  // Test wins over production: a JPKI-TEST name or test policy anywhere is enough to keep it out of production.
  if (policies.includes(JPKI_OIDS.signingPolicyTest) || organizations.includes('JPKI-TEST')) return 'test';
  if (
    policies.includes(JPKI_OIDS.signingPolicy) ||
    policies.includes(JPKI_OIDS.authPolicy) ||
    organizations.includes('JPKI')
  )
    return 'production';
  return 'unknown';
}

/**
 * Parses a DER (or PEM) X.509 certificate with the JPKI profile fields. Throws `JpkiError('MALFORMED_CERTIFICATE')`
 * for anything that is not a well-formed v1–v3 certificate or whose JPKI fields are malformed. Unknown extensions and
 * extra otherNames are kept, never fatal.
 */
export function parseJpkiCertificate(input: Uint8Array | string): JpkiCertificate {
  const der = new Uint8Array(toCertificateDer(input));
  const [tbs, outerAlgorithm, signature, ...extra] = sequence(decode(der, 'certificate'), 'certificate');
  if (extra.length > 0 || tbs === undefined) throw malformed('certificate');
  const fields = sequence(tbs, 'tbsCertificate');
  let i = 0;
  let version = 0;
  if (isContext(fields[0], 0)) {
    const [v] = children(fields[i++], 'version');
    version = primitiveBytes(v, 'version')[0] ?? -1;
    if (version < 0 || version > 2) throw malformed('version');
  }
  const serialNumber = serialHex(fields[i++]);
  const innerAlgorithm = algorithm(fields[i++], 'signature algorithm');
  const issuerRdns = parseName(fields[i++], 'issuer');
  const [notBeforeNode, notAfterNode, ...validityRest] = sequence(fields[i++], 'validity');
  if (validityRest.length > 0) throw malformed('validity');
  const subjectRdns = parseName(fields[i++], 'subject');
  const spkiNode = fields[i++];
  const [spkiAlgorithm] = sequence(spkiNode, 'subjectPublicKeyInfo');
  const publicKeyAlgorithm = algorithm(spkiAlgorithm, 'subjectPublicKeyInfo algorithm').oid;
  while (isContext(fields[i], 1) || isContext(fields[i], 2)) i++;
  const extensions = parseExtensions(isContext(fields[i], 3) ? fields[i++] : undefined);
  if (i !== fields.length) throw malformed('tbsCertificate');
  if (extensions.length > 0 && version !== 2) throw malformed('version (extensions need v3)');

  const outer = algorithm(outerAlgorithm, 'signatureAlgorithm');
  // RFC 5280 §4.1.1.2: the outer algorithm MUST equal the signed one, or an attacker could swap it.
  if (!bytesEqual(outer.der, innerAlgorithm.der)) throw malformed('signatureAlgorithm (differs from tbs)');
  const { bytes: signatureValue, unusedBits } = bitString(signature, 'signatureValue');
  if (unusedBits !== 0) throw malformed('signatureValue');

  const ext = (id: string) => extensions.find((e) => e.oid === id)?.value;
  const kuValue = ext(EXTENSION_OIDS.keyUsage);
  const bcValue = ext(EXTENSION_OIDS.basicConstraints);
  const policiesValue = ext(EXTENSION_OIDS.certificatePolicies);
  const sanValue = ext(EXTENSION_OIDS.subjectAltName);
  const skiValue = ext(EXTENSION_OIDS.subjectKeyIdentifier);
  const akiValue = ext(EXTENSION_OIDS.authorityKeyIdentifier);

  const policies = policiesValue ? parsePolicies(policiesValue) : [];
  const basicConstraints = bcValue ? parseBasicConstraints(bcValue) : null;
  const otherNames = sanValue ? parseOtherNames(sanValue) : [];
  const issuerAttributes = issuerRdns.flat();
  const subjectAttributes = subjectRdns.flat();

  return {
    der,
    serialNumber,
    issuer: formatName(issuerRdns),
    subject: formatName(subjectRdns),
    issuerAttributes,
    subjectAttributes,
    notBefore: time(notBeforeNode, 'notBefore'),
    notAfter: time(notAfterNode, 'notAfter'),
    type: certificateType(policies),
    hierarchy: hierarchyOf(policies, issuerAttributes, subjectAttributes),
    policies,
    keyUsage: kuValue ? parseKeyUsage(kuValue) : null,
    basicConstraints,
    isCa: basicConstraints?.ca ?? false,
    subjectKeyIdentifier: skiValue ? parseSki(skiValue) : null,
    authorityKeyIdentifier: akiValue ? parseAki(akiValue) : null,
    publicKey: rawBytes(spkiNode as Node),
    publicKeyAlgorithm,
    signatureAlgorithm: outer.oid,
    tbsCertificate: rawBytes(tbs),
    signatureValue,
    extensions,
    otherNames,
    basicFour: basicFourFromOtherNames(otherNames),
  };
}
