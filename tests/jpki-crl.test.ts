import 'reflect-metadata';
import {
  CrlCache,
  fetchCrl,
  JpkiError,
  type JpkiErrorCode,
  loadCrl,
  parseJpkiCertificate,
} from '@mynakit/jpki';
import {
  createJpkiTestCas,
  createVirtualCard,
  type IssueCrlOptions,
  issueCrl,
  type JpkiTestCa,
  type JpkiTestCaPair,
  MockOcspResponder,
  type OcspServer,
  startOcspServer,
  syntheticSerial,
} from '@mynakit/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let cas: JpkiTestCaPair;
let taroSerial: string;
let hanakoSerial: string;
let responder: MockOcspResponder;
let server: OcspServer;
const REVOKED_AT = new Date('2026-02-03T04:05:06Z');
/** What the mock server's CRLs look like; tests change these. */
let serverClock = () => new Date();
let serverCrlOptions: IssueCrlOptions = {};

const caOf = (type: 'sign' | 'auth'): JpkiTestCa => cas[type];

beforeAll(async () => {
  cas = await createJpkiTestCas();
  taroSerial = parseJpkiCertificate(
    (await createVirtualCard({ persona: 'taro' })).certificates.sign as Uint8Array,
  ).serialNumber;
  hanakoSerial = parseJpkiCertificate(
    (await createVirtualCard({ persona: 'hanako' })).certificates.sign as Uint8Array,
  ).serialNumber;
  responder = new MockOcspResponder({ cas: [cas.sign, cas.auth] });
  responder.revoke(cas.sign, hanakoSerial, 'keyCompromise', REVOKED_AT);
  server = await startOcspServer({
    responder,
    crlFor: async (type) =>
      (
        await issueCrl(caOf(type), responder.registries.for(caOf(type)), {
          now: serverClock(),
          ...serverCrlOptions,
        })
      ).der,
  });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  serverClock = () => new Date();
  serverCrlOptions = {};
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

const signCrl = async (options: IssueCrlOptions = {}) =>
  (await issueCrl(cas.sign, responder.registries.for(cas.sign), options)).der;

describe('loadCrl', () => {
  it('finds a revoked serial with its time and reason, and nothing for a good one', async () => {
    const issued = await issueCrl(cas.sign, responder.registries.for(cas.sign));
    const crl = await loadCrl(issued.der, cas.sign.der);
    expect(crl.lookup(hanakoSerial)).toEqual({ revokedAt: REVOKED_AT, reason: 'keyCompromise' });
    expect(crl.lookup(taroSerial)).toBeNull();
    expect(crl.entryCount).toBe(issued.entryCount);
    expect(crl.thisUpdate.toISOString()).toBe(issued.thisUpdate.toISOString());
    expect(crl.nextUpdate?.toISOString()).toBe(issued.nextUpdate.toISOString());
    expect(Number.parseInt(crl.crlNumber ?? '', 16)).toBe(issued.crlNumber);
    expect(crl.issuer).toBe(parseJpkiCertificate(cas.sign.der).subject);
  });

  it('accepts any serial spelling', async () => {
    const crl = await loadCrl(await signCrl(), cas.sign.der);
    const colons = hanakoSerial.toUpperCase().match(/../g)?.join(':') ?? '';
    expect(crl.lookup(colons)?.reason).toBe('keyCompromise');
    expect(crl.lookup(`0x00${hanakoSerial}`)?.reason).toBe('keyCompromise');
  });

  it('an expired CRL is CRL_STALE (fail closed), and can still be inspected on request', async () => {
    const der = await signCrl({ expired: true });
    await expectCode(loadCrl(der, cas.sign.der), 'CRL_STALE');
    const crl = await loadCrl(der, cas.sign.der, { checkFreshness: false });
    expect(crl.isFresh()).toBe(false);
    expect(() => crl.assertFresh()).toThrow(JpkiError);
  });

  it('a CRL not yet valid at the check time is CRL_STALE', async () => {
    const der = await signCrl();
    await expectCode(loadCrl(der, cas.sign.der, { at: new Date(Date.now() - 3600_000) }), 'CRL_STALE');
  });

  it('rejects a tampered signature or a tampered entry', async () => {
    const der = await signCrl();
    const badSignature = der.slice();
    badSignature[badSignature.length - 1] = (badSignature[badSignature.length - 1] ?? 0) ^ 0x01;
    await expectCode(loadCrl(badSignature, cas.sign.der), 'CRL_SIGNATURE_INVALID');
    // Change hanako's serial in the list: the CRL would no longer revoke her, but the signature breaks.
    const serialBytes = Uint8Array.from(hanakoSerial.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
    const at = Buffer.from(der).indexOf(Buffer.from(serialBytes));
    expect(at).toBeGreaterThan(0);
    const badEntry = der.slice();
    badEntry[at + serialBytes.length - 1] = (badEntry[at + serialBytes.length - 1] ?? 0) ^ 0x01;
    await expectCode(loadCrl(badEntry, cas.sign.der), 'CRL_SIGNATURE_INVALID');
  });

  it("rejects another root's CRL, including another generation under the same name", async () => {
    await expectCode(loadCrl(await signCrl(), cas.auth.der), 'CRL_ISSUER_MISMATCH');
    const older = await createJpkiTestCas({ generation: 2 });
    await expectCode(loadCrl(await signCrl(), older.sign.der), 'CRL_ISSUER_MISMATCH');
  });

  it('rejects bytes that are no CRL', async () => {
    await expectCode(loadCrl(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), cas.sign.der), 'CRL_MALFORMED');
    const der = await signCrl();
    await expectCode(loadCrl(der.slice(0, der.length - 10), cas.sign.der), 'CRL_MALFORMED');
  });

  it('indexes a 100k-entry CRL and finds entries in it', async () => {
    const n = 100_000;
    const big = await issueCrl(cas.sign, responder.registries.for(cas.sign), { syntheticEntries: n });
    const crl = await loadCrl(big.der, cas.sign.der);
    expect(crl.entryCount).toBe(big.entryCount);
    expect(crl.entryCount).toBeGreaterThan(n);
    // issueCrl cycles the reasons other than unspecified and dates entry i one minute per index before thisUpdate.
    const entry = crl.lookup(syntheticSerial(54_321));
    expect(entry?.revokedAt.getTime()).toBe(big.thisUpdate.getTime() - 54_322 * 60_000);
    expect(entry?.reason).toBeDefined();
    expect(entry?.reason).not.toBe('unspecified');
    expect(crl.lookup(syntheticSerial(n - 1))).not.toBeNull();
    expect(crl.lookup(hanakoSerial)?.reason).toBe('keyCompromise');
    expect(crl.lookup(taroSerial)).toBeNull();
    expect(crl.lookup(syntheticSerial(n))).toBeNull();
  });
});

describe('fetchCrl', () => {
  it('downloads and verifies a CRL over HTTP', async () => {
    const crl = await fetchCrl(server.crlUrl('sign'), cas.sign.der);
    expect(crl.lookup(hanakoSerial)?.reason).toBe('keyCompromise');
    const evidence = crl.evidence(new Date(), server.crlUrl('sign'));
    expect(evidence).toMatchObject({ source: 'crl', url: server.crlUrl('sign'), issuer: crl.issuer });
    expect(evidence.rawCrl.length).toBeGreaterThan(0);
  });

  it('a missing CRL or a server that is down is CRL_UNAVAILABLE', async () => {
    await expectCode(fetchCrl(`${server.url}crl/none.crl`, cas.sign.der), 'CRL_UNAVAILABLE');
    const gone = await startOcspServer({ responder });
    await gone.close();
    await expectCode(fetchCrl(gone.crlUrl('sign'), cas.sign.der), 'CRL_UNAVAILABLE');
  });

  it('an expired CRL from the server is CRL_STALE', async () => {
    serverCrlOptions = { expired: true };
    await expectCode(fetchCrl(server.crlUrl('sign'), cas.sign.der), 'CRL_STALE');
  });
});

describe('CrlCache', () => {
  it('serves the cached CRL until nextUpdate, then refetches', async () => {
    const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
    let now = t0;
    serverClock = () => now;
    const cache = new CrlCache(
      { url: (issuer) => server.crlUrl(issuer.subject.includes('signature') ? 'sign' : 'auth') },
      {
        clock: () => now,
      },
    );
    const crlFetches = () => server.requests.filter((r) => r.kind === 'crl').length;
    const before = crlFetches();
    const serial = 'abcdef0123';

    expect((await cache.lookup(serial, cas.sign.der)).entry).toBeNull();
    expect(crlFetches()).toBe(before + 1);

    responder.revoke(cas.sign, serial, 'superseded', t0);
    now = new Date(t0.getTime() + 3600_000);
    const cached = await cache.lookup(serial, cas.sign.der);
    expect(cached.entry).toBeNull(); // still yesterday's list: it is current until nextUpdate
    expect(crlFetches()).toBe(before + 1);

    now = new Date(t0.getTime() + 24 * 3600_000 + 1000);
    const refreshed = await cache.lookup(serial, cas.sign.der);
    expect(crlFetches()).toBe(before + 2);
    expect(refreshed.entry?.reason).toBe('superseded');
    expect(refreshed.crl.thisUpdate.getTime()).toBe(now.getTime());
    responder.registries.for(cas.sign).remove(serial);
  });

  it('keeps a CRL per issuer', async () => {
    const cache = new CrlCache({
      url: (issuer) => server.crlUrl(issuer.subject.includes('signature') ? 'sign' : 'auth'),
    });
    const sign = await cache.get(cas.sign.der);
    const auth = await cache.get(cas.auth.der);
    expect(sign.crl.issuer).not.toBe(auth.crl.issuer);
    expect((await cache.get(cas.sign.der)).crl).toBe(sign.crl);
  });

  it('fails closed when the source only has an expired CRL', async () => {
    const cache = new CrlCache({ load: async () => signCrl({ expired: true }) });
    await expectCode(cache.get(cas.sign.der), 'CRL_STALE');
  });
});
