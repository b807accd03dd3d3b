import { createVerify, randomBytes, X509Certificate } from 'node:crypto';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import { createVirtualCard, getPersona } from '@mynakit/testkit';
import {
  KioskClient,
  type KioskJob,
  type KioskProgress,
  PhoneClient,
  ServerClient,
} from '@mynakit/workflows/device';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeReply, type FakeServer, jsonError, startFakeServer } from './support/device-fake-server.js';

const persona = getPersona('taro');
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const DOCUMENT = new TextEncoder().encode('%PDF-1.7 住民票の写し');
const application = { certificateKind: 'resident-record', copies: 2 } as const;

const applySchema = z.strictObject({
  deviceId: z.string(),
  application: z.object({ certificateKind: z.string(), copies: z.number() }),
  auth: z.strictObject({ challengeId: z.string(), certificate: z.base64(), signature: z.base64() }),
});

interface FakeW3Case {
  deviceId: string;
  jobId: string;
  status: 'applied' | 'confirmation-requested' | 'printing' | 'printed' | 'declined';
  version: number;
}

describe('PhoneClient and KioskClient against a fake issuance server (virtual card)', () => {
  let card: MyNumberCard;
  let server: FakeServer;
  let challenges: Map<string, Uint8Array>;
  let cases: Map<string, FakeW3Case>;
  let verifiedSignatures: number;

  const set = (c: FakeW3Case, status: FakeW3Case['status']) => {
    c.status = status;
    c.version++;
  };

  /** Long-poll: until `ready` or `wait` seconds, checked every 5 ms. */
  async function longPoll(wait: unknown, ready: () => boolean): Promise<void> {
    const until = Date.now() + Number(wait ?? 0) * 1000;
    while (!ready() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }

  async function route(request: Parameters<Parameters<typeof startFakeServer>[0]>[0]): Promise<FakeReply> {
    // biome-ignore lint/suspicious/noExplicitAny: request bodies of many shapes
    const body = (request.body ?? {}) as any;
    const notAvailable = jsonError(404, 'RECEPTION_NUMBER_NOT_AVAILABLE');
    if (request.path.startsWith('/w3/kiosk/')) {
      if (request.headers.authorization !== 'Bearer kiosk-key') return jsonError(401, 'UNAUTHENTICATED');
      if (request.path === '/w3/kiosk/printed') {
        const c = [...cases.values()].find((x) => x.jobId === body.jobId);
        if (!c || (c.status !== 'printing' && c.status !== 'printed')) return notAvailable;
        set(c, 'printed');
        return { status: 200, body: { status: 'printed' } };
      }
      if (body.receptionNumber === '999999999999999')
        return jsonError(429, 'RATE_LIMITED', { retryAfterSeconds: 30 });
      const c = cases.get(body.receptionNumber);
      if (!c) return notAvailable;
      if (request.path === '/w3/kiosk/present') {
        if (c.status !== 'applied') return notAvailable;
        set(c, 'confirmation-requested');
        return { status: 202, body: { status: 'confirmation-requested' } };
      }
      if (request.path === '/w3/kiosk/wait') {
        await longPoll(body.wait, () => c.status !== 'confirmation-requested');
        const job =
          c.status === 'printing'
            ? {
                jobId: c.jobId,
                certificateKind: 'resident-record',
                copies: 2,
                mediaType: 'application/pdf',
                document: b64(DOCUMENT),
              }
            : null;
        return { status: 200, body: { status: c.status, job } };
      }
    }
    if (request.headers.authorization !== undefined) return jsonError(400, 'INVALID_REQUEST');
    if (request.path === '/w3/challenge') {
      const id = `challenge-${challenges.size + 1}`;
      challenges.set(id, new Uint8Array(randomBytes(32)));
      return {
        status: 200,
        body: { challengeId: id, challenge: b64(challenges.get(id)!), expiresAt: '2030-01-01T00:00:00Z' },
      };
    }
    if (request.path === '/w3/applications') {
      const { deviceId, auth } = applySchema.parse(body);
      const challenge = challenges.get(auth.challengeId);
      challenges.delete(auth.challengeId);
      if (!challenge) return jsonError(401, 'CHALLENGE_INVALID');
      // W3.1: the card's auth key signed the challenge (RSA PKCS#1 v1.5, SHA-256), checked against its certificate.
      const key = new X509Certificate(unb64(auth.certificate)).publicKey;
      if (!createVerify('sha256').update(challenge).verify(key, unb64(auth.signature)))
        return jsonError(401, 'SIGNATURE_INVALID');
      verifiedSignatures++;
      const receptionNumber = String(100000000000000 + cases.size + 1);
      const jobId = `job-${randomBytes(8).toString('hex')}`;
      cases.set(receptionNumber, { deviceId, jobId, status: 'applied', version: 1 });
      return { status: 201, body: { receptionNumber, expiresAt: '2030-01-01T00:00:00Z' } };
    }
    const c = cases.get(body.receptionNumber);
    if (!c || c.deviceId !== body.deviceId) return notAvailable;
    if (request.path === '/w3/device/wait') {
      await longPoll(body.wait, () => c.status !== 'applied');
      const request =
        c.status === 'confirmation-requested'
          ? {
              kioskId: 'kiosk-1',
              certificateKind: 'resident-record',
              copies: 2,
              answerBy: '2030-01-01T00:03:00Z',
            }
          : null;
      return { status: 200, body: { status: c.status, request } };
    }
    if (request.path === '/w3/device/confirm') {
      if (c.status !== 'confirmation-requested') return notAvailable;
      set(c, body.decision === 'print' ? 'printing' : 'declined');
      return { status: 200, body: { status: c.status } };
    }
    return jsonError(404, 'NOT_FOUND');
  }

  function clients(options: { lockGuard?: { floor: number } } = {}) {
    const printed: KioskJob[] = [];
    const phone = new PhoneClient({
      card,
      server: new ServerClient({ baseUrl: server.url, retryDelayMs: 1 }),
      deviceId: 'phone-0001',
      pollWaitSeconds: 5,
      ...options,
    });
    const kiosk = new KioskClient({
      server: new ServerClient({ baseUrl: server.url, apiKey: 'kiosk-key', retryDelayMs: 1 }),
      printer: { print: async (job) => void printed.push(job) },
      pollWaitSeconds: 5,
    });
    const events: KioskProgress[] = [];
    kiosk.on('progress', (event) => events.push(event));
    return { phone, kiosk, printed, events };
  }

  beforeEach(async () => {
    const transport = new MemoryTransport(['phone']);
    transport.insert('phone', await createVirtualCard({ persona: persona.id }));
    card = await MyNumberCard.open(transport, 'phone');
    challenges = new Map();
    cases = new Map();
    verifiedSignatures = 0;
    server = await startFakeServer(route);
  });

  afterEach(async () => {
    await card.close();
    await server.close();
  });

  it('W3: apply on the phone with a card signature, present at the kiosk, confirm on the phone, print', async () => {
    const { phone, kiosk, printed, events } = clients();
    const applied = await phone.apply({ authPin: persona.pins.auth, application });
    expect(applied).toEqual({ receptionNumber: expect.any(String), expiresAt: '2030-01-01T00:00:00Z' });
    expect(verifiedSignatures).toBe(1);

    const collecting = kiosk.collect(applied.receptionNumber);
    const request = await phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 20_000 });
    expect(request).toEqual({
      kioskId: 'kiosk-1',
      certificateKind: 'resident-record',
      copies: 2,
      answerBy: '2030-01-01T00:03:00Z',
    });
    expect(await phone.answer(applied.receptionNumber, 'print')).toBe('printing');

    const jobId = cases.get(applied.receptionNumber)!.jobId;
    expect(await collecting).toEqual({ outcome: 'printed', jobId });
    expect(printed).toEqual([
      {
        jobId,
        certificateKind: 'resident-record',
        copies: 2,
        mediaType: 'application/pdf',
        document: DOCUMENT,
      },
    ]);
    expect(server.requests.find((r) => r.path === '/w3/kiosk/printed')?.body).toEqual({ jobId });
    expect(cases.get(applied.receptionNumber)!.status).toBe('printed');
    expect(events.map((e) => e.step)).toEqual(['presented', 'waiting-for-phone', 'printing', 'printed']);
    expect(JSON.stringify(events)).not.toContain(applied.receptionNumber);
  });

  it('W3.5: a declined confirmation ends the kiosk wait with declined and prints nothing', async () => {
    const { phone, kiosk, printed, events } = clients();
    const { receptionNumber } = await phone.apply({ authPin: persona.pins.auth, application });
    const collecting = kiosk.collect(receptionNumber);
    await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 20_000 });
    expect(await phone.answer(receptionNumber, 'decline')).toBe('declined');
    expect(await collecting).toEqual({ outcome: 'declined' });
    expect(printed).toEqual([]);
    expect(events.at(-1)).toEqual({ step: 'declined' });
    // The number is spent: no request will come, and a second answer is refused.
    expect(await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 20_000 })).toBeNull();
    await expect(phone.answer(receptionNumber, 'print')).rejects.toMatchObject({ code: 'NOT_AVAILABLE' });
  });

  it('W3.1: a wrong PIN, or a PIN at the lock-guard floor, stops on the card before anything is sent', async () => {
    const { phone } = clients();
    await expect(phone.apply({ authPin: '0000', application })).rejects.toMatchObject({ code: 'WRONG_PIN' });
    const guarded = clients({ lockGuard: { floor: 2 } }).phone; // 2 tries left now
    await expect(guarded.apply({ authPin: persona.pins.auth, application })).rejects.toMatchObject({
      code: 'LOCK_GUARD',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('kiosk: an unusable number and a throttled kiosk end at once, without printing', async () => {
    const { kiosk, printed, events } = clients();
    expect(await kiosk.collect('123456789012345')).toEqual({ outcome: 'not-available' });
    expect(await kiosk.collect('999999999999999')).toEqual({
      outcome: 'rate-limited',
      retryAfterSeconds: 30,
    });
    expect(events).toEqual([{ step: 'not-available' }, { step: 'rate-limited', retryAfterSeconds: 30 }]);
    expect(printed).toEqual([]);
    expect(server.requests.filter((r) => r.path === '/w3/kiosk/present')).toHaveLength(2);
  });
});
