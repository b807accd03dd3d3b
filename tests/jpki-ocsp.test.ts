import 'reflect-metadata';
import {
  buildOcspRequest,
  type CheckOcspOptions,
  checkOcsp,
  JpkiError,
  type JpkiErrorCode,
  type OcspResult,
  parseJpkiCertificate,
  verifyOcspResponse,
} from '@mynakit/jpki';
import {
  createJpkiTestCas,
  createVirtualCard,
  issueOcspResponderCertificate,
  JpkiTestCa,
  type JpkiTestCaPair,
  MockOcspResponder,
  type OcspServer,
  startOcspServer,
} from '@mynakit/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let cas: JpkiTestCaPair;
let taro: { sign: Uint8Array; auth: Uint8Array };
let hanako: { sign: Uint8Array; auth: Uint8Array };
let responder: MockOcspResponder;
let server: OcspServer;
const REVOKED_AT = new Date('2026-03-04T05:06:07Z');

beforeAll(async () => {
  cas = await createJpkiTestCas();
  const t = (await createVirtualCard({ persona: 'taro' })).certificates;
  const h = (await createVirtualCard({ persona: 'hanako' })).certificates;
  taro = { sign: t.sign as Uint8Array, auth: t.auth };
  hanako = { sign: h.sign as Uint8Array, auth: h.auth };
  responder = new MockOcspResponder({ cas: [cas.sign, cas.auth] });
  responder.revoke(
    cas.sign,
    parseJpkiCertificate(hanako.sign).serialNumber,
    'affiliationChanged',
    REVOKED_AT,
  );
  server = await startOcspServer({ responder });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  responder.resetOptions();
});

function ask(extra: Partial<CheckOcspOptions> = {}): Promise<OcspResult> {
  return checkOcsp({ certificate: taro.sign, issuer: cas.sign.der, url: server.ocspUrl, ...extra });
}

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

describe('checkOcsp: statuses', () => {
  it('answers good for an unrevoked certificate, with evidence', async () => {
    const result = await ask();
    expect(result.status).toBe('good');
    const e = result.evidence;
    expect(e.source).toBe('ocsp');
    expect(e.url).toBe(server.ocspUrl);
    expect(e.signer).toBe('issuer');
    expect(e.signerCertificate).toBeNull();
    expect(e.nonceChecked).toBe(true);
    expect(e.thisUpdate.getTime()).toBeLessThanOrEqual(Date.now());
    expect(e.nextUpdate?.getTime()).toBeGreaterThan(e.thisUpdate.getTime());
    expect(e.rawResponse.length).toBeGreaterThan(100);
    // The evidence can be re-verified later without the network.
    const again = await verifyOcspResponse(e.rawResponse, {
      certificate: taro.sign,
      issuer: cas.sign.der,
      noncePolicy: 'ignore',
      at: e.checkedAt,
    });
    expect(again.status).toBe('good');
  });

  it('answers revoked with the time and reason', async () => {
    const result = await ask({ certificate: hanako.sign });
    expect(result.status).toBe('revoked');
    if (result.status !== 'revoked') return;
    expect(result.revokedAt.toISOString()).toBe(REVOKED_AT.toISOString());
    expect(result.reason).toBe('affiliationChanged');
  });

  it('a certificateHold revocation keeps its reason', async () => {
    const serial = parseJpkiCertificate(hanako.auth).serialNumber;
    responder.revoke(cas.auth, serial, 'certificateHold', REVOKED_AT);
    try {
      const result = await ask({ certificate: hanako.auth, issuer: cas.auth.der });
      expect(result).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
    } finally {
      responder.registries.for(cas.auth).remove(serial);
    }
  });

  it('answers unknown when the issuer key answers for a name it does not serve', async () => {
    // Same key as the signing root, other DN: the responder signs with the issuer's key but knows no such CertID.
    const sameKey = await JpkiTestCa.create({
      type: 'sign',
      hierarchy: 'test',
      privateKeyPkcs8: cas.sign.privateKeyPkcs8,
    });
    const other = new MockOcspResponder({ cas: [sameKey] });
    const otherServer = await startOcspServer({ responder: other });
    try {
      const result = await ask({ url: otherServer.ocspUrl });
      expect(result.status).toBe('unknown');
      expect(result.evidence.signer).toBe('issuer');
    } finally {
      await otherServer.close();
    }
  });

  it('rejects an answer signed by another CA (not the issuer)', async () => {
    const other = new MockOcspResponder({ cas: [cas.auth] });
    const otherServer = await startOcspServer({ responder: other });
    try {
      await expectCode(ask({ url: otherServer.ocspUrl }), 'OCSP_RESPONDER_UNAUTHORIZED');
    } finally {
      await otherServer.close();
    }
  });
});

