import 'reflect-metadata';
import {
  JpkiError,
  type JpkiErrorCode,
  parseJpkiCertificate,
  RevocationChecker,
  TrustStore,
} from '@mynakit/jpki';
import {
  createJpkiTestCas,
  createVirtualCard,
  type IssueCrlOptions,
  issueCrl,
  JpkiTestCa,
  type JpkiTestCaPair,
  MockOcspResponder,
  type OcspServer,
  startOcspServer,
} from '@mynakit/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let cas: JpkiTestCaPair;
let taro: Uint8Array;
let hanako: Uint8Array;
let responder: MockOcspResponder;
let server: OcspServer;
/** A closed port: connection refused. */
let deadUrl: string;
let crlOptions: IssueCrlOptions = {};
const REVOKED_AT = new Date('2026-01-02T03:04:05Z');

beforeAll(async () => {
  cas = await createJpkiTestCas();
  taro = (await createVirtualCard({ persona: 'taro' })).certificates.sign as Uint8Array;
  hanako = (await createVirtualCard({ persona: 'hanako' })).certificates.sign as Uint8Array;
  responder = new MockOcspResponder({ cas: [cas.sign, cas.auth] });
  responder.revoke(cas.sign, parseJpkiCertificate(hanako).serialNumber, 'cessationOfOperation', REVOKED_AT);
  server = await startOcspServer({
    responder,
    crlFor: async (type) => (await issueCrl(cas[type], responder.registries.for(cas[type]), crlOptions)).der,
  });
  const gone = await startOcspServer({ responder });
  deadUrl = gone.ocspUrl;
  await gone.close();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  responder.resetOptions();
  crlOptions = {};
});

