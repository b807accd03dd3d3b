import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IssuedCertificate,
  issueAuthCertificate,
  issueSigningCertificate,
} from '../src/ca/ee-certificates.js';
import { createJpkiTestCas, type JpkiTestCaPair } from '../src/ca/jpki-ca.js';
import { spkiOf, testKeyPkcs8 } from '../src/ca/test-keys.js';
import { x509 } from '../src/ca/x509-setup.js';
import { crlToPem, issueCrl, syntheticSerial } from '../src/jlis/crl.js';
import {
  crlReasons,
  normalizeSerialHex,
  RevocationRegistries,
  RevocationRegistry,
} from '../src/jlis/revocation-registry.js';
import { certificateSexCode } from '../src/personas/persona-schema.js';
import { getPersona } from '../src/personas/personas.js';

const run = promisify(execFile);

async function personaCertificates(
  cas: JpkiTestCaPair,
  id: string,
): Promise<{ sign: IssuedCertificate; auth: IssuedCertificate }> {
  const p = getPersona(id);
  const common = { birthDate: p.birthDate, cardExpiresOn: p.card.expiresOn };
  const auth = await issueAuthCertificate(cas.auth, {
    ...common,
    publicKey: spkiOf(testKeyPkcs8(`persona.${id}.auth`)),
    subjectId: p.jpki.authSubjectId,
  });
  const sign = await issueSigningCertificate(cas.sign, {
    ...common,
    publicKey: spkiOf(testKeyPkcs8(`persona.${id}.sign`)),
    name: p.jpki.certificateName ?? p.name,
    address: p.jpki.certificateAddress ?? p.address,
    sex: certificateSexCode(p.sex),
    prefectureRomaji: p.jpki.prefectureRomaji,
    municipalityRomaji: p.jpki.municipalityRomaji,
    requestSequence: p.jpki.requestSequence,
    officeCode: p.jpki.officeCode,
  });
  return { sign, auth };
}

const pem = (der: Uint8Array, label: string) => x509.PemConverter.encode(der.slice().buffer, label);

describe('RevocationRegistry', () => {
  const ca = { type: 'sign', hierarchy: 'production-like', generation: 3 } as const;

  it('records, looks up (any hex form) and lists revocations', () => {
    const registry = new RevocationRegistry(ca);
    const at = new Date('2026-01-02T03:04:05.678Z');
    registry.revoke('0A:1B:2c', 'keyCompromise', at);
    registry.revoke('ff01', 'certificateHold', new Date('2026-01-01T00:00:00Z'));
    expect(registry.lookup('0x0a1b2c')).toEqual({
      serial: '0a1b2c',
      reason: 'keyCompromise',
      revokedAt: new Date('2026-01-02T03:04:05Z'),
    });
    expect(registry.lookup('00ff01')?.reason).toBe('certificateHold');
    expect(registry.isRevoked('0a1b2d')).toBe(false);
    expect(registry.list().map((e) => e.serial)).toEqual(['ff01', '0a1b2c']);
    expect(registry.size).toBe(2);
  });

  it('only lets a certificateHold be replaced by a permanent reason', () => {
    const registry = new RevocationRegistry(ca);
    registry.revoke('01', 'superseded', new Date('2026-01-01T00:00:00Z'));
    registry.revoke('01', 'keyCompromise', new Date('2026-02-01T00:00:00Z'));
    expect(registry.lookup('01')?.reason).toBe('superseded');
    registry.revoke('02', 'certificateHold');
    registry.revoke('02', 'cessationOfOperation');
    expect(registry.lookup('02')?.reason).toBe('cessationOfOperation');
    expect(registry.remove('02')).toBe(true);
    expect(registry.isRevoked('02')).toBe(false);
  });

  it('rejects unknown reasons and non-hex serials', () => {
    const registry = new RevocationRegistry(ca);
    expect(() => registry.revoke('01', 'removeFromCRL' as never)).toThrow();
    expect(() => registry.revoke('xyz', 'keyCompromise')).toThrow(TypeError);
    expect(normalizeSerialHex('000')).toBe('00');
    expect(normalizeSerialHex('abc')).toBe('0abc');
  });

  it('round-trips through its zod-validated JSON form', () => {
    const registries = new RevocationRegistries();
    for (const [i, reason] of crlReasons.entries())
      registries.revoke(ca, `1${i}`, reason, new Date(Date.UTC(2026, 0, i + 1)));
    registries.revoke({ ...ca, type: 'auth' }, '99', 'superseded');
    registries.for(ca).nextCrlNumber();
    const json = JSON.parse(JSON.stringify(registries.toJSON()));
    const restored = RevocationRegistries.fromJSON(json);
    expect(restored.toJSON()).toEqual(registries.toJSON());
    expect(restored.for(ca).lastCrlNumber).toBe(1);
    expect(restored.for({ ...ca, generation: 2 }).size).toBe(0);
    expect(() =>
      RevocationRegistry.fromJSON({
        ...json.registries[0],
        entries: [{ serial: '1', reason: 'x', revokedAt: 'no' }],
      }),
    ).toThrow();
  });
});