describe('checkOcsp: CertID hashes', () => {
  it('sends SHA-1 CertIDs by default and SHA-256 on request', async () => {
    expect((await ask()).evidence.certIdHash).toBe('SHA-1');
    const sha256 = await ask({ hash: 'SHA-256', certificate: hanako.sign });
    expect(sha256.status).toBe('revoked');
    expect(sha256.evidence.certIdHash).toBe('SHA-256');
  });

  it('still matches when the responder answers a SHA-1 request with a SHA-256 CertID', async () => {
    responder.configure({ certIdHash: 'sha256' });
    const result = await ask({ hash: 'SHA-1', certificate: hanako.sign });
    expect(result.status).toBe('revoked');
    expect(result.evidence.certIdHash).toBe('SHA-256');
  });

  it('rejects an answer about another certificate', async () => {
    const raw = (await ask({ certificate: hanako.sign, nonce: 'ignore' })).evidence.rawResponse;
    await expectCode(
      verifyOcspResponse(raw, { certificate: taro.sign, issuer: cas.sign.der, noncePolicy: 'ignore' }),
      'OCSP_CERT_ID_MISMATCH',
    );
  });

  it('builds requests the responder understands, with or without a nonce', async () => {
    const leaf = parseJpkiCertificate(taro.sign);
    for (const nonce of [true, false]) {
      const built = await buildOcspRequest({
        certificate: leaf,
        issuer: cas.sign.der,
        hash: 'SHA-256',
        nonce,
      });
      expect(built.nonce === null).toBe(!nonce);
      expect(built.certId.hash).toBe('SHA-256');
      expect(built.certId.issuerNameHash.length).toBe(32);
      await responder.respond(built.der);
      expect(responder.lastAnswers).toEqual([
        expect.objectContaining({ serial: leaf.serialNumber, status: 'good' }),
      ]);
    }
  });
});

