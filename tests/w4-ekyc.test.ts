import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import {
  EkycVerifier,
  HttpLatestBasicFourPort,
  identityEvidenceSchema,
  parseJpkiCertificate,
  RevocationChecker,
  type RevocationPort,
  TrustStore,
} from '@mynakit/jpki';
import { getPersona, type JlisServer, MockJlis, startJlisServer } from '@mynakit/testkit';
import {
  createW4HttpHandler,
  EkycService,
  InMemoryAccountBindingStore,
  InMemoryEvidenceStore,
} from '@mynakit/workflows';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const persona = getPersona('taro');
const verifierId = 'bank-1';
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

describe('W4 eKYC over HTTP (node:http, MockJlis, virtual card)', () => {
  let now: Date;
  const clock = () => now;
  let jlis: MockJlis;
  let jlisServer: JlisServer;
  let card: MyNumberCard;
  let trustStore: TrustStore;
  let evidence: InMemoryEvidenceStore;
  let servers: Server[];
  let base: string;

  function verifierWith(revocation: RevocationPort) {
    return new EkycVerifier({ trustStore, revocation, clock });
  }

  async function serve(service: EkycService): Promise<string> {
    const server = createServer(createW4HttpHandler(service, { maxBodyBytes: 16 * 1024 }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function post(path: string, body: unknown, at = base) {
    const response = await fetch(`${at}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Json };
  }

  /** The device side of a login: ask for a challenge, sign it with the auth key, send certificate + signature. */
  async function signedLogin(at = base) {
    const start = await post('/w4/login/start', {}, at);
    expect(start.status).toBe(200);
    await card.jpki.verifyAuthPin(persona.pins.auth);
    const signature = await card.jpki.sign('auth', unb64(start.json.toBeSigned), 'SHA-256');
    return {
      challengeId: start.json.challengeId as string,
      certificate: b64(await card.jpki.readCertificate('auth')),
      signature: b64(signature),
    };
  }

  async function signedIdentity(transaction: string) {
    const start = await post('/w4/identity/start', { transaction });
    expect(start.status).toBe(200);
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const signature = await card.jpki.sign('sign', unb64(start.json.toBeSigned), 'SHA-256');
    return {
      challengeId: start.json.challengeId as string,
      certificate: b64(await card.jpki.readCertificate('sign')),
      signature: b64(signature),
    };
  }

  beforeEach(async () => {
    now = new Date('2026-11-25T03:00:00Z');
    servers = [];
    jlis = await MockJlis.create({ clock });
    const transport = new MemoryTransport(['reader']);
    transport.insert('reader', await jlis.issueCard(persona.id));
    card = await MyNumberCard.open(transport, 'reader');
    jlisServer = await startJlisServer(jlis);
    trustStore = new TrustStore();
    await trustStore.addRoot('sign', jlis.cas.sign.der);
    await trustStore.addRoot('auth', jlis.cas.auth.der);
    const revocation = new RevocationChecker({
      ocsp: { url: jlisServer.ocspUrl },
      crl: {
        url: (issuer) => jlisServer.crlUrl(issuer.subject.includes('digital signature') ? 'sign' : 'auth'),
      },
      clock,
    });
    evidence = new InMemoryEvidenceStore();
    const service = new EkycService({
      verifier: verifierWith(revocation),
      accounts: new InMemoryAccountBindingStore(),
      evidence,
      latestBasicFour: new HttpLatestBasicFourPort(`${jlisServer.url}latest-basic-four`),
      verifierId,
      clock,
    });
    base = await serve(service);
  });

  afterEach(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    await card.close();
    await jlisServer.close();
  });

  it('W4.2: two logins with one card land on the same bound account', async () => {
    const first = await post('/w4/login', await signedLogin());
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.json.newlyBound).toBe(true);
    expect(first.json.authSerial).toBe(
      parseJpkiCertificate(await card.jpki.readCertificate('auth')).serialNumber,
    );

    const second = await post('/w4/login', await signedLogin());
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({
      customerId: first.json.customerId,
      accountKey: first.json.accountKey,
      newlyBound: false,
    });

    // The card is bound: claiming it for another customer is a conflict, not a silent rebind.
    const other = await post('/w4/login', { ...(await signedLogin()), customerId: 'someone-else' });
    expect(other).toMatchObject({ status: 409, json: { error: { code: 'ACCOUNT_CONFLICT' } } });
  });

  it('refuses a replayed challenge, a signature over other bytes and a revoked auth certificate', async () => {
    const response = await signedLogin();
    expect((await post('/w4/login', response)).status).toBe(200);
    const replay = await post('/w4/login', response);
    expect(replay).toMatchObject({ status: 400, json: { error: { code: 'CHALLENGE_INVALID' } } });
    expect(replay.headers.get('cache-control')).toBe('no-store');

    const fresh = await signedLogin();
    const forged = await card.jpki.sign('auth', new TextEncoder().encode('other bytes'), 'SHA-256');
    const badSignature = await post('/w4/login', { ...fresh, signature: b64(forged) });
    expect(badSignature).toMatchObject({ status: 401, json: { error: { code: 'SIGNATURE_INVALID' } } });

    jlis.revoke('auth', jlis.holder(persona.id).authSerial, 'keyCompromise');
    const revoked = await post('/w4/login', await signedLogin());
    expect(revoked).toMatchObject({
      status: 403,
      json: { error: { code: 'CERTIFICATE_REVOKED', reason: 'keyCompromise' } },
    });
  });

  it('fails closed with 503 REVOCATION_UNDETERMINED when revocation gives no answer', async () => {
    const undecided = await serve(
      new EkycService({
        verifier: verifierWith({ check: async () => ({ status: 'unknown', evidence: [] }) }),
        accounts: new InMemoryAccountBindingStore(),
        evidence: new InMemoryEvidenceStore(),
        verifierId,
        clock,
      }),
    );
    const result = await post('/w4/login', await signedLogin(undecided), undecided);
    expect(result).toMatchObject({ status: 503, json: { error: { code: 'REVOCATION_UNDETERMINED' } } });
    const latest = await post('/w4/latest', { customerId: 'c-1' }, undecided);
    expect(latest).toMatchObject({
      status: 501,
      json: { error: { code: 'LATEST_BASIC_FOUR_NOT_CONFIGURED' } },
    });
  });

  it('W4.1: identity verification returns the basic four and stores 7-year evidence', async () => {
    const verified = await post('/w4/identity', {
      ...(await signedIdentity('口座開設 申込番号 A-1001')),
      customerId: 'customer-1',
    });
    expect(verified.status).toBe(201);
    expect(verified.json.basicFour).toMatchObject({ name: persona.name, address: persona.address });

    const record = await evidence.latestFor('customer-1');
    expect(record).not.toBeNull();
    expect(record!.verifierId).toBe(verifierId);
    expect(record!.id).toBe(verified.json.evidenceId);
    const kept = identityEvidenceSchema.parse(record!.evidence);
    expect(new Date(kept.retainUntil).getUTCFullYear()).toBe(now.getUTCFullYear() + 7);
    expect(kept.retainUntil).toBe(verified.json.retainUntil);
    expect(new TextDecoder().decode(unb64(kept.signedData))).toContain('口座開設 申込番号 A-1001');
    expect(kept.certificate).toBe(b64(await card.jpki.readCertificate('sign')));
    expect(kept.serialNumber).toBe(verified.json.signSerial);
    expect(await evidence.latestFor('customer-2')).toBeNull();

    // Retention: nothing goes before the date, everything after it.
    expect(await evidence.purgeExpired(now)).toBe(0);
    expect(await evidence.purgeExpired(new Date(new Date(kept.retainUntil).getTime() + 1))).toBe(1);
    expect(await evidence.latestFor('customer-1')).toBeNull();
  });

  it('W4.1: a login challenge cannot be used for identity verification', async () => {
    const start = await post('/w4/login/start', {});
    await card.jpki.verifySignPassword(persona.pins.sign!);
    const signature = await card.jpki.sign('sign', unb64(start.json.toBeSigned), 'SHA-256');
    const result = await post('/w4/identity', {
      challengeId: start.json.challengeId,
      certificate: b64(await card.jpki.readCertificate('sign')),
      signature: b64(signature),
      customerId: 'customer-1',
    });
    expect(result).toMatchObject({ status: 400, json: { error: { code: 'CHALLENGE_INVALID' } } });
    expect(await evidence.latestFor('customer-1')).toBeNull();
  });

  it('W4.3: after a change of address the recheck says basic-four-changed', async () => {
    await post('/w4/identity', { ...(await signedIdentity('open account')), customerId: 'customer-1' });
    const before = await post('/w4/recheck', { customerId: 'customer-1' });
    expect(before).toMatchObject({ status: 200, json: { status: 'valid', meaning: 'valid' } });

    await jlis.changeBasicFour(persona.id, { address: '福岡県福岡市博多区博多駅前１－１' });
    const after = await post('/w4/recheck', { customerId: 'customer-1' });
    expect(after).toMatchObject({
      status: 200,
      json: { status: 'revoked', meaning: 'basic-four-changed', customerId: 'customer-1' },
    });

    const unknown = await post('/w4/recheck', { customerId: 'nobody' });
    expect(unknown).toMatchObject({ status: 404, json: { error: { code: 'UNKNOWN_CUSTOMER' } } });
  });

  it('W4.4: the latest basic four only with the holder consent', async () => {
    const verified = await post('/w4/identity', {
      ...(await signedIdentity('open account')),
      customerId: 'customer-1',
    });
    await jlis.changeBasicFour(persona.id, { address: '福岡県福岡市博多区博多駅前１－１' });

    const withoutConsent = await post('/w4/latest', { customerId: 'customer-1' });
    expect(withoutConsent).toMatchObject({ status: 200, json: { status: 'no-consent' } });

    jlis.recordConsent(verified.json.signSerial, verifierId);
    const latest = await post('/w4/latest', { customerId: 'customer-1' });
    expect(latest.status).toBe(200);
    expect(latest.json).toMatchObject({
      status: 'updated',
      signSerial: verified.json.signSerial,
      basicFour: { name: persona.name, address: '福岡県福岡市博多区博多駅前１－１' },
    });
    expect(latest.json.newSignSerial).not.toBe(verified.json.signSerial);
  });

  it('validates bodies, methods, routes and size', async () => {
    const badBase64 = await post('/w4/login', { challengeId: 'x', certificate: '!!!!', signature: 'AAAA' });
    expect(badBase64).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST' } } });
    expect(JSON.stringify(badBase64.json)).not.toContain('!!!!');
    expect(await post('/w4/recheck', { customerId: 'has spaces' })).toMatchObject({ status: 400 });
    expect(await post('/w4/recheck', 'not json')).toMatchObject({ status: 400 });
    expect(await post('/w4/identity/start', { transaction: 'x', extra: 1 })).toMatchObject({ status: 400 });
    expect(await post('/w4/nowhere', {})).toMatchObject({
      status: 404,
      json: { error: { code: 'NOT_FOUND' } },
    });
    const get = await fetch(`${base}/w4/login/start`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const big = await post('/w4/identity/start', { transaction: 'x'.repeat(20 * 1024) });
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });
});
