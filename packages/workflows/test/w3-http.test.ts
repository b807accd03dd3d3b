import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowRuntime } from '../src/engine/runtime.js';
import { RateLimiter } from '../src/reception/rate-limiter.js';
import { generateReceptionNumber } from '../src/reception/reception-number.js';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import { InMemoryMailbox } from '../src/stores/mailbox.js';
import { w3EffectHandlers } from '../src/w3/effect-handlers.js';
import { createW3HttpHandler, type W3Actor } from '../src/w3/http-handlers.js';
import { InMemoryCertificateDocuments } from '../src/w3/in-memory-ports.js';
import { IssuanceService } from '../src/w3/issuance-service.js';
import { certificateIssuanceWorkflow } from '../src/w3/w3-workflow.js';
import { FakeApplicantAuthenticator, fakeSign } from './support/w3-fakes.js';

const device = 'device-aaaa-0001';
const kiosk = 'kiosk-7eleven-0042';
const cardSerial = 'a1b2c3d4';
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

const application = { certificateKind: 'seal-registration', copies: 1 };
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Stands in for the reference server's API-key check: `x-test-actor: role/id`. */
function actorOf(req: IncomingMessage): W3Actor | undefined {
  const header = req.headers['x-test-actor'];
  if (typeof header !== 'string') return undefined;
  const [role = '', id = ''] = header.split('/');
  return { role, id };
}

