import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueAuthCertificate, issueSigningCertificate, jpkiOids } from '../src/ca/ee-certificates.js';
import { createJpkiTestCas, JpkiTestCa, type JpkiTestCaPair } from '../src/ca/jpki-ca.js';
import { spkiOf, testKeyPkcs8 } from '../src/ca/test-keys.js';
import { getPersona } from '../src/personas/personas.js';
import { createVirtualCard } from '../src/virtual-card/create-virtual-card.js';

const OID = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  L: '2.5.4.7',
  CN: '2.5.4.3',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  san: '2.5.29.17',
  ian: '2.5.29.18',
  crlDp: '2.5.29.31',
  policies: '2.5.29.32',
  ski: '2.5.29.14',
  aki: '2.5.29.35',
  aia: '1.3.6.1.5.5.7.1.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  cps: '1.3.6.1.5.5.7.2.1',
};

/** Parses DER into the asn1-x509 model, keeping the string types of every name attribute. */
const parse = (der: Uint8Array) => AsnConvert.parse(der, asn1X509.Certificate);

/** [type oid, string type, value] for each RDN of a Name. */
function rdns(name: asn1X509.Name): [string, 'printable' | 'utf8' | 'other', string][] {
  return name.map((rdn) => {
    expect(rdn.length).toBe(1);
    const atv = rdn[0]!;
    const v = atv.value;
    if (v.printableString !== undefined) return [atv.type, 'printable', v.printableString];
    if (v.utf8String !== undefined) return [atv.type, 'utf8', v.utf8String];
    return [atv.type, 'other', v.toString()];
  });
}

function ext(cert: asn1X509.Certificate, oid: string): asn1X509.Extension | undefined {
  return cert.tbsCertificate.extensions?.find((e) => e.extnID === oid);
}

function extValue<T>(cert: asn1X509.Certificate, oid: string, type: new () => T): T {
  const e = ext(cert, oid);
  if (!e) throw new Error(`missing extension ${oid}`);
  return AsnConvert.parse(e.extnValue.buffer, type);
}

function openssl(der: Uint8Array): string {
  return execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', '-text'], { input: der }).toString(
    'utf8',
  );
}

const dateOf = (t: asn1X509.Time) => t.getTime().toISOString();

let cas: JpkiTestCaPair;
beforeAll(async () => {
  cas = await createJpkiTestCas();
});

