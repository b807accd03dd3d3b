import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
import { startOcspServer } from '../src/jlis/ocsp-http.js';
import { createOcspRequest } from '../src/jlis/ocsp-request.js';
import { MockOcspResponder } from '../src/jlis/ocsp-responder.js';
import { id_kp_OCSPSigning, id_pkix_ocsp_nocheck } from '../src/jlis/ocsp-responder-certificate.js';
import { certificateSexCode } from '../src/personas/persona-schema.js';
import { getPersona } from '../src/personas/personas.js';

const run = promisify(execFile);

const OID = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  basic: '1.3.6.1.5.5.7.48.1.1',
};

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

const pkiCert = (der: Uint8Array) => pkijs.Certificate.fromBER(new Uint8Array(der));
const pem = (der: Uint8Array) => x509.PemConverter.encode(der.slice().buffer, 'CERTIFICATE');
const hex = (b: ArrayBuffer | Uint8Array) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/** The independent reading of a response: status code and, when successful, the BasicOCSPResponse. */
function parseResponse(der: Uint8Array): { status: number; basic?: pkijs.BasicOCSPResponse } {
  const response = pkijs.OCSPResponse.fromBER(new Uint8Array(der));
  const status = response.responseStatus.valueBlock.valueDec;
  if (!response.responseBytes) return { status };
  expect(response.responseBytes.responseType).toBe(OID.basic);
  const basic = pkijs.BasicOCSPResponse.fromBER(
    new Uint8Array(response.responseBytes.response.valueBlock.valueHexView),
  );
  return { status, basic };
}

/** good / revoked (+ time, reason code) / unknown of one SingleResponse. */
function statusOf(single: pkijs.SingleResponse): { kind: string; time?: Date; reason?: number } {
  const s = single.certStatus as asn1js.BaseBlock;
  const tag = s.idBlock.tagNumber;
  if (tag === 0) return { kind: 'good' };
  if (tag === 2) return { kind: 'unknown' };
  const [time, reason] = (s as asn1js.Constructed).valueBlock.value as [
    asn1js.GeneralizedTime,
    asn1js.Constructed?,
  ];
  const enumerated = reason?.valueBlock.value[0] as asn1js.Enumerated | undefined;
  return {
    kind: 'revoked',
    time: time.toDate(),
    ...(enumerated && { reason: enumerated.valueBlock.valueDec }),
  };
}

async function signatureValid(basic: pkijs.BasicOCSPResponse, signerDer: Uint8Array): Promise<boolean> {
  expect(basic.signatureAlgorithm.algorithmId).toBe(OID.sha256WithRSA);
  const signer = new x509.X509Certificate(new Uint8Array(signerDer));
  const key = await signer.publicKey.export({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['verify']);
  return globalThis.crypto.subtle.verify(
    'RSASSA-PKCS1-v1_5',
    key,
    new Uint8Array(basic.signature.valueBlock.valueHexView),
    new Uint8Array(basic.tbsResponseData.tbsView),
  );
}

const nonceOf = (basic: pkijs.BasicOCSPResponse) =>
  basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === OID.nonce);

let cas: JpkiTestCaPair;
let taro: { sign: IssuedCertificate; auth: IssuedCertificate };
let hanako: { sign: IssuedCertificate; auth: IssuedCertificate };

beforeAll(async () => {
  cas = await createJpkiTestCas();
  taro = await personaCertificates(cas, 'taro');
  hanako = await personaCertificates(cas, 'hanako');
});

