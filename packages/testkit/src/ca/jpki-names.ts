import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';

/** The attribute types the JPKI names use. */
const attributeOids = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  L: '2.5.4.7',
  CN: '2.5.4.3',
} as const;

export type DnAttributeType = keyof typeof attributeOids;

/** One single-valued RDN with an explicit string type (JPKI mixes PrintableString and UTF8String). */
export interface DnAttribute {
  type: DnAttributeType;
  value: string;
  encoding: 'printable' | 'utf8';
}

/** Builds an X.501 Name keeping the given order and string types (the x509 string parser would choose its own). */
export function buildName(attributes: readonly DnAttribute[]): asn1X509.Name {
  return new asn1X509.Name(
    attributes.map(
      (a) =>
        new asn1X509.RelativeDistinguishedName([
          new asn1X509.AttributeTypeAndValue({
            type: attributeOids[a.type],
            value: new asn1X509.AttributeValue(
              a.encoding === 'printable' ? { printableString: a.value } : { utf8String: a.value },
            ),
          }),
        ]),
    ),
  );
}

export function nameDer(name: asn1X509.Name): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(name));
}

const printableC = (value: string): DnAttribute => ({ type: 'C', value, encoding: 'printable' });
const utf8 = (type: DnAttributeType, value: string): DnAttribute => ({ type, value, encoding: 'utf8' });

export type JpkiCaType = 'sign' | 'auth';
export type JpkiHierarchy = 'production-like' | 'test';

/** Organisation of the roots: `JPKI` in production, `JPKI-TEST` for the J-LIS test environment. */
export function jpkiOrganization(hierarchy: JpkiHierarchy): string {
  return hierarchy === 'test' ? 'JPKI-TEST' : 'JPKI';
}

/**
 * The root DN (subject = issuer), jpki-pki.md §1: C PrintableString, O and both OUs UTF8String.
 * All generations of one type share it.
 */
export function jpkiRootDn(type: JpkiCaType, hierarchy: JpkiHierarchy): DnAttribute[] {
  return [
    printableC('JP'),
    utf8('O', jpkiOrganization(hierarchy)),
    utf8('OU', type === 'sign' ? 'JPKI for digital signature' : 'JPKI for user authentication'),
    utf8('OU', 'Japan Agency for Local Authority Information Systems'),
  ];
}

/**
 * The Japanese DirName in the roots' subjectAltName. The test hierarchy's SAN was not published; it reuses the
 * production wording.
 */
export function jpkiRootAltDn(type: JpkiCaType): DnAttribute[] {
  return [
    printableC('JP'),
    utf8('O', '公的個人認証サービス'),
    utf8('OU', type === 'sign' ? '公的個人認証サービス署名用' : '公的個人認証サービス利用者証明用'),
    utf8('OU', '地方公共団体情報システム機構'),
  ];
}

/** issuerAltName DirName of the end-entity certificates: `C=JP, O=公的個人認証サービス`. */
export function jpkiIssuerAltDn(): DnAttribute[] {
  return [printableC('JP'), utf8('O', '公的個人認証サービス')];
}

/**
 * Signing-certificate subject `C=JP, L=<prefecture>, L=<municipality>, CN=<28 chars>`. The string type of L and CN
 * was not observed in a public dump; UTF8String follows the roots' convention.
 */
export function signingSubjectDn(prefecture: string, municipality: string, cn: string): DnAttribute[] {
  return [printableC('JP'), utf8('L', prefecture), utf8('L', municipality), utf8('CN', cn)];
}

/** Auth-certificate subject `C=JP, CN=<opaque id>`. */
export function authSubjectDn(cn: string): DnAttribute[] {
  return [printableC('JP'), utf8('CN', cn)];
}