describe('checkOcsp: responder authorisation and signature', () => {
  for (const responderId of ['byName', 'byKey'] as const) {
    it(`accepts the CA itself as signer (${responderId}), even without embedded certificates`, async () => {
      responder.configure({ signer: 'ca', responderId, embedCertificates: false });
      const result = await ask();
      expect(result.status).toBe('good');
      expect(result.evidence.signer).toBe('issuer');
      expect(result.evidence.responder.type).toBe(responderId);
    });

    it(`accepts a delegated responder with id-kp-OCSPSigning (${responderId})`, async () => {
      responder.configure({ signer: 'delegated', responderId });
      const result = await ask({ certificate: hanako.sign });
      expect(result.status).toBe('revoked');
      expect(result.evidence.signer).toBe('delegated');
      const delegated = await responder.delegatedResponder(cas.sign);
      expect(result.evidence.signerCertificate).toEqual(delegated.der);
      if (result.evidence.responder.type === 'byName')
        expect(result.evidence.responder.name).toContain('CN=Mock J-LIS OCSP Responder');
      else expect(result.evidence.responder.keyHash).toMatch(/^[0-9a-f]{40}$/);
    });
  }

  it('needs the delegated certificate: embedded, or supplied by the caller', async () => {
    responder.configure({ signer: 'delegated', embedCertificates: false });
    await expectCode(ask(), 'OCSP_RESPONDER_UNAUTHORIZED');
    const delegated = await responder.delegatedResponder(cas.sign);
    const result = await ask({ responderCertificates: [delegated.der] });
    expect(result.evidence.signer).toBe('delegated');
  });

  it('rejects a delegated responder certificate without the OCSPSigning EKU', async () => {
    const noEku = await issueOcspResponderCertificate(cas.sign, { omitOcspSigningEku: true });
    const original = await responder.delegatedResponder(cas.sign);
    responder.setDelegatedResponder(cas.sign, noEku);
    try {
      for (const responderId of ['byName', 'byKey'] as const) {
        responder.configure({ signer: 'delegated', responderId });
        const error = await expectCode(ask(), 'OCSP_RESPONDER_UNAUTHORIZED');
        expect(String(error.details.reason)).toContain('OCSPSigning');
      }
    } finally {
      responder.setDelegatedResponder(cas.sign, original);
    }
  });

  it('rejects a delegated responder certified by another CA', async () => {
    const foreign = await issueOcspResponderCertificate(cas.auth);
    const original = await responder.delegatedResponder(cas.sign);
    responder.setDelegatedResponder(cas.sign, foreign);
    try {
      responder.configure({ signer: 'delegated' });
      await expectCode(ask(), 'OCSP_RESPONDER_UNAUTHORIZED');
    } finally {
      responder.setDelegatedResponder(cas.sign, original);
    }
  });

  it('rejects a delegated responder certificate outside its validity', async () => {
    const expired = await issueOcspResponderCertificate(cas.sign, {
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2024-12-31T00:00:00Z'),
    });
    const original = await responder.delegatedResponder(cas.sign);
    responder.setDelegatedResponder(cas.sign, expired);
    try {
      responder.configure({ signer: 'delegated' });
      await expectCode(ask(), 'OCSP_RESPONDER_UNAUTHORIZED');
    } finally {
      responder.setDelegatedResponder(cas.sign, original);
    }
  });

  it('rejects a response signed by some other key under the issuer name', async () => {
    // The issuer's certificate (name, key id, embedded copy) with another root's private key behind it.
    const older = await createJpkiTestCas({ generation: 2 });
    const impostor = { ...cas.sign, signingKey: older.sign.signingKey } as JpkiTestCa;
    const fake = new MockOcspResponder({ cas: [impostor] });
    const fakeServer = await startOcspServer({ responder: fake });
    try {
      for (const responderId of ['byName', 'byKey'] as const) {
        fake.configure({ responderId });
        await expectCode(ask({ url: fakeServer.ocspUrl }), 'OCSP_SIGNATURE_INVALID');
      }
    } finally {
      await fakeServer.close();
    }
  });

  it('rejects a response whose bytes were altered in transit', async () => {
    responder.configure({ embedCertificates: false }); // so the last byte belongs to the signature
    const tamper: CheckOcspOptions['fetch'] = async (url, init) => {
      const response = await fetch(url, init);
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01; // last signature byte
      return new Response(bytes, { status: 200 });
    };
    await expectCode(ask({ fetch: tamper }), 'OCSP_SIGNATURE_INVALID');
  });

  it('rejects bytes that are no OCSP response', async () => {
    const garbage: CheckOcspOptions['fetch'] = async () =>
      new Response(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00, 0xff]), { status: 200 });
    await expectCode(ask({ fetch: garbage }), 'OCSP_MALFORMED');
  });
});

describe('checkOcsp: nonce policy', () => {
  it('checks an echoed nonce', async () => {
    responder.configure({ nonce: 'echo' });
    for (const nonce of ['required', 'if-present'] as const)
      expect((await ask({ nonce })).evidence.nonceChecked).toBe(true);
  });

  it('omitted nonce: an error when required, accepted when if-present', async () => {
    responder.configure({ nonce: 'omit' });
    const error = await expectCode(ask({ nonce: 'required' }), 'OCSP_NONCE_MISMATCH');
    expect(error.details.reason).toBe('missing');
    const result = await ask({ nonce: 'if-present' });
    expect(result.status).toBe('good');
    expect(result.evidence.nonceChecked).toBe(false);
  });

  it('a wrong nonce is an error unless nonces are ignored', async () => {
    responder.configure({ nonce: 'wrong' });
    for (const nonce of ['required', 'if-present'] as const) {
      const error = await expectCode(ask({ nonce }), 'OCSP_NONCE_MISMATCH');
      expect(error.details.reason).toBe('different');
    }
    const ignored = await ask({ nonce: 'ignore' });
    expect(ignored.status).toBe('good');
    expect(ignored.evidence.nonceChecked).toBe(false);
  });
});