describe('MockOcspResponder', () => {
  const newResponder = (options = {}) => new MockOcspResponder({ cas: [cas.sign, cas.auth], options });

  it('answers good, signed sha256WithRSA by the CA, byKey, CA certificate embedded', async () => {
    const responder = newResponder();
    const { der } = await createOcspRequest(taro.sign.der, cas.sign.der, { hash: 'SHA-1' });
    const { status, basic } = parseResponse(await responder.respond(der));
    expect(status).toBe(0);
    const single = basic!.tbsResponseData.responses[0]!;
    expect(basic!.tbsResponseData.responses).toHaveLength(1);
    expect(statusOf(single)).toEqual({ kind: 'good' });
    expect(single.certID.hashAlgorithm.algorithmId).toBe(OID.sha1);
    expect(
      single.certID.isEqual(
        await pkijs.CertID.create(pkiCert(taro.sign.der), {
          hashAlgorithm: 'SHA-1',
          issuerCertificate: pkiCert(cas.sign.der),
        }),
      ),
    ).toBe(true);

    const responderId = basic!.tbsResponseData.responderID;
    expect(responderId).toBeInstanceOf(asn1js.OctetString);
    const caKeyBits = pkiCert(cas.sign.der).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    expect(hex((responderId as asn1js.OctetString).valueBlock.valueHexView)).toBe(
      createHash('sha1').update(caKeyBits).digest('hex'),
    );
    expect(basic!.certs?.map((c) => hex(c.toSchema().toBER(false)))).toEqual([hex(cas.sign.der)]);
    expect(await signatureValid(basic!, cas.sign.der)).toBe(true);
    expect(await signatureValid(basic!, cas.auth.der)).toBe(false);
    // PKI.js (with responder authorisation checks) accepts it when the root is trusted.
    expect(await basic!.verify({ trustedCerts: [pkiCert(cas.sign.der)] })).toBe(true);
    expect(responder.lastAnswers).toEqual([
      {
        serial: taro.sign.serialNumber.toLowerCase(),
        ca: { type: 'sign', hierarchy: 'production-like', generation: 3 },
        status: 'good',
      },
    ]);
  });

  it('answers revoked with the revocation time and reason, including certificateHold', async () => {
    const responder = newResponder();
    const at = new Date('2026-02-03T04:05:06Z');
    responder.revoke(cas.sign, taro.sign.serialNumber, 'keyCompromise', at);
    responder.registries.for(cas.auth).revoke(hanako.auth.serialNumber, 'certificateHold', at);

    const taroReq = await createOcspRequest(taro.sign.der, cas.sign.der);
    const taroStatus = statusOf(
      parseResponse(await responder.respond(taroReq.der)).basic!.tbsResponseData.responses[0]!,
    );
    expect(taroStatus).toEqual({ kind: 'revoked', time: at, reason: 1 });

    const holdReq = await createOcspRequest(hanako.auth.der, cas.auth.der);
    const hold = parseResponse(await responder.respond(holdReq.der)).basic!;
    expect(statusOf(hold.tbsResponseData.responses[0]!)).toEqual({ kind: 'revoked', time: at, reason: 6 });
    // Signed by the auth root this time.
    expect(await signatureValid(hold, cas.auth.der)).toBe(true);

    // Revoking one certificate leaves the holder's other one good.
    const taroAuth = await createOcspRequest(taro.auth.der, cas.auth.der);
    expect(
      statusOf(parseResponse(await responder.respond(taroAuth.der)).basic!.tbsResponseData.responses[0]!)
        .kind,
    ).toBe('good');
  });

  it('answers unknown for another generation (same DN, other key) and can refuse it as unauthorized', async () => {
    const responder = newResponder();
    const gen2 = await createJpkiTestCas({ generation: 2 });
    const foreign = await issueAuthCertificate(gen2.auth, {
      publicKey: spkiOf(testKeyPkcs8('persona.taro.auth')),
      birthDate: '1980-05-15',
      subjectId: getPersona('taro').jpki.authSubjectId,
    });
    const { der } = await createOcspRequest(foreign.der, gen2.auth.der);
    const answer = parseResponse(await responder.respond(der));
    expect(statusOf(answer.basic!.tbsResponseData.responses[0]!)).toEqual({ kind: 'unknown' });

    responder.configure({ unknownIssuer: 'unauthorized' });
    expect(parseResponse(await responder.respond(der))).toEqual({ status: 6 });
    // A responder serving generation 2 as well knows it.
    const both = new MockOcspResponder({ cas: [cas.auth, gen2.auth] });
    expect(statusOf(parseResponse(await both.respond(der)).basic!.tbsResponseData.responses[0]!).kind).toBe(
      'good',
    );
  });

  it('echoes SHA-256 CertIDs, and in sha256 mode answers SHA-1 requests with SHA-256 CertIDs', async () => {
    const responder = newResponder();
    const issuerCertificate = pkiCert(cas.sign.der);
    const sha256Id = await pkijs.CertID.create(pkiCert(taro.sign.der), {
      hashAlgorithm: 'SHA-256',
      issuerCertificate,
    });
    const sha1Id = await pkijs.CertID.create(pkiCert(taro.sign.der), {
      hashAlgorithm: 'SHA-1',
      issuerCertificate,
    });

    const req256 = await createOcspRequest(taro.sign.der, cas.sign.der, { hash: 'SHA-256' });
    const single256 = parseResponse(await responder.respond(req256.der)).basic!.tbsResponseData.responses[0]!;
    expect(single256.certID.hashAlgorithm.algorithmId).toBe(OID.sha256);
    expect(single256.certID.isEqual(sha256Id)).toBe(true);
    expect(statusOf(single256).kind).toBe('good');

    responder.configure({ certIdHash: 'sha256' });
    const req1 = await createOcspRequest(taro.sign.der, cas.sign.der, { hash: 'SHA-1' });
    const mismatched = parseResponse(await responder.respond(req1.der)).basic!.tbsResponseData.responses[0]!;
    expect(mismatched.certID.hashAlgorithm.algorithmId).toBe(OID.sha256);
    expect(mismatched.certID.isEqual(sha256Id)).toBe(true);
    expect(mismatched.certID.isEqual(sha1Id)).toBe(false);
  });

  it('uses responderID byName and can omit the certificates', async () => {
    const responder = newResponder({ responderId: 'byName', embedCertificates: false });
    const { der } = await createOcspRequest(taro.sign.der, cas.sign.der);
    const { basic } = parseResponse(await responder.respond(der));
    const responderId = basic!.tbsResponseData.responderID;
    expect(responderId).toBeInstanceOf(pkijs.RelativeDistinguishedNames);
    expect((responderId as pkijs.RelativeDistinguishedNames).isEqual(pkiCert(cas.sign.der).subject)).toBe(
      true,
    );
    expect(basic!.certs).toBeUndefined();
    expect(await signatureValid(basic!, cas.sign.der)).toBe(true);
    // The PKI.js trap (#122): without embedded certificates BasicOCSPResponse.verify throws.
    await expect(basic!.verify({ trustedCerts: [pkiCert(cas.sign.der)] })).rejects.toThrow(/No certificates/);
  });

  it('signs with a delegated responder certificate (OCSPSigning EKU, ocsp-nocheck, issued by the CA)', async () => {
    const responder = newResponder({ signer: 'delegated', responderId: 'byName' });
    const delegated = await responder.delegatedResponder(cas.sign);
    const cert = delegated.certificate;
    expect(await cert.verify({ publicKey: cas.sign.certificate.publicKey, signatureOnly: true })).toBe(true);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([id_kp_OCSPSigning]);
    expect(cert.getExtension(id_pkix_ocsp_nocheck)).not.toBeNull();
    expect(cert.issuer).toBe(cas.sign.certificate.subject);

    const { der } = await createOcspRequest(taro.sign.der, cas.sign.der);
    const { basic } = parseResponse(await responder.respond(der));
    expect(await signatureValid(basic!, delegated.der)).toBe(true);
    expect(await signatureValid(basic!, cas.sign.der)).toBe(false);
    expect(
      (basic!.tbsResponseData.responderID as pkijs.RelativeDistinguishedNames).isEqual(
        pkiCert(delegated.der).subject,
      ),
    ).toBe(true);
    expect(basic!.certs?.map((c) => hex(c.toSchema().toBER(false)))).toEqual([hex(delegated.der)]);
    expect(await basic!.verify({ trustedCerts: [pkiCert(cas.sign.der)] })).toBe(true);
    // Not authorised for the other root's certificates (PKI.js ≥ #502 checks this).
    await expect(basic!.verify({ trustedCerts: [pkiCert(cas.auth.der)] })).rejects.toThrow();
  });

  it('echoes, omits or falsifies the nonce', async () => {
    const responder = newResponder();
    const nonce = new Uint8Array(16).fill(0xa5);
    const { der } = await createOcspRequest(taro.sign.der, cas.sign.der, { nonce });
    const requestNonce = pkijs.OCSPRequest.fromBER(new Uint8Array(der)).tbsRequest.requestExtensions![0]!
      .extnValue;

    const echoed = nonceOf(parseResponse(await responder.respond(der)).basic!);
    expect(hex(echoed!.extnValue.valueBlock.valueHexView)).toBe(hex(requestNonce.valueBlock.valueHexView));

    responder.configure({ nonce: 'omit' });
    expect(nonceOf(parseResponse(await responder.respond(der)).basic!)).toBeUndefined();

    responder.configure({ nonce: 'wrong' });
    const wrong = nonceOf(parseResponse(await responder.respond(der)).basic!);
    expect(wrong).toBeDefined();
    expect(hex(wrong!.extnValue.valueBlock.valueHexView)).not.toBe(hex(requestNonce.valueBlock.valueHexView));

    responder.configure({ nonce: 'echo' });
    const noNonce = await createOcspRequest(taro.sign.der, cas.sign.der, { nonce: null });
    expect(nonceOf(parseResponse(await responder.respond(noNonce.der)).basic!)).toBeUndefined();
  });

  it('puts thisUpdate/nextUpdate on a 15-minute cadence, with stale and skewed variants', async () => {
    const now = new Date('2026-06-01T10:07:30.250Z');
    const responder = new MockOcspResponder({ cas: [cas.sign], clock: () => now });
    const { der } = await createOcspRequest(taro.sign.der, cas.sign.der);
    const times = async () => {
      const data = parseResponse(await responder.respond(der)).basic!.tbsResponseData;
      const single = data.responses[0]!;
      return { producedAt: data.producedAt, thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
    };

    const current = await times();
    expect(current.thisUpdate.toISOString()).toBe('2026-06-01T10:00:00.000Z');
    expect(current.nextUpdate?.toISOString()).toBe('2026-06-01T10:15:00.000Z');
    expect(current.producedAt.toISOString()).toBe('2026-06-01T10:07:30.000Z');

    responder.configure({ validity: 'stale' });
    const stale = await times();
    expect(stale.nextUpdate!.getTime()).toBeLessThan(now.getTime());
    expect(stale.nextUpdate!.getTime() - stale.thisUpdate.getTime()).toBe(15 * 60_000);

    responder.configure({ validity: 'skewed', skewMinutes: 20 });
    const skewed = await times();
    expect(skewed.thisUpdate.getTime() - now.getTime()).toBeGreaterThanOrEqual(20 * 60_000 - 1000);
    expect(skewed.thisUpdate.getTime()).toBeGreaterThan(now.getTime());
  });

  it('returns error statuses without a body, and validates its options', async () => {
    const responder = newResponder();
    expect(parseResponse(await responder.respond(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])))).toEqual({
      status: 1,
    });
    expect(parseResponse(await responder.respond(new Uint8Array()))).toEqual({ status: 1 });
    const { der } = await createOcspRequest(taro.sign.der, cas.sign.der);
    responder.configure({ responseStatus: 'tryLater' });
    expect(parseResponse(await responder.respond(der))).toEqual({ status: 3 });
    responder.configure({ responseStatus: 'unauthorized' });
    expect(parseResponse(await responder.respond(der))).toEqual({ status: 6 });
    responder.configure({ responseStatus: 'malformedRequest' });
    expect(parseResponse(await responder.respond(der))).toEqual({ status: 1 });

    expect(() => responder.configure({ nonce: 'sometimes' as never })).toThrow();
    expect(() => responder.configure({ cadenceMinutes: 0 })).toThrow();
    expect(responder.options.responseStatus).toBe('malformedRequest');
    expect(responder.resetOptions().responseStatus).toBe('successful');
    expect(parseResponse(await responder.respond(der)).status).toBe(0);
  });
});