describe('issueCrl', () => {
  let cas: JpkiTestCaPair;
  let taro: { sign: IssuedCertificate; auth: IssuedCertificate };
  let hanako: { sign: IssuedCertificate; auth: IssuedCertificate };
  let dir: string;

  beforeAll(async () => {
    cas = await createJpkiTestCas();
    taro = await personaCertificates(cas, 'taro');
    hanako = await personaCertificates(cas, 'hanako');
    dir = await mkdtemp(join(tmpdir(), 'jlis-crl-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a v2 CRL signed by the root with cRLNumber, AKI, daily validity and reason codes', async () => {
    const registry = new RevocationRegistry(cas.sign);
    const revokedAt = new Date('2026-03-01T00:00:00Z');
    registry.revoke(taro.sign.serialNumber, 'keyCompromise', revokedAt);
    registry.revoke('0102', 'unspecified', revokedAt);
    const now = new Date('2026-06-01T12:00:00.500Z');
    const issued = await issueCrl(cas.sign, registry, { now });

    const parsed = AsnConvert.parse(issued.der, asn1X509.CertificateList);
    const tbs = parsed.tbsCertList;
    expect(tbs.version).toBe(asn1X509.Version.v2);
    expect(parsed.signatureAlgorithm.algorithm).toBe('1.2.840.113549.1.1.11');
    expect(new Uint8Array(AsnConvert.serialize(tbs.issuer))).toEqual(
      new Uint8Array(AsnConvert.serialize(cas.sign.name)),
    );
    expect(tbs.thisUpdate.getTime().toISOString()).toBe('2026-06-01T12:00:00.000Z');
    expect(tbs.nextUpdate?.getTime().toISOString()).toBe('2026-06-02T12:00:00.000Z');

    const crlExt = (oid: string) => tbs.crlExtensions?.find((e) => e.extnID === oid);
    const number = AsnConvert.parse(crlExt(asn1X509.id_ce_cRLNumber)!.extnValue, asn1X509.CRLNumber);
    expect(number.value).toBe(1);
    const aki = AsnConvert.parse(
      crlExt(asn1X509.id_ce_authorityKeyIdentifier)!.extnValue,
      asn1X509.AuthorityKeyIdentifier,
    );
    const ski = cas.sign.certificate.getExtension(x509.SubjectKeyIdentifierExtension)!;
    expect(Buffer.from(aki.keyIdentifier!.buffer).toString('hex')).toBe(ski.keyId);

    const crl = new x509.X509Crl(new Uint8Array(issued.der));
    expect(await crl.verify({ publicKey: cas.sign.certificate.publicKey })).toBe(true);
    expect(await crl.verify({ publicKey: cas.auth.certificate.publicKey })).toBe(false);
    const entry = crl.findRevoked(taro.sign.certificate);
    expect(entry?.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect(entry?.revocationDate.toISOString()).toBe(revokedAt.toISOString());
    expect(crl.findRevoked(hanako.sign.certificate)).toBeNull();
    // RFC 5280 §5.3.1: no reasonCode for unspecified.
    const unspecified = crl.entries.find((e) => e.serialNumber === '0102');
    expect(unspecified?.extensions).toEqual([]);

    // PKI.js sees the same entry and the same signature.
    const pk = pkijs.CertificateRevocationList.fromBER(new Uint8Array(issued.der));
    expect(
      await pk.verify({ issuerCertificate: pkijs.Certificate.fromBER(new Uint8Array(cas.sign.der)) }),
    ).toBe(true);
    expect(pk.isCertificateRevoked(pkijs.Certificate.fromBER(new Uint8Array(taro.sign.der)))).toBe(true);
  });

  it('increases the cRLNumber per CA', async () => {
    const registry = new RevocationRegistry(cas.auth);
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const crl = await issueCrl(cas.auth, registry);
      const ext = new x509.X509Crl(new Uint8Array(crl.der)).getExtension(asn1X509.id_ce_cRLNumber);
      numbers.push(AsnConvert.parse(ext!.value, asn1X509.CRLNumber).value);
    }
    expect(numbers).toEqual([1, 2, 3]);
    await expect(issueCrl(cas.sign, registry)).rejects.toThrow(TypeError);
  });

  it('can issue an expired CRL and a large one', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const expired = await issueCrl(cas.sign, new RevocationRegistry(cas.sign), { now, expired: true });
    const expiredCrl = new x509.X509Crl(new Uint8Array(expired.der));
    expect(expiredCrl.nextUpdate!.getTime()).toBeLessThan(now.getTime());
    expect(expiredCrl.thisUpdate.getTime()).toBeLessThan(expiredCrl.nextUpdate!.getTime());
    expect(await expiredCrl.verify({ publicKey: cas.sign.certificate.publicKey })).toBe(true);

    const registry = new RevocationRegistry(cas.sign);
    registry.revoke(taro.sign.serialNumber, 'superseded');
    const large = await issueCrl(cas.sign, registry, { syntheticEntries: 5000 });
    expect(large.entryCount).toBe(5001);
    // Beyond asn1js's default node limit: PKI.js needs the schema parsed with a raised limit.
    expect(() => pkijs.CertificateRevocationList.fromBER(new Uint8Array(large.der))).toThrow();
    const asn1 = asn1js.fromBER(new Uint8Array(large.der), { maxNodes: 1_000_000 });
    const crl = new pkijs.CertificateRevocationList({ schema: asn1.result });
    const serials = (crl.revokedCertificates ?? []).map((r) =>
      Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex'),
    );
    expect(serials).toHaveLength(5001);
    expect(new Set(serials).size).toBe(5001);
    expect(serials).toContain(syntheticSerial(4999));
    expect(crl.isCertificateRevoked(pkijs.Certificate.fromBER(new Uint8Array(taro.sign.der)))).toBe(true);
    expect(
      await crl.verify({ issuerCertificate: pkijs.Certificate.fromBER(new Uint8Array(cas.sign.der)) }),
    ).toBe(true);
  });

  it('is read by openssl crl, with the revoked serial and reason', async () => {
    const registry = new RevocationRegistry(cas.auth);
    registry.revoke(hanako.auth.serialNumber, 'certificateHold');
    const issued = await issueCrl(cas.auth, registry);
    const path = join(dir, 'auth.crl');
    await writeFile(path, issued.der);
    const text = (await run('openssl', ['crl', '-inform', 'DER', '-in', path, '-noout', '-text'])).stdout;
    expect(text).toMatch(/Version 2/);
    expect(text).toMatch(/sha256WithRSAEncryption/);
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*1\b/);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);
    expect(text.toUpperCase().replace(/:/g, '')).toContain(
      `SERIAL NUMBER ${hanako.auth.serialNumber.toUpperCase()}`,
    );
    expect(text).toMatch(/CRL Reason Code:\s*\n\s*Certificate Hold/);
  });

  it('makes openssl verify -crl_check reject a revoked certificate and accept the others', async () => {
    const registry = new RevocationRegistry(cas.sign);
    registry.revoke(taro.sign.serialNumber, 'keyCompromise');
    const issued = await issueCrl(cas.sign, registry);
    const files = {
      ca: join(dir, 'sign-ca.pem'),
      crl: join(dir, 'sign-crl.pem'),
      taro: join(dir, 'taro-sign.pem'),
      hanako: join(dir, 'hanako-sign.pem'),
      expired: join(dir, 'sign-crl-expired.pem'),
    };
    await writeFile(files.ca, pem(cas.sign.der, 'CERTIFICATE'));
    await writeFile(files.crl, crlToPem(issued.der));
    await writeFile(files.taro, pem(taro.sign.der, 'CERTIFICATE'));
    await writeFile(files.hanako, pem(hanako.sign.der, 'CERTIFICATE'));
    const verify = (leaf: string, crl: string) =>
      run('openssl', ['verify', '-crl_check', '-CRLfile', crl, '-CAfile', files.ca, leaf]).then(
        (r) => ({ ok: true, out: r.stdout + r.stderr }),
        (e: { stdout?: string; stderr?: string }) => ({
          ok: false,
          out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
        }),
      );

    const revoked = await verify(files.taro, files.crl);
    expect(revoked.ok).toBe(false);
    expect(revoked.out).toMatch(/certificate revoked/);
    const good = await verify(files.hanako, files.crl);
    expect(good).toEqual({ ok: true, out: expect.stringMatching(/: OK/) });

    // An expired CRL must fail closed even for a certificate that is not on it.
    const expired = await issueCrl(cas.sign, new RevocationRegistry(cas.sign), { expired: true });
    await writeFile(files.expired, crlToPem(expired.der));
    const stale = await verify(files.hanako, files.expired);
    expect(stale.ok).toBe(false);
    expect(stale.out).toMatch(/CRL has expired/);
  });
});