async function expectCode(promise: Promise<unknown>, code: JpkiErrorCode): Promise<JpkiError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, got a result`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JpkiError);
  expect((error as JpkiError).code).toBe(code);
  return error as JpkiError;
}

const crlSource = () => ({ url: server.crlUrl('sign') });
const kinds = (from: number) => server.requests.slice(from).map((r) => r.kind);

describe('RevocationChecker', () => {
  it('answers from OCSP first, with evidence', async () => {
    const checker = new RevocationChecker({ ocsp: { url: server.ocspUrl }, crl: crlSource() });
    const before = server.requests.length;
    const good = await checker.check(taro, cas.sign.der);
    expect(good).toMatchObject({ status: 'good', source: 'ocsp', errors: [] });
    expect(good.evidence.map((e) => e.source)).toEqual(['ocsp']);
    const revoked = await checker.check(hanako, cas.sign.der);
    expect(revoked).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation', source: 'ocsp' });
    expect(revoked.revokedAt?.toISOString()).toBe(REVOKED_AT.toISOString());
    expect(kinds(before)).toEqual(['ocsp-post', 'ocsp-post']);
  });

  it('falls back to the CRL when OCSP is down', async () => {
    const checker = new RevocationChecker({ ocsp: { url: deadUrl }, crl: crlSource() });
    const result = await checker.check(hanako, cas.sign.der);
    expect(result).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation', source: 'crl' });
    expect(result.errors.map((e) => `${e.source}:${e.code}`)).toEqual(['ocsp:OCSP_UNAVAILABLE']);
    expect(result.evidence).toHaveLength(1);
    expect(result.evidence[0]).toMatchObject({ source: 'crl', url: server.crlUrl('sign') });
    expect((await checker.check(taro, cas.sign.der)).status).toBe('good');
  });

  for (const [mode, code] of [
    [{ responseStatus: 'tryLater' }, 'OCSP_TRY_LATER'],
    [{ validity: 'stale' }, 'OCSP_STALE'],
    [{ nonce: 'wrong' }, 'OCSP_NONCE_MISMATCH'],
  ] as const) {
    it(`falls back to the CRL on ${code}`, async () => {
      responder.configure(mode);
      const checker = new RevocationChecker({ ocsp: { url: server.ocspUrl }, crl: crlSource() });
      const result = await checker.check(hanako, cas.sign.der);
      expect(result).toMatchObject({ status: 'revoked', source: 'crl' });
      expect(result.errors.map((e) => e.code)).toEqual([code]);
    });
  }

  it('fails closed when both sources fail, naming both errors and nothing personal', async () => {
    crlOptions = { expired: true };
    const checker = new RevocationChecker({ ocsp: { url: deadUrl }, crl: crlSource() });
    const error = await expectCode(checker.check(taro, cas.sign.der), 'REVOCATION_UNDETERMINED');
    expect(error.details).toMatchObject({ ocsp: 'OCSP_UNAVAILABLE', crl: 'CRL_STALE' });
    expect(error.details.attempts).toBe('ocsp:OCSP_UNAVAILABLE crl:CRL_STALE');
    const leaf = parseJpkiCertificate(taro);
    const text = JSON.stringify(error.details) + error.message;
    for (const value of [leaf.basicFour?.name, leaf.basicFour?.address, leaf.subject])
      if (value) expect(text).not.toContain(value);
  });

  it('fails closed with OCSP alone', async () => {
    const checker = new RevocationChecker({ ocsp: { url: deadUrl } });
    await expectCode(checker.check(taro, cas.sign.der), 'REVOCATION_UNDETERMINED');
  });

  it('fail-open returns unknown instead of throwing', async () => {
    crlOptions = { expired: true };
    const checker = new RevocationChecker({ ocsp: { url: deadUrl }, crl: crlSource(), failOpen: true });
    const result = await checker.check(taro, cas.sign.der);
    expect(result).toMatchObject({ status: 'unknown', undetermined: true, source: null, evidence: [] });
    expect(result.errors).toHaveLength(2);
  });

  it('follows the configured order', async () => {
    const checker = new RevocationChecker({
      ocsp: { url: server.ocspUrl },
      crl: crlSource(),
      order: ['crl', 'ocsp'],
    });
    const before = server.requests.length;
    const result = await checker.check(hanako, cas.sign.der);
    expect(result).toMatchObject({ status: 'revoked', source: 'crl' });
    expect(kinds(before)).toEqual(['crl']);
  });

  it('an OCSP unknown asks the CRL next, and stays unknown without one', async () => {
    const sameKey = await JpkiTestCa.create({
      type: 'sign',
      hierarchy: 'test',
      privateKeyPkcs8: cas.sign.privateKeyPkcs8,
    });
    const unknowing = await startOcspServer({ responder: new MockOcspResponder({ cas: [sameKey] }) });
    try {
      const withCrl = new RevocationChecker({ ocsp: { url: unknowing.ocspUrl }, crl: crlSource() });
      const result = await withCrl.check(hanako, cas.sign.der);
      expect(result).toMatchObject({ status: 'revoked', source: 'crl' });
      expect(result.evidence.map((e) => e.source)).toEqual(['ocsp', 'crl']);
      const ocspOnly = new RevocationChecker({ ocsp: { url: unknowing.ocspUrl } });
      expect(await ocspOnly.check(hanako, cas.sign.der)).toMatchObject({ status: 'unknown', source: 'ocsp' });
    } finally {
      await unknowing.close();
    }
  });

  it('finds the issuer in a trust store, and refuses a wrong issuer', async () => {
    const trustStore = new TrustStore();
    await trustStore.addRoot('sign', cas.sign.der);
    await trustStore.addRoot('auth', cas.auth.der);
    const checker = new RevocationChecker({ trustStore, ocsp: { url: server.ocspUrl } });
    expect((await checker.check(hanako)).status).toBe('revoked');
    await expectCode(checker.check(hanako, cas.auth.der), 'SIGNATURE_INVALID');
    await expectCode(new RevocationChecker({ ocsp: { url: server.ocspUrl } }).check(taro), 'INVALID_INPUT');
  });

  it('accepts a CRL loader and per-issuer URLs', async () => {
    let loads = 0;
    const checker = new RevocationChecker({
      crl: {
        load: async () => {
          loads++;
          return (await issueCrl(cas.sign, responder.registries.for(cas.sign))).der;
        },
      },
    });
    expect((await checker.check(hanako, cas.sign.der)).status).toBe('revoked');
    expect((await checker.check(taro, cas.sign.der)).status).toBe('good');
    expect(loads).toBe(1);
    const perIssuer = new RevocationChecker({
      ocsp: { url: (issuer) => (issuer.subject.includes('signature') ? server.ocspUrl : deadUrl) },
    });
    expect((await perIssuer.check(taro, cas.sign.der)).status).toBe('good');
  });

  it('refuses a configuration without sources', () => {
    expect(() => new RevocationChecker({})).toThrow(JpkiError);
    expect(() => new RevocationChecker({ ocsp: { url: server.ocspUrl }, order: ['crl'] })).toThrow(JpkiError);
  });
});

describe('RevocationChecker OCSP answer cache', () => {
  it('reuses a verified answer until its nextUpdate when asked to, and asks again afterwards', async () => {
    let now = new Date();
    const checker = new RevocationChecker({
      ocsp: { url: server.ocspUrl },
      cacheOcspAnswers: true,
      clock: () => now,
    });
    const hiro = (await createVirtualCard({ persona: 'kiyoshi' })).certificates.auth;
    const before = server.requests.length;
    expect((await checker.check(hiro, cas.auth.der)).status).toBe('good');
    responder.revoke(cas.auth, parseJpkiCertificate(hiro).serialNumber, 'keyCompromise', now);
    // Within the answer's validity the cached "good" stands, without a request.
    expect((await checker.check(hiro, cas.auth.der)).status).toBe('good');
    expect(server.requests.length - before).toBe(1);
    now = new Date(now.getTime() + 16 * 60_000);
    responder.setClock(() => now);
    try {
      expect(await checker.check(hiro, cas.auth.der)).toMatchObject({
        status: 'revoked',
        reason: 'keyCompromise',
      });
      expect(server.requests.length - before).toBe(2);
    } finally {
      responder.setClock(() => new Date());
    }
  });
});
