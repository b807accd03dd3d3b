import { RevocationChecker, TrustStore } from '@mynakit/jpki';
import { type JlisServer, MockJlis, startJlisServer, type VirtualMyNumberCard } from '@mynakit/testkit';
import { certificateCheckResultSchema, JpkiCertificateCheck } from '@mynakit/workflows';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** JpkiCertificateCheck against the mock J-LIS over HTTP (OCSP, CRL fallback), W1.2 / W2.2. */
describe('JpkiCertificateCheck (mock J-LIS over HTTP)', () => {
  let jlis: MockJlis;
  let server: JlisServer;
  let trustStore: TrustStore;
  let taro: VirtualMyNumberCard;

  const crlUrl = (issuer: { subject: string }) =>
    server.crlUrl(issuer.subject.includes('digital signature') ? 'sign' : 'auth');

  function checkWith(options: { ocspUrl?: string; clock?: () => Date; trust?: TrustStore } = {}) {
    const revocation = new RevocationChecker({
      ocsp: { url: options.ocspUrl ?? server.ocspUrl },
      crl: { url: crlUrl },
    });
    return new JpkiCertificateCheck({
      trustStore: options.trust ?? trustStore,
      revocation,
      ...(options.clock !== undefined && { clock: options.clock }),
    });
  }

  const serialOf = (type: 'auth' | 'sign', personaId = 'taro') => {
    const holder = jlis.holder(personaId);
    return (type === 'auth' ? holder.authSerial : (holder.signSerial ?? '')).toUpperCase();
  };

  beforeEach(async () => {
    jlis = await MockJlis.create();
    server = await startJlisServer(jlis);
    trustStore = new TrustStore();
    await trustStore.addRoot('sign', jlis.cas.sign.der);
    await trustStore.addRoot('auth', jlis.cas.auth.der);
    taro = await jlis.issueCard('taro');
  });

  afterEach(async () => {
    await server.close();
  });

  it('finds a good card valid, with OCSP evidence for both certificates', async () => {
    const result = await checkWith().check(taro.certificates);
    expect(certificateCheckResultSchema.parse(result)).toEqual(result);
    expect(result.valid).toBe(true);
    expect(result.reason).toBeUndefined();
    expect(result.certificates).toEqual([
      expect.objectContaining({ type: 'auth', serial: serialOf('auth'), status: 'good', source: 'ocsp' }),
      expect.objectContaining({ type: 'sign', serial: serialOf('sign'), status: 'good', source: 'ocsp' }),
    ]);
    for (const line of result.certificates) expect(line.producedAt).toBeDefined();
  });

  it('checks only the auth certificate of a card without a signing certificate', async () => {
    const sakura = await jlis.issueCard('sakura');
    const result = await checkWith().check(sakura.certificates);
    expect(result.valid).toBe(true);
    expect(result.certificates.map((c) => c.type)).toEqual(['auth']);
  });

  it('answers CERTIFICATE_REVOKED for a revoked auth certificate; the sign one is listed as not checked', async () => {
    jlis.revoke('auth', serialOf('auth'), 'keyCompromise');
    const result = await checkWith().check(taro.certificates);
    expect(result).toMatchObject({ valid: false, reason: 'CERTIFICATE_REVOKED' });
    expect(result.certificates).toEqual([
      expect.objectContaining({ type: 'auth', status: 'revoked', source: 'ocsp' }),
      expect.objectContaining({ type: 'sign', status: 'not-checked', source: 'none' }),
    ]);
  });

  it('answers CERTIFICATE_REVOKED for a revoked signing certificate (basic four changed)', async () => {
    jlis.revoke('sign', serialOf('sign'), 'affiliationChanged');
    const result = await checkWith().check(taro.certificates);
    expect(result).toMatchObject({ valid: false, reason: 'CERTIFICATE_REVOKED' });
    expect(result.certificates.map((c) => [c.type, c.status])).toEqual([
      ['auth', 'good'],
      ['sign', 'revoked'],
    ]);
  });

  it('falls back to the CRL when OCSP is unavailable', async () => {
    jlis.revoke('sign', serialOf('sign'));
    const result = await checkWith({ ocspUrl: `${server.url}no-such-responder` }).check(taro.certificates);
    expect(result).toMatchObject({ valid: false, reason: 'CERTIFICATE_REVOKED' });
    expect(result.certificates).toEqual([
      expect.objectContaining({ type: 'auth', status: 'good', source: 'crl' }),
      expect.objectContaining({ type: 'sign', status: 'revoked', source: 'crl' }),
    ]);
  });

  it('answers UNTRUSTED_ROOT without roots and EXPIRED after the certificates ended, without asking J-LIS', async () => {
    const untrusted = await checkWith({ trust: new TrustStore() }).check(taro.certificates);
    expect(untrusted).toMatchObject({ valid: false, reason: 'UNTRUSTED_ROOT' });
    expect(untrusted.certificates.map((c) => c.status)).toEqual(['not-checked', 'not-checked']);

    await server.close();
    const later = new Date('2060-01-01T00:00:00Z');
    const expired = await checkWith({ clock: () => later }).check(taro.certificates);
    expect(expired).toMatchObject({ valid: false, reason: 'EXPIRED', checkedAt: later.toISOString() });
    server = await startJlisServer(jlis);
  });

  it('throws when J-LIS cannot be reached (OCSP and CRL down), so the outbox retries', async () => {
    const check = checkWith();
    await server.close();
    await expect(check.check(taro.certificates)).rejects.toMatchObject({ code: 'REVOCATION_UNDETERMINED' });
    server = await startJlisServer(jlis);
  });
});