describe('checkOcsp: freshness', () => {
  it('a stale answer is OCSP_STALE, not a status', async () => {
    responder.configure({ validity: 'stale', certIdHash: 'request' });
    await expectCode(ask({ certificate: hanako.sign }), 'OCSP_STALE');
  });

  it('an answer from the future beyond the skew is OCSP_STALE; a wider tolerance accepts it', async () => {
    responder.configure({ validity: 'skewed', skewMinutes: 30 });
    await expectCode(ask(), 'OCSP_STALE');
    expect((await ask({ clockSkewMs: 45 * 60_000 })).status).toBe('good');
  });

  it('judges freshness at the given instant', async () => {
    const raw = (await ask({ nonce: 'ignore' })).evidence.rawResponse;
    const options = { certificate: taro.sign, issuer: cas.sign.der, noncePolicy: 'ignore' as const };
    await expectCode(
      verifyOcspResponse(raw, { ...options, at: new Date(Date.now() + 3 * 3600_000) }),
      'OCSP_STALE',
    );
    await expectCode(
      verifyOcspResponse(raw, { ...options, at: new Date(Date.now() - 3 * 3600_000) }),
      'OCSP_STALE',
    );
  });
});

describe('checkOcsp: responder errors and transport', () => {
  const statuses = [
    ['tryLater', 'OCSP_TRY_LATER'],
    ['unauthorized', 'OCSP_UNAUTHORIZED'],
    ['malformedRequest', 'OCSP_MALFORMED_REQUEST'],
    ['internalError', 'OCSP_INTERNAL_ERROR'],
    ['sigRequired', 'OCSP_SIG_REQUIRED'],
  ] as const;
  for (const [status, code] of statuses) {
    it(`maps ${status} to ${code}`, async () => {
      responder.configure({ responseStatus: status });
      await expectCode(ask(), code);
    });
  }

  it('speaks GET and POST', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const before = server.requests.length;
      const result = await ask({ method, certificate: hanako.sign });
      expect(result.status).toBe('revoked');
      expect(server.requests.slice(before).map((r) => r.kind)).toEqual([
        method === 'GET' ? 'ocsp-get' : 'ocsp-post',
      ]);
    }
  });

  it('a server that is down is OCSP_UNAVAILABLE, an HTTP error too', async () => {
    const gone = await startOcspServer({ responder });
    await gone.close();
    await expectCode(ask({ url: gone.ocspUrl }), 'OCSP_UNAVAILABLE');
    const error = await expectCode(ask({ url: `${server.url}no-such-path` }), 'OCSP_UNAVAILABLE');
    expect(error.details.status).toBe(404);
  });

  it('a responder that does not answer in time is TIMEOUT', async () => {
    const hang: CheckOcspOptions['fetch'] = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      });
    await expectCode(ask({ fetch: hang, timeoutMs: 30 }), 'TIMEOUT');
  });

  it('keeps personal data out of error details', async () => {
    responder.configure({ nonce: 'wrong' });
    const error = await expectCode(ask(), 'OCSP_NONCE_MISMATCH');
    const text = JSON.stringify(error.details) + error.message;
    const leaf = parseJpkiCertificate(taro.sign);
    for (const value of Object.values(leaf.basicFour ?? {}))
      if (typeof value === 'string' && value.length > 1) expect(text).not.toContain(value);
  });

  it('refuses invalid options before any request', async () => {
    const before = server.requests.length;
    await expectCode(ask({ nonce: 'sometimes' as never }), 'INVALID_INPUT');
    await expectCode(ask({ timeoutMs: -1 }), 'INVALID_INPUT');
    await expectCode(ask({ at: new Date(Number.NaN) }), 'INVALID_INPUT');
    expect(server.requests.length).toBe(before);
  });
});