describe('W3 HTTP handlers (node:http)', () => {
  let store: SqliteWorkflowStore;
  let server: Server;
  let base: string;
  let runtime: WorkflowRuntime;
  let now: Date;
  const clock = () => now;
  let authenticator: FakeApplicantAuthenticator;
  let mailbox: InMemoryMailbox;
  let documents: InMemoryCertificateDocuments;

  const post = async (path: string, body: unknown, actor?: string) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(actor !== undefined && { 'x-test-actor': actor }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Json };
  };
  const asKiosk = `kiosk/${kiosk}`;

  /** W3.1 on the phone: fetch a challenge, sign it with the (fake) card. */
  async function signedAuth(serial = cardSerial) {
    const challenge = await post('/w3/challenge', {});
    expect(challenge.status).toBe(200);
    return {
      challengeId: challenge.json.challengeId as string,
      certificate: b64(new TextEncoder().encode(serial)),
      signature: b64(fakeSign(serial, new Uint8Array(Buffer.from(challenge.json.challenge, 'base64')))),
    };
  }

  beforeEach(async () => {
    store = await SqliteWorkflowStore.open(':memory:');
    now = new Date('2026-04-01T10:00:00.000Z');
    runtime = new WorkflowRuntime({ store, workflows: [certificateIssuanceWorkflow], clock });
    authenticator = new FakeApplicantAuthenticator(clock);
    mailbox = new InMemoryMailbox();
    documents = new InMemoryCertificateDocuments();
    const service = new IssuanceService({
      runtime,
      authenticator,
      mailbox,
      clock,
      expiryMs: 24 * 60 * 60_000,
      confirmTimeoutMs: 3 * 60_000,
      rateLimiter: new RateLimiter({ capacity: 2, refillPerSecond: 0.2 }, () => now.getTime()),
      pollIntervalMs: 5,
    });
    const handler = createW3HttpHandler(service, { actorOf: (req) => actorOf(req as IncomingMessage) });
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  it('W3.1–W3.5 over HTTP: challenge → apply → present → device wait → confirm → kiosk wait → printed', async () => {
    const applied = await post('/w3/applications', {
      deviceId: device,
      application,
      auth: await signedAuth(),
    });
    expect(applied.status).toBe(201);
    expect(applied.json.receptionNumber).toMatch(/^\d{16}$/);
    expect(applied.headers.get('cache-control')).toBe('no-store');
    const receptionNumber = applied.json.receptionNumber as string;

    const presented = await post('/w3/kiosk/present', { receptionNumber }, asKiosk);
    expect(presented).toMatchObject({ status: 202, json: { status: 'confirmation-requested' } });

    const asked = await post('/w3/device/wait', { deviceId: device, receptionNumber, wait: 5 });
    expect(asked).toMatchObject({
      status: 200,
      json: {
        status: 'confirmation-requested',
        request: { kioskId: kiosk, certificateKind: 'seal-registration', copies: 1 },
      },
    });

    const confirmed = await post('/w3/device/confirm', {
      deviceId: device,
      receptionNumber,
      decision: 'print',
    });
    expect(confirmed).toMatchObject({ status: 200, json: { status: 'printing' } });
    await runtime.runOutboxOnce(w3EffectHandlers({ documents, mailbox, clock }));

    const waited = await post('/w3/kiosk/wait', { receptionNumber, wait: 5 }, asKiosk);
    expect(waited).toMatchObject({
      status: 200,
      json: {
        status: 'printing',
        job: { certificateKind: 'seal-registration', copies: 1, mediaType: 'application/pdf' },
      },
    });
    expect(Buffer.from(waited.json.job.document, 'base64').toString()).toContain('seal-registration');

    const printed = await post('/w3/kiosk/printed', { jobId: waited.json.job.jobId }, asKiosk);
    expect(printed).toMatchObject({ status: 200, json: { status: 'printed' } });
    expect(await post('/w3/kiosk/wait', { receptionNumber }, asKiosk)).toMatchObject({
      status: 200,
      json: { status: 'printed', job: null },
    });
    expect(documents.issued.size).toBe(1);
  });

  it('W3.1: a failed card authentication is refused with its JPKI code and starts no case', async () => {
    const auth = await signedAuth();
    const forged = await post('/w3/applications', {
      deviceId: device,
      application,
      auth: { ...auth, signature: b64(new Uint8Array(32)) },
    });
    expect(forged).toMatchObject({ status: 401, json: { error: { code: 'SIGNATURE_INVALID' } } });
    // The challenge was spent by the failed attempt.
    const replay = await post('/w3/applications', { deviceId: device, application, auth });
    expect(replay).toMatchObject({ status: 400, json: { error: { code: 'CHALLENGE_INVALID' } } });

    authenticator.revoked.add(cardSerial);
    const revoked = await post('/w3/applications', {
      deviceId: device,
      application,
      auth: await signedAuth(),
    });
    expect(revoked).toMatchObject({ status: 403, json: { error: { code: 'CERTIFICATE_REVOKED' } } });

    authenticator.revocationDown = true;
    const undetermined = await post('/w3/applications', {
      deviceId: device,
      application,
      auth: await signedAuth(),
    });
    expect(undetermined).toMatchObject({ status: 503, json: { error: { code: 'REVOCATION_UNDETERMINED' } } });
    expect(await runtime.listCases({ limit: 10 })).toEqual([]);

    const missing = await post('/w3/applications', { deviceId: device, application });
    expect(missing).toMatchObject({ status: 400, json: { error: { code: 'INVALID_REQUEST' } } });
  });

  it('rules: the kiosk id comes from the authenticated caller — kiosk routes refuse anonymous and other roles', async () => {
    const number = generateReceptionNumber();
    expect(await post('/w3/kiosk/present', { receptionNumber: number })).toMatchObject({
      status: 401,
      json: { error: { code: 'UNAUTHENTICATED' } },
    });
    expect(await post('/w3/kiosk/wait', { receptionNumber: number }, `booth/${kiosk}`)).toMatchObject({
      status: 403,
      json: { error: { code: 'FORBIDDEN' } },
    });
    // A body naming a kiosk is refused: the id is never taken from it.
    expect(
      await post('/w3/kiosk/present', { kioskId: kiosk, receptionNumber: number }, asKiosk),
    ).toMatchObject({
      status: 400,
      json: { error: { code: 'INVALID_REQUEST' } },
    });
    // The third handler argument is the mount point's way to pass the caller.
    const service = new IssuanceService({
      runtime,
      authenticator,
      mailbox,
      clock,
      expiryMs: 60_000,
      confirmTimeoutMs: 60_000,
      rateLimiter: new RateLimiter({ capacity: 5, refillPerSecond: 1 }),
    });
    const handler = createW3HttpHandler(service);
    const mounted = createServer((req, res) => handler(req, res, { id: kiosk, role: 'kiosk' }));
    await new Promise<void>((resolve) => mounted.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(
        `http://127.0.0.1:${(mounted.address() as AddressInfo).port}/w3/kiosk/present`,
        {
          method: 'POST',
          body: JSON.stringify({ receptionNumber: number }),
        },
      );
      expect(response.status).toBe(404);
      expect(((await response.json()) as Json).error.code).toBe('RECEPTION_NUMBER_NOT_AVAILABLE');
    } finally {
      await new Promise<void>((resolve) => mounted.close(() => resolve()));
    }
  });

  it('rules: every payload is validated with zod; errors are JSON with a typed code and no echoed values', async () => {
    const bad = await post('/w3/applications', {
      deviceId: device,
      application: { ...application, myNumber: '123456789012' },
      auth: await signedAuth(),
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(bad.json)).not.toContain('123456789012');

    expect((await post('/w3/kiosk/present', '{not json', asKiosk)).json.error.code).toBe('INVALID_REQUEST');
    expect(
      (await post('/w3/device/confirm', { deviceId: device, receptionNumber: '1', decision: 'maybe' }))
        .status,
    ).toBe(400);
    expect((await post('/w3/kiosk/printed', { jobId: 'job-1' }, asKiosk)).status).toBe(400);
    expect((await post('/w3/nowhere', {})).json.error.code).toBe('NOT_FOUND');
    const get = await fetch(`${base}/w3/applications`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(((await get.json()) as Json).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('rules: a malformed and an unknown number get the same 404 answer', async () => {
    const unknown = await post('/w3/kiosk/present', { receptionNumber: generateReceptionNumber() }, asKiosk);
    const malformed = await post('/w3/kiosk/present', { receptionNumber: '0000-0000-0000-0001' }, asKiosk);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('RECEPTION_NUMBER_NOT_AVAILABLE');
    expect(malformed.status).toBe(404);
    expect(malformed.json).toEqual(unknown.json);
    const deviceUnknown = await post('/w3/device/wait', {
      deviceId: device,
      receptionNumber: generateReceptionNumber(),
    });
    expect(deviceUnknown).toMatchObject({ status: 404, json: unknown.json });
  });

  it('rules: rate-limited presentations get 429 with Retry-After', async () => {
    for (let i = 0; i < 2; i++) {
      expect(
        (await post('/w3/kiosk/present', { receptionNumber: generateReceptionNumber() }, asKiosk)).status,
      ).toBe(404);
    }
    const limited = await post('/w3/kiosk/present', { receptionNumber: generateReceptionNumber() }, asKiosk);
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('RATE_LIMITED');
    // One token comes back after 1 / 0.2 per second = 5 s.
    expect(limited.headers.get('retry-after')).toBe('5');
    now = new Date(now.getTime() + 5000);
    expect(
      (await post('/w3/kiosk/present', { receptionNumber: generateReceptionNumber() }, asKiosk)).status,
    ).toBe(404);
  });
});
