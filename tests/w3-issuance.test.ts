import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { EkycVerifier, parseJpkiCertificate, RevocationChecker, TrustStore } from '@mynakit/jpki';
import {
  getPersona,
  type JlisServer,
  type MockIssuanceServer,
  MockJlis,
  startJlisServer,
  startMockIssuanceServer,
} from '@mynakit/testkit';
import {
  certificateIssuanceWorkflow,
  createW3HttpHandler,
  HttpIssuanceServer,
  InMemoryMailbox,
  IssuanceService,
  JpkiApplicantAuthenticator,
  kioskRecipient,
  RateLimiter,
  type W3Actor,
  type W3State,
  WorkflowRuntime,
  w3CaseId,
  w3EffectHandlers,
} from '@mynakit/workflows';
import { SqliteWorkflowStore } from '@mynakit/workflows/sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const persona = getPersona('taro');
const device = 'phone-0001-abcd';
const kiosk = 'kiosk-7eleven-0042';
const otherKiosk = 'kiosk-lawson-0099';
const application = {
  certificateKind: 'resident-record',
  copies: 2,
  options: { scope: 'self', includeRegisteredDomicile: false, includeRelationship: false },
};
const leaseMs = 5000;
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** Stands in for the reference server's API-key check: `x-test-actor: role/id`. */
function actorOf(req: IncomingMessage): W3Actor | undefined {
  const header = req.headers['x-test-actor'];
  if (typeof header !== 'string') return undefined;
  const [role = '', id = ''] = header.split('/');
  return { role, id };
}

