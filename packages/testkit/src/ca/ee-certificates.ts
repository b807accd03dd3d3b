import { JPKI_OIDS } from '@mynakit/jpki';
import { AsnConvert, AsnUtf8StringConverter } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { jpkiBirthDate } from '../personas/japanese-era.js';
import { deterministicSerial, extension, type JpkiTestCa, skiExtension } from './jpki-ca.js';
import { authSubjectDn, buildName, jpkiIssuerAltDn, signingSubjectDn } from './jpki-names.js';
import { endOfJstDay, jstDate, jstTimestamp, nthBirthdayAfter } from './validity.js';
import { x509 } from './x509-setup.js';

/** JPKI object identifiers of the end-entity profiles: the validator's own table, so issuer and verifier agree. */
export const jpkiOids = JPKI_OIDS;

/** CPS URI put in the policy qualifier (a reserved .invalid name: this is a mock). */
export const MOCK_CPS_URI = 'http://mock-jlis.mynakit.invalid/cps.html';

const id_qt_cps = '1.3.6.1.5.5.7.2.1';

export interface IssuedCertificate {
  certificate: x509.X509Certificate;
  der: Uint8Array;
  serialNumber: string;
}

interface CommonInput {
  /** SubjectPublicKeyInfo DER of the card key. */
  publicKey: Uint8Array;
  /** Issuance instant (notBefore); default 2025-10-27T01:00:00Z. */
  issuedAt?: Date;
  /** Birth date `YYYY-MM-DD`: the validity runs to the 5th birthday after issuance, 23:59:59 JST. */
  birthDate: string;
  /** Card expiry `YYYY-MM-DD`: caps the validity when earlier. */
  cardExpiresOn?: string;
  /** Hex serial; default derived from the issuer and subject (stable, positive, unique per subject). */
  serialNumber?: string;
  /** Overrides the computed notAfter (for expired/odd variants). */
  notAfter?: Date;
  /** Overrides the policy OID (wrong-policy variants). */
  policyOid?: string;
  /**
   * certificatePolicies criticality. Sourced as critical for the signing certificate; not documented for the auth
   * certificate, which follows the same J-LIS profile here. Default true for both.
   */
  policyCritical?: boolean;
  /** Appended after the profile's extensions (e.g. unknown critical extension variants). */
  extraExtensions?: x509.Extension[];
}

export interface SigningCertificateInput extends CommonInput {
  /** Name as written in the certificate (characters outside JIS already substituted). */
  name: string;
  /** One 0/1 per character of `name`; default all 0. */
  nameSubstitution?: string;
  address: string;
  addressSubstitution?: string;
  /** 1 male, 2 female, 3 unknown (certificate coding). */
  sex: '1' | '2' | '3';
  prefectureRomaji: string;
  municipalityRomaji: string;
  /** 5-digit sequence and 9-char office code completing the CN after the JST issuance timestamp. */
  requestSequence: string;
  officeCode: string;
  /** Overrides the era digit+date `EYYYYMMDD` (e.g. unknown era `0…`). */
  birthDateField?: string;
  /** Extra otherNames appended after the six standard ones (e.g. furigana variants). */
  extraOtherNames?: { oid: string; value: string }[];
}

export interface AuthCertificateInput extends CommonInput {
  /** Opaque 23-character subject CN. */
  subjectId: string;
}

export const DEFAULT_ISSUED_AT = new Date('2025-10-27T01:00:00Z');

/** `[0] EXPLICIT UTF8String` otherName, the JPKI form of the basic-4 entries. */
function utf8OtherName(oid: string, value: string): asn1X509.GeneralName {
  const utf8 = AsnConvert.serialize(AsnUtf8StringConverter.toASN(value));
  return new asn1X509.GeneralName({ otherName: new asn1X509.OtherName({ typeId: oid, value: utf8 }) });
}

function validity(input: CommonInput, issuedAt: Date): { notBefore: Date; notAfter: Date } {
  if (input.notAfter) return { notBefore: issuedAt, notAfter: input.notAfter };
  let notAfter = endOfJstDay(nthBirthdayAfter(input.birthDate, jstDate(issuedAt), 5));
  if (input.cardExpiresOn) {
    const cardEnd = endOfJstDay(input.cardExpiresOn);
    if (cardEnd < notAfter) notAfter = cardEnd;
  }
  return { notBefore: issuedAt, notAfter };
}

function policies(oid: string, critical = true): x509.Extension {
  const cps = AsnConvert.serialize(new asn1X509.Qualifier({ cPSuri: MOCK_CPS_URI }));
  return extension(
    asn1X509.id_ce_certificatePolicies,
    critical,
    new asn1X509.CertificatePolicies([
      new asn1X509.PolicyInformation({
        policyIdentifier: oid,
        policyQualifiers: [
          new asn1X509.PolicyQualifierInfo({ policyQualifierId: id_qt_cps, qualifier: cps }),
        ],
      }),
    ]),
  );
}