describe('JPKI test roots (jpki-pki.md §1 root profile)', () => {
  const rootDn = (ou: string) => [
    [OID.C, 'printable', 'JP'],
    [OID.O, 'utf8', 'JPKI'],
    [OID.OU, 'utf8', ou],
    [OID.OU, 'utf8', 'Japan Agency for Local Authority Information Systems'],
  ];

  it.each([
    ['sign', 'JPKI for digital signature', '公的個人認証サービス署名用'],
    ['auth', 'JPKI for user authentication', '公的個人認証サービス利用者証明用'],
  ] as const)('%s root has the exact DN, string types and extensions', (type, ou, sanOu) => {
    const ca = cas[type];
    const cert = parse(ca.der);
    const tbs = cert.tbsCertificate;
    expect(tbs.version).toBe(2); // v3
    expect(rdns(tbs.subject)).toEqual(rootDn(ou));
    expect(rdns(tbs.issuer)).toEqual(rootDn(ou));
    expect(cert.signatureAlgorithm.algorithm).toBe(OID.sha256WithRSA);
    expect(tbs.subjectPublicKeyInfo.algorithm.algorithm).toBe(OID.rsaEncryption);

    const node = new NodeX509(Buffer.from(ca.der));
    const pub = node.publicKey.export({ format: 'jwk' });
    expect(Buffer.from(pub.n!, 'base64url').length * 8).toBe(2048);
    expect(pub.e).toBe('AQAB');
    expect(node.verify(node.publicKey)).toBe(true); // self-signed

    const ku = ext(cert, OID.keyUsage)!;
    expect(ku.critical).toBe(true);
    const kuValue = AsnConvert.parse(ku.extnValue.buffer, asn1X509.KeyUsage);
    expect(kuValue.toJSON().sort()).toEqual(['crlSign', 'keyCertSign']);

    const bc = ext(cert, OID.basicConstraints)!;
    expect(bc.critical).toBe(true);
    const bcValue = AsnConvert.parse(bc.extnValue.buffer, asn1X509.BasicConstraints);
    expect(bcValue.cA).toBe(true);
    expect(bcValue.pathLenConstraint).toBeUndefined();

    const san = extValue(cert, OID.san, asn1X509.SubjectAlternativeName);
    expect(san).toHaveLength(1);
    expect(rdns(san[0]!.directoryName!)).toEqual([
      [OID.C, 'printable', 'JP'],
      [OID.O, 'utf8', '公的個人認証サービス'],
      [OID.OU, 'utf8', sanOu],
      [OID.OU, 'utf8', '地方公共団体情報システム機構'],
    ]);

    const dp = extValue(cert, OID.crlDp, asn1X509.CRLDistributionPoints);
    expect(dp).toHaveLength(1);
    const fullName = dp[0]!.distributionPoint!.fullName!;
    expect(fullName).toHaveLength(1);
    expect(fullName[0]!.uniformResourceIdentifier).toBeUndefined();
    expect(rdns(fullName[0]!.directoryName!)).toEqual(rootDn(ou));

    const ski = extValue(cert, OID.ski, asn1X509.SubjectKeyIdentifier);
    const rsaPublicKey = new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey);
    expect(new Uint8Array(ski.buffer)).toEqual(
      new Uint8Array(createHash('sha1').update(rsaPublicKey).digest()),
    );
    expect(ext(cert, OID.aki)).toBeUndefined();
    expect(ext(cert, OID.aia)).toBeUndefined();
  });

  it('is valid for 10 years ending 14:59:59Z (23:59:59 JST), the default generation like signca03', () => {
    const tbs = parse(cas.sign.der).tbsCertificate;
    expect(dateOf(tbs.validity.notBefore)).toBe('2023-07-15T15:00:00.000Z');
    expect(dateOf(tbs.validity.notAfter)).toBe('2033-07-15T14:59:59.000Z');
    expect(cas.sign.generation).toBe(3);
  });

  it('keeps one DN across generations with different keys and serials', async () => {
    const g1 = await JpkiTestCa.create({ type: 'sign', generation: 1 });
    const g3 = cas.sign;
    expect(g1.certificate.subject).toBe(g3.certificate.subject);
    expect(g1.certificate.serialNumber).not.toBe(g3.certificate.serialNumber);
    expect(
      Buffer.from(g1.certificate.publicKey.rawData).equals(Buffer.from(g3.certificate.publicKey.rawData)),
    ).toBe(false);
    const v = parse(g1.der).tbsCertificate.validity;
    expect(dateOf(v.notAfter)).toBe('2025-10-19T14:59:59.000Z');
  });

  it('is deterministic (fixture keys, derived serials)', async () => {
    const again = await JpkiTestCa.create({ type: 'auth' });
    expect(again.der).toEqual(cas.auth.der);
  });

  it('builds a JPKI-TEST hierarchy with O=JPKI-TEST', async () => {
    const test = await createJpkiTestCas({ hierarchy: 'test' });
    const subject = rdns(parse(test.sign.der).tbsCertificate.subject);
    expect(subject[1]).toEqual([OID.O, 'utf8', 'JPKI-TEST']);
    expect(test.sign.der).not.toEqual(cas.sign.der);
  });

  it('parses with openssl', () => {
    const text = openssl(cas.sign.der);
    expect(text).toMatch(/Issuer: C ?= ?JP, O ?= ?JPKI, OU ?= ?JPKI for digital signature/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
    expect(text).toMatch(/Not After : Jul 15 14:59:59 2033 GMT/);
  });
});