describe('W3 issuance over HTTP (node:http, MockJlis, virtual card, mock issuance server)', () => {
  let now: Date;
  const clock = () => now;
  let jlis: MockJlis;
  let jlisServer: JlisServer;
  let issuance: MockIssuanceServer;
  let card: MyNumberCard;
  let store: SqliteWorkflowStore;
  let runtime: WorkflowRuntime;
  let mailbox: InMemoryMailbox;
  let server: Server;
  let base: string;
  let handlers: ReturnType<typeof w3EffectHandlers>;

  async function post(path: string, body: unknown, actor?: string) {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(actor !== undefined && { 'x-test-actor': actor }) },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Json };
  }

  /** The phone's side of W3.1: a server challenge signed with the card's user-authentication key. */
  async function cardAuth(sign: (challenge: Uint8Array) => Uint8Array = (c) => c) {
    const challenge = await post('/w3/challenge', {});
    expect(challenge.status).toBe(200);
    await card.jpki.verifyAuthPin(persona.pins.auth);
    const signature = await card.jpki.sign('auth', sign(unb64(challenge.json.challenge)), 'SHA-256');
    return {
      challengeId: challenge.json.challengeId as string,
      certificate: b64(await card.jpki.readCertificate('auth')),
      signature: b64(signature),
    };
  }

  const apply = async (auth: unknown) => post('/w3/applications', { deviceId: device, application, auth });

  beforeEach(async () => {
    now = new Date('2026-11-25T03:00:00Z');
    jlis = await MockJlis.create({ clock });
    const transport = new MemoryTransport(['reader']);
    transport.insert('reader', await jlis.issueCard(persona.id));
    card = await MyNumberCard.open(transport, 'reader');
    jlisServer = await startJlisServer(jlis);
    issuance = await startMockIssuanceServer();
    const trustStore = new TrustStore();
    await trustStore.addRoot('sign', jlis.cas.sign.der);
    await trustStore.addRoot('auth', jlis.cas.auth.der);
    const revocation = new RevocationChecker({
      ocsp: { url: jlisServer.ocspUrl },
      crl: {
        url: (issuer) => jlisServer.crlUrl(issuer.subject.includes('digital signature') ? 'sign' : 'auth'),
      },
      clock,
    });
    store = await SqliteWorkflowStore.open(':memory:');
    runtime = new WorkflowRuntime({
      store,
      workflows: [certificateIssuanceWorkflow],
      clock,
      leaseMs,
      workerId: 'w1',
    });
    mailbox = new InMemoryMailbox();
    const service = new IssuanceService({
      runtime,
      authenticator: new JpkiApplicantAuthenticator(
        new EkycVerifier({ trustStore, revocation, clock }),
        clock,
      ),
      mailbox,
      clock,
      expiryMs: 24 * 60 * 60_000,
      confirmTimeoutMs: 3 * 60_000,
      rateLimiter: new RateLimiter({ capacity: 10, refillPerSecond: 1 }, () => now.getTime()),
      pollIntervalMs: 10,
    });
    handlers = w3EffectHandlers({
      documents: new HttpIssuanceServer({ url: issuance.url }),
      mailbox,
      clock,
    });
    const handler = createW3HttpHandler(service, { actorOf: (req) => actorOf(req as IncomingMessage) });
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await card.close();
    await store.close();
    await issuance.close();
    await jlisServer.close();
  });

  it('W3.1: a signature over other bytes is refused, a revoked certificate is refused, a good card gets a number', async () => {
    const forged = await apply(await cardAuth(() => new TextEncoder().encode('other bytes')));
    expect(forged).toMatchObject({ status: 401, json: { error: { code: 'SIGNATURE_INVALID' } } });

    const good = await apply(await cardAuth());
    expect(good.status).toBe(201);
    expect(good.json.receptionNumber).toMatch(/^\d{16}$/);
    // The evidence: the auth certificate's serial and the revocation answer that cleared it; no name.
    const authSerial = parseJpkiCertificate(await card.jpki.readCertificate('auth')).serialNumber;
    const state = (await runtime.getCase(await w3CaseId(good.json.receptionNumber)))?.state as W3State;
    expect(state.applicant).toMatchObject({
      method: 'jpki-auth-signature',
      certificateSerial: authSerial,
      revocation: { status: 'good', source: 'ocsp', checkedAt: now.toISOString() },
    });
    expect(JSON.stringify(state)).not.toContain(persona.name);

    jlis.revoke('auth', jlis.holder(persona.id).authSerial, 'keyCompromise');
    const revoked = await apply(await cardAuth());
    expect(revoked).toMatchObject({ status: 403, json: { error: { code: 'CERTIFICATE_REVOKED' } } });
    // Only the good application started a case.
    expect(await runtime.listCases({ limit: 10 })).toHaveLength(1);
  });

  it('W3.3–W3.5 and rules: the number is printed exactly once, at the presenting kiosk, after the device said "print"', async () => {
    const { receptionNumber } = (await apply(await cardAuth())).json;
    expect(await post('/w3/kiosk/present', { receptionNumber }, `kiosk/${kiosk}`)).toMatchObject({
      status: 202,
      json: { status: 'confirmation-requested' },
    });
    // Another kiosk cannot take the number over while the device decides.
    expect((await post('/w3/kiosk/present', { receptionNumber }, `kiosk/${otherKiosk}`)).status).toBe(404);

    const asked = await post('/w3/device/wait', { deviceId: device, receptionNumber, wait: 5 });
    expect(asked.json.request).toMatchObject({
      kioskId: kiosk,
      certificateKind: 'resident-record',
      copies: 2,
    });
    expect(
      await post('/w3/device/confirm', { deviceId: device, receptionNumber, decision: 'print' }),
    ).toMatchObject({ status: 200, json: { status: 'printing' } });

    // The outbox worker has the issuance server issue the document, then freezes before it queues the job.
    let issued = () => {};
    const frozen = new Promise<void>((resolve) => {
      issued = resolve;
    });
    const freezing = w3EffectHandlers({
      documents: {
        issue: async (input) => {
          await new HttpIssuanceServer({ url: issuance.url }).issue(input);
          issued();
          return new Promise<never>(() => {});
        },
      },
      mailbox,
      clock,
    });
    void runtime.runOutboxOnce(freezing);
    await frozen;
    // The kiosk waits: no job handed out before the case records it.
    expect(await post('/w3/kiosk/wait', { receptionNumber }, `kiosk/${kiosk}`)).toMatchObject({
      status: 200,
      json: { status: 'printing', job: null },
    });

    // A second worker re-runs the effect with the same key once the lease ran out: one document, one job.
    now = new Date(now.getTime() + leaseMs + 1);
    const w2 = new WorkflowRuntime({
      store,
      workflows: [certificateIssuanceWorkflow],
      clock,
      leaseMs,
      workerId: 'w2',
    });
    expect(await w2.runOutboxOnce(handlers)).toMatchObject({ claimed: 1, completed: 1 });
    expect(issuance.documentsIssued()).toBe(1);
    expect(await mailbox.list(kioskRecipient(kiosk))).toHaveLength(1);
    expect(await mailbox.list(kioskRecipient(otherKiosk))).toEqual([]);

    expect((await post('/w3/kiosk/wait', { receptionNumber }, `kiosk/${otherKiosk}`)).status).toBe(404);
    const waited = await post('/w3/kiosk/wait', { receptionNumber, wait: 5 }, `kiosk/${kiosk}`);
    expect(waited).toMatchObject({
      status: 200,
      json: {
        status: 'printing',
        job: { certificateKind: 'resident-record', copies: 2, mediaType: 'application/pdf' },
      },
    });
    expect(Buffer.from(waited.json.job.document, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const { jobId } = waited.json.job;
    expect((await post('/w3/kiosk/printed', { jobId }, `kiosk/${otherKiosk}`)).status).toBe(404);
    expect(await post('/w3/kiosk/printed', { jobId }, `kiosk/${kiosk}`)).toMatchObject({
      status: 200,
      json: { status: 'printed' },
    });

    // Printed once: the job left the mailbox, the number is dead everywhere, the issuance server issued one document.
    expect(await mailbox.list(kioskRecipient(kiosk))).toEqual([]);
    expect(await post('/w3/kiosk/wait', { receptionNumber }, `kiosk/${kiosk}`)).toMatchObject({
      json: { status: 'printed', job: null },
    });
    expect((await post('/w3/kiosk/present', { receptionNumber }, `kiosk/${kiosk}`)).status).toBe(404);
    expect(await post('/w3/device/wait', { deviceId: device, receptionNumber })).toMatchObject({
      json: { status: 'printed', request: null },
    });
    expect(issuance.documentsIssued()).toBe(1);
    const caseId = await w3CaseId(receptionNumber);
    expect((await runtime.events(caseId)).map((e) => (e.event as { type: string }).type)).toEqual([
      '@start',
      'kiosk-presented',
      'device-confirmed',
      'print-job-queued',
      'print-succeeded',
    ]);
  });
});