function issuerAltName(): x509.Extension {
  return extension(
    asn1X509.id_ce_issuerAltName,
    false,
    new asn1X509.IssueAlternativeName([
      new asn1X509.GeneralName({ directoryName: buildName(jpkiIssuerAltDn()) }),
    ]),
  );
}

function rsaPublicKeyOfSpki(spki: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo).subjectPublicKey);
}

const characters = (s: string) => [...s].length;

/**
 * 署名用電子証明書 (jpki-pki.md §2.1): subject `C=JP, L, L, CN`; SAN with six `[0] EXPLICIT UTF8String` otherNames
 * in the observed order 5.5.1, 5.5.4, 5.5.3, 5.5.5, 5.5.2, 5.5.6; critical KU digitalSignature+nonRepudiation;
 * critical certificatePolicies with a CPS qualifier; issuerAltName; SKI last. No AKI/CRL DP/AIA (not observed).
 */
export async function issueSigningCertificate(
  ca: JpkiTestCa,
  input: SigningCertificateInput,
): Promise<IssuedCertificate> {
  if (ca.type !== 'sign') throw new TypeError('a signing certificate needs the signing CA');
  const issuedAt = input.issuedAt ?? DEFAULT_ISSUED_AT;
  const cn = `${jstTimestamp(issuedAt)}${input.requestSequence}${input.officeCode}`;
  if (!/^\d{19}[0-9A-Z]{9}$/.test(cn))
    throw new RangeError('signing CN needs a 5-digit sequence and a 9-char office code');
  const subject = buildName(signingSubjectDn(input.prefectureRomaji, input.municipalityRomaji, cn));
  const san = new asn1X509.SubjectAlternativeName([
    utf8OtherName(jpkiOids.name, input.name),
    utf8OtherName(jpkiOids.birthDate, input.birthDateField ?? jpkiBirthDate(input.birthDate)),
    utf8OtherName(jpkiOids.sex, input.sex),
    utf8OtherName(jpkiOids.address, input.address),
    utf8OtherName(jpkiOids.nameSubstitution, input.nameSubstitution ?? '0'.repeat(characters(input.name))),
    utf8OtherName(
      jpkiOids.addressSubstitution,
      input.addressSubstitution ?? '0'.repeat(characters(input.address)),
    ),
    ...(input.extraOtherNames ?? []).map((o) => utf8OtherName(o.oid, o.value)),
  ]);
  const policy =
    input.policyOid ?? (ca.hierarchy === 'test' ? jpkiOids.signingPolicyTest : jpkiOids.signingPolicy);
  const extensions = [
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
      true,
    ),
    policies(policy, input.policyCritical),
    extension(asn1X509.id_ce_subjectAltName, false, san),
    issuerAltName(),
    ...(input.extraExtensions ?? []),
    skiExtension(rsaPublicKeyOfSpki(input.publicKey)),
  ];
  return issue(ca, subject, input, issuedAt, extensions, `sign|${cn}`);
}

/**
 * 利用者証明用電子証明書 (jpki-pki.md §2.2): subject `C=JP, CN=<opaque>`; critical KU digitalSignature;
 * critical certificatePolicies 1.2.392.200149.8.5.1.3.30; issuerAltName; SKI. No basic-4 information.
 */
export async function issueAuthCertificate(
  ca: JpkiTestCa,
  input: AuthCertificateInput,
): Promise<IssuedCertificate> {
  if (ca.type !== 'auth') throw new TypeError('an auth certificate needs the user-auth CA');
  const issuedAt = input.issuedAt ?? DEFAULT_ISSUED_AT;
  const subject = buildName(authSubjectDn(input.subjectId));
  const extensions = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    policies(input.policyOid ?? jpkiOids.authPolicy, input.policyCritical),
    issuerAltName(),
    ...(input.extraExtensions ?? []),
    skiExtension(rsaPublicKeyOfSpki(input.publicKey)),
  ];
  return issue(ca, subject, input, issuedAt, extensions, `auth|${input.subjectId}|${issuedAt.toISOString()}`);
}

async function issue(
  ca: JpkiTestCa,
  subject: asn1X509.Name,
  input: CommonInput,
  issuedAt: Date,
  extensions: x509.Extension[],
  serialLabel: string,
): Promise<IssuedCertificate> {
  const serialNumber =
    input.serialNumber ?? deterministicSerial(`${ca.hierarchy}|${ca.type}|g${ca.generation}|${serialLabel}`);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: new x509.Name(subject),
    issuer: new x509.Name(ca.name),
    ...validity(input, issuedAt),
    publicKey: new Uint8Array(input.publicKey),
    signingKey: ca.signingKey,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions,
  });
  return { certificate, der: new Uint8Array(certificate.rawData), serialNumber: certificate.serialNumber };
}