describe('end-entity certificates (jpki-pki.md §2)', () => {
  /** SAN otherNames as [oid, decoded UTF8String] after checking the `[0] EXPLICIT UTF8String` form. */
  function otherNames(cert: asn1X509.Certificate): [string, string][] {
    const san = extValue(cert, OID.san, asn1X509.SubjectAlternativeName);
    return san.map((gn) => {
      const on = gn.otherName;
      if (!on) throw new Error('SAN entry is not an otherName');
      const value = new Uint8Array(on.value);
      expect(value[0]).toBe(0x0c); // UTF8String (the [0] EXPLICIT wrapper is the OtherName schema's)
      let length = value[1]!;
      let at = 2;
      if (length & 0x80) {
        const n = length & 0x7f;
        length = 0;
        for (let i = 0; i < n; i++) length = (length << 8) | value[2 + i]!;
        at = 2 + n;
      }
      expect(at + length).toBe(value.length);
      return [on.typeId, new TextDecoder('utf-8', { fatal: true }).decode(value.subarray(at))];
    });
  }

  it('signing certificate: subject, six otherNames in order, extensions, criticality, validity', async () => {
    const card = await createVirtualCard({ persona: 'taro' });
    const der = card.certificates.sign!;
    const cert = parse(der);
    const tbs = cert.tbsCertificate;

    expect(rdns(tbs.subject)).toEqual([
      [OID.C, 'printable', 'JP'],
      [OID.L, 'utf8', 'Tokyo'],
      [OID.L, 'utf8', 'Chiyoda-ku'],
      // Issued 2025-10-27T01:00:00Z = 10:00:00 JST; sequence 00001; office code 131016001.
      [OID.CN, 'utf8', '2025102710000000001131016001'],
    ]);
    expect(rdns(tbs.issuer)).toEqual(rdns(parse(cas.sign.der).tbsCertificate.subject));

    expect(tbs.extensions!.map((e) => e.extnID)).toEqual([
      OID.keyUsage,
      OID.policies,
      OID.san,
      OID.ian,
      OID.ski, // last
    ]);
    const ku = ext(cert, OID.keyUsage)!;
    expect(ku.critical).toBe(true);
    expect(AsnConvert.parse(ku.extnValue.buffer, asn1X509.KeyUsage).toJSON().sort()).toEqual([
      'digitalSignature',
      'nonRepudiation',
    ]);
    const cp = ext(cert, OID.policies)!;
    expect(cp.critical).toBe(true);
    const policies = AsnConvert.parse(cp.extnValue.buffer, asn1X509.CertificatePolicies);
    expect(policies.map((p) => p.policyIdentifier)).toEqual(['1.2.392.200149.8.5.1.1.20']);
    expect(policies[0]!.policyQualifiers!.map((q) => q.policyQualifierId)).toEqual([OID.cps]);

    expect(otherNames(cert)).toEqual([
      ['1.2.392.200149.8.5.5.1', '山田　太郎'],
      ['1.2.392.200149.8.5.5.4', '319800515'],
      ['1.2.392.200149.8.5.5.3', '1'],
      ['1.2.392.200149.8.5.5.5', '東京都千代田区神田神保町９－９９－９'],
      ['1.2.392.200149.8.5.5.2', '00000'],
      ['1.2.392.200149.8.5.5.6', '0'.repeat([...'東京都千代田区神田神保町９－９９－９'].length)],
    ]);

    const ian = extValue(cert, OID.ian, asn1X509.IssueAlternativeName);
    expect(rdns(ian[0]!.directoryName!)).toEqual([
      [OID.C, 'printable', 'JP'],
      [OID.O, 'utf8', '公的個人認証サービス'],
    ]);

    const ski = extValue(cert, OID.ski, asn1X509.SubjectKeyIdentifier);
    const rsaPublicKey = new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey);
    expect(new Uint8Array(ski.buffer)).toEqual(
      new Uint8Array(createHash('sha1').update(rsaPublicKey).digest()),
    );

    // Born 05-15; issued 2025-10-27 → birthdays 2026…2030; the 5th ends 2030-05-15 23:59:59 JST.
    expect(dateOf(tbs.validity.notBefore)).toBe('2025-10-27T01:00:00.000Z');
    expect(dateOf(tbs.validity.notAfter)).toBe('2030-05-15T14:59:59.000Z');

    const node = new NodeX509(Buffer.from(der));
    expect(node.verify(new NodeX509(Buffer.from(cas.sign.der)).publicKey)).toBe(true);
    expect(BigInt(`0x${node.serialNumber}`)).toBeGreaterThan(0n);
  });

  it('puts the era digit, certificate sex code and substitution maps per persona', async () => {
    const expectations: [string, string, string, string][] = [
      ['hanako', '419950217', '2', '00000'],
      ['kiyoshi', '219250429', '1', '0000'],
      ['hikaru', '419890108', '3', '000000'], // card sex 9 → certificate 3; 平成元年
      ['yoshiko', '319641010', '2', '10000'], // 𠮷 substituted by 吉
    ];
    for (const [id, birth, sex, nameMap] of expectations) {
      const card = await createVirtualCard({ persona: id });
      const names = Object.fromEntries(otherNames(parse(card.certificates.sign!)));
      expect(names[jpkiOids.birthDate]).toBe(birth);
      expect(names[jpkiOids.sex]).toBe(sex);
      expect(names[jpkiOids.nameSubstitution]).toBe(nameMap);
      expect([...names[jpkiOids.name]!].length).toBe(nameMap.length);
    }
    const yoshiko = Object.fromEntries(
      otherNames(parse((await createVirtualCard({ persona: 'yoshiko' })).certificates.sign!)),
    );
    expect(yoshiko[jpkiOids.name]).toBe('吉田　良子');
  });

  it('auth certificate: C=JP + opaque CN, KU digitalSignature only, auth policy, IAN, SKI, no basic-4 data', async () => {
    const card = await createVirtualCard({ persona: 'hanako' });
    const cert = parse(card.certificates.auth);
    const tbs = cert.tbsCertificate;
    expect(rdns(tbs.subject)).toEqual([
      [OID.C, 'printable', 'JP'],
      [OID.CN, 'utf8', getPersona('hanako').jpki.authSubjectId],
    ]);
    expect(getPersona('hanako').jpki.authSubjectId).toHaveLength(23);
    expect(tbs.extensions!.map((e) => e.extnID)).toEqual([OID.keyUsage, OID.policies, OID.ian, OID.ski]);
    const ku = ext(cert, OID.keyUsage)!;
    expect(ku.critical).toBe(true);
    expect(AsnConvert.parse(ku.extnValue.buffer, asn1X509.KeyUsage).toJSON()).toEqual(['digitalSignature']);
    const policies = extValue(cert, OID.policies, asn1X509.CertificatePolicies);
    expect(policies.map((p) => p.policyIdentifier)).toEqual(['1.2.392.200149.8.5.1.3.30']);
    expect(ext(cert, OID.policies)!.critical).toBe(true);
    expect(ext(cert, OID.san)).toBeUndefined();
    // Born 02-17 → the 5th birthday after 2025-10-27 is 2030-02-17, the public test-card example.
    expect(dateOf(tbs.validity.notAfter)).toBe('2030-02-17T14:59:59.000Z');
    expect(
      new NodeX509(Buffer.from(card.certificates.auth)).verify(
        new NodeX509(Buffer.from(cas.auth.der)).publicKey,
      ),
    ).toBe(true);
  });

  it('runs to the 5th birthday strictly after issuance, also when issued on a birthday', async () => {
    const publicKey = spkiOf(testKeyPkcs8('spare.1'));
    const onBirthday = await issueAuthCertificate(cas.auth, {
      publicKey,
      birthDate: '1990-03-10',
      subjectId: 'ABCDEFGHIJKLMNOPQRSTUVW',
      issuedAt: new Date('2026-03-10T03:00:00Z'), // 12:00 JST on the 36th birthday
    });
    expect(parse(onBirthday.der).tbsCertificate.validity.notAfter.getTime().toISOString()).toBe(
      '2031-03-10T14:59:59.000Z',
    );
    // 2026-03-09T16:00Z is already 03-10 in Japan.
    const lateEvening = await issueAuthCertificate(cas.auth, {
      publicKey,
      birthDate: '1990-03-10',
      subjectId: 'ABCDEFGHIJKLMNOPQRSTUVW',
      issuedAt: new Date('2026-03-09T16:00:00Z'),
    });
    expect(lateEvening.certificate.notAfter.toISOString()).toBe('2031-03-10T14:59:59.000Z');
    const dayBefore = await issueAuthCertificate(cas.auth, {
      publicKey,
      birthDate: '1990-03-10',
      subjectId: 'ABCDEFGHIJKLMNOPQRSTUVW',
      issuedAt: new Date('2026-03-09T14:00:00Z'), // 23:00 JST on 03-09
    });
    expect(dayBefore.certificate.notAfter.toISOString()).toBe('2030-03-10T14:59:59.000Z');
    expect(dayBefore.serialNumber).not.toBe(onBirthday.serialNumber);
  });

  it('is capped by an earlier card expiry', async () => {
    const cert = await issueAuthCertificate(cas.auth, {
      publicKey: spkiOf(testKeyPkcs8('spare.2')),
      birthDate: '1990-03-10',
      cardExpiresOn: '2028-01-01',
      subjectId: 'ABCDEFGHIJKLMNOPQRSTUVW',
    });
    expect(cert.certificate.notAfter.toISOString()).toBe('2028-01-01T14:59:59.000Z');
  });

  it('uses the JPKI-TEST signing policy under the test hierarchy', async () => {
    const test = await createJpkiTestCas({ hierarchy: 'test' });
    const p = getPersona('taro');
    const cert = await issueSigningCertificate(test.sign, {
      publicKey: spkiOf(testKeyPkcs8('spare.3')),
      birthDate: p.birthDate,
      name: p.name,
      address: p.address,
      sex: '1',
      prefectureRomaji: 'Tokyo',
      municipalityRomaji: 'Chiyoda-ku',
      requestSequence: '00009',
      officeCode: '131016001',
    });
    const policies = extValue(parse(cert.der), OID.policies, asn1X509.CertificatePolicies);
    expect(policies[0]!.policyIdentifier).toBe('1.2.392.200149.8.5.1.0.20');
  });

  it('can mark the policy non-critical and override it (variants)', async () => {
    const cert = await issueAuthCertificate(cas.auth, {
      publicKey: spkiOf(testKeyPkcs8('spare.1')),
      birthDate: '1990-01-01',
      subjectId: 'Y'.repeat(23),
      policyCritical: false,
      policyOid: '1.2.3.4',
    });
    const parsed = parse(cert.der);
    expect(ext(parsed, OID.policies)!.critical).toBe(false);
    expect(extValue(parsed, OID.policies, asn1X509.CertificatePolicies)[0]!.policyIdentifier).toBe('1.2.3.4');
  });

  it('refuses to issue from the wrong root', async () => {
    await expect(
      issueAuthCertificate(cas.sign, {
        publicKey: spkiOf(testKeyPkcs8('spare.1')),
        birthDate: '1990-01-01',
        subjectId: 'X'.repeat(23),
      }),
    ).rejects.toThrow(TypeError);
  });

  it('gives unique serials across personas', async () => {
    const serials = new Set<string>();
    for (const id of ['taro', 'hanako', 'kiyoshi', 'hikaru', 'yoshiko', 'sakura']) {
      const card = await createVirtualCard({ persona: id });
      serials.add(new NodeX509(Buffer.from(card.certificates.auth)).serialNumber);
      if (card.certificates.sign) serials.add(new NodeX509(Buffer.from(card.certificates.sign)).serialNumber);
    }
    expect(serials.size).toBe(11);
  });

  it('parses with openssl (SAN otherNames, critical policy)', async () => {
    const card = await createVirtualCard({ persona: 'taro' });
    const text = openssl(card.certificates.sign!);
    expect(text).toContain('Subject: C = JP, L = Tokyo, L = Chiyoda-ku, CN = 2025102710000000001131016001');
    expect(text).toMatch(/X509v3 Certificate Policies: critical\s+Policy: 1\.2\.392\.200149\.8\.5\.1\.1\.20/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation/);
    expect(text.match(/othername:/gi)).toHaveLength(6);
    expect(openssl(card.certificates.auth)).toContain('Subject: C = JP, CN = ');
  });
});