describe('startOcspServer', () => {
  let server: Awaited<ReturnType<typeof startOcspServer>>;
  let responder: MockOcspResponder;
  let dir: string;

  beforeAll(async () => {
    responder = new MockOcspResponder({ cas: [cas.sign, cas.auth] });
    // Default CRLs: issued from the responder's own registries.
    server = await startOcspServer({ responder });
    dir = await mkdtemp(join(tmpdir(), 'jlis-ocsp-'));
    await writeFile(join(dir, 'sign-ca.pem'), pem(cas.sign.der));
    await writeFile(join(dir, 'auth-ca.pem'), pem(cas.auth.der));
    await writeFile(join(dir, 'taro-sign.pem'), pem(taro.sign.der));
    await writeFile(join(dir, 'hanako-auth.pem'), pem(hanako.auth.der));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and serves OCSP over POST and RFC 5019 GET', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const { der } = await createOcspRequest(taro.auth.der, cas.auth.der);
    const post = await fetch(server.ocspUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array(der),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('content-type')).toBe('application/ocsp-response');
    const posted = parseResponse(new Uint8Array(await post.arrayBuffer()));
    expect(statusOf(posted.basic!.tbsResponseData.responses[0]!).kind).toBe('good');

    for (const encoded of [
      encodeURIComponent(Buffer.from(der).toString('base64')),
      Buffer.from(der).toString('base64url'),
    ]) {
      const get = await fetch(`${server.ocspUrl}/${encoded}`);
      expect(get.headers.get('content-type')).toBe('application/ocsp-response');
      const got = parseResponse(new Uint8Array(await get.arrayBuffer()));
      expect(got.status).toBe(0);
      expect(statusOf(got.basic!.tbsResponseData.responses[0]!).kind).toBe('good');
    }
    const garbage = await fetch(`${server.ocspUrl}/%%%`);
    expect(parseResponse(new Uint8Array(await garbage.arrayBuffer()))).toEqual({ status: 1 });
    expect(server.requests.slice(-4).map((r) => r.kind)).toEqual([
      'ocsp-post',
      'ocsp-get',
      'ocsp-get',
      'ocsp-get',
    ]);
  });

  it('serves DER CRLs per root type from the same registries, and 404 elsewhere', async () => {
    responder.revoke(cas.auth, hanako.auth.serialNumber, 'affiliationChanged');
    try {
      const res = await fetch(server.crlUrl('auth'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pkix-crl');
      const crl = new x509.X509Crl(new Uint8Array(await res.arrayBuffer()));
      expect(crl.issuer).toBe(cas.auth.certificate.subject);
      expect(await crl.verify({ publicKey: cas.auth.certificate.publicKey })).toBe(true);
      expect(crl.findRevoked(hanako.auth.certificate)?.reason).toBe(x509.X509CrlReason.affiliationChanged);
      expect(crl.findRevoked(taro.auth.certificate)).toBeNull();

      const sign = await fetch(server.crlUrl('sign', 3));
      expect(new x509.X509Crl(new Uint8Array(await sign.arrayBuffer())).issuer).toBe(
        cas.sign.certificate.subject,
      );
    } finally {
      responder.registries.for(cas.auth).remove(hanako.auth.serialNumber);
    }
    expect((await fetch(server.crlUrl('sign', 2))).status).toBe(404);
    expect((await fetch(`${server.url}crl/other.crl`)).status).toBe(404);
    expect((await fetch(`${server.url}nothing`)).status).toBe(404);
  });

  const opensslOcsp = async (issuer: string, leaf: string, extra: string[] = []) => {
    const { stdout, stderr } = await run('openssl', [
      'ocsp',
      '-issuer',
      join(dir, issuer),
      '-cert',
      join(dir, leaf),
      '-url',
      server.url,
      '-resp_text',
      '-CAfile',
      join(dir, issuer),
      ...extra,
    ]);
    return { stdout, stderr };
  };

  it('is understood by openssl ocsp: good, then revoked with the reason', async () => {
    const good = await opensslOcsp('sign-ca.pem', 'taro-sign.pem');
    expect(good.stderr).toMatch(/Response verify OK/);
    expect(good.stdout).toMatch(/taro-sign\.pem: good/);
    expect(good.stdout).toMatch(/sha256WithRSAEncryption/);
    expect(good.stderr).not.toMatch(/nonce/i);

    responder.revoke(cas.sign, taro.sign.serialNumber, 'keyCompromise');
    try {
      const revoked = await opensslOcsp('sign-ca.pem', 'taro-sign.pem');
      expect(revoked.stderr).toMatch(/Response verify OK/);
      expect(revoked.stdout).toMatch(/taro-sign\.pem: revoked/);
      expect(revoked.stdout).toMatch(/Reason: keyCompromise/);
    } finally {
      responder.registries.for(cas.sign).remove(taro.sign.serialNumber);
    }
  });

  it('is understood by openssl ocsp with a delegated responder (byKey, certificateHold)', async () => {
    responder.configure({ signer: 'delegated', responderId: 'byKey' });
    const delegated = await responder.delegatedResponder(cas.auth);
    await writeFile(join(dir, 'auth-responder.pem'), pem(delegated.der));
    responder.revoke(cas.auth, hanako.auth.serialNumber, 'certificateHold');
    try {
      const out = await opensslOcsp('auth-ca.pem', 'hanako-auth.pem', [
        '-verify_other',
        join(dir, 'auth-responder.pem'),
      ]);
      expect(out.stderr).toMatch(/Response verify OK/);
      expect(out.stdout).toMatch(/hanako-auth\.pem: revoked/);
      expect(out.stdout).toMatch(/Reason: certificateHold/);
      expect(out.stdout).toMatch(/Responder Id: [0-9A-F]{40}/);
      // Without the embedded certificate, openssl needs the responder certificate from -verify_other.
      responder.configure({ embedCertificates: false });
      const bare = await opensslOcsp('auth-ca.pem', 'hanako-auth.pem', [
        '-verify_other',
        join(dir, 'auth-responder.pem'),
      ]);
      expect(bare.stderr).toMatch(/Response verify OK/);
      expect(bare.stdout).toMatch(/hanako-auth\.pem: revoked/);
    } finally {
      responder.resetOptions();
      responder.registries.for(cas.auth).remove(hanako.auth.serialNumber);
    }
  });

  it('makes openssl refuse a response with a wrong nonce', async () => {
    responder.configure({ nonce: 'wrong' });
    try {
      const wrong = await opensslOcsp('sign-ca.pem', 'taro-sign.pem').catch(
        (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
      );
      expect(wrong.stderr).toMatch(/Nonce Verify error/);
      expect(wrong.stdout).not.toMatch(/taro-sign\.pem: good/);
    } finally {
      responder.resetOptions();
    }
  });

  it('makes openssl flag stale and skewed responses', async () => {
    try {
      for (const validity of ['stale', 'skewed'] as const) {
        responder.configure({ validity });
        const out = await opensslOcsp('sign-ca.pem', 'taro-sign.pem');
        const text = `${out.stdout}${out.stderr}`;
        expect(text).toMatch(/Status times invalid/);
        expect(text).toMatch(validity === 'stale' ? /status expired/ : /status not yet valid/);
      }
      responder.configure({ validity: 'current' });
      const current = await opensslOcsp('sign-ca.pem', 'taro-sign.pem');
      expect(`${current.stdout}${current.stderr}`).not.toMatch(/Status times invalid/);
    } finally {
      responder.resetOptions();
    }
  });
});
