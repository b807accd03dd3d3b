import { type CardEmulator, MemoryTransport, MyNumberCard } from '@mynakit/card';
import { parseJpkiCertificate } from '@mynakit/jpki';
import { collationNumberB, getPersona, MockJlis, updateScriptToJson } from '@mynakit/testkit';
import { BoothClient, type BoothProgress, FileCamera, ServerClient } from '@mynakit/workflows/device';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeReply, type FakeServer, jsonError, startFakeServer } from './support/device-fake-server.js';

const persona = getPersona('taro');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4);

const applicationSchema = z.strictObject({
  certificates: z.strictObject({ auth: z.base64(), sign: z.base64().nullable() }),
  holder: z.strictObject({ name: z.string(), address: z.string(), birthDate: z.string(), sex: z.string() }),
  cardPhoto: z.base64(),
  livePhoto: z.base64(),
  livePhotoType: z.enum(['image/jpeg', 'image/png']),
  capturedAt: z.iso.datetime(),
});
const answersSchema = z.strictObject({
  scriptId: z.string(),
  answers: z.array(z.strictObject({ sw: z.number(), data: z.base64() })),
});

interface FakeCase {
  workflow: 'w1' | 'w2';
  version: number;
  status: string;
  reason?: string;
  updateScript?: ReturnType<typeof updateScriptToJson>;
  application: z.infer<typeof applicationSchema>;
}

/** Counts the update commands the card sees; arms a pull-out of the card after the `pullAfter`th one. */
class CountingCard implements CardEmulator {
  updateCommands = 0;
  pullAfter: number | null = null;
  constructor(
    readonly inner: CardEmulator,
    private readonly onArm: () => void,
  ) {}
  get atr() {
    return this.inner.atr;
  }
  powerOn() {
    this.inner.powerOn();
  }
  powerOff() {
    this.inner.powerOff();
  }
  reset() {
    this.inner.reset();
  }
  transmit(apdu: Uint8Array) {
    if (apdu[0] === 0x84 && ++this.updateCommands === this.pullAfter) {
      this.pullAfter = null;
      this.onArm();
    }
    return this.inner.transmit(apdu);
  }
}

describe('BoothClient against a fake reference server (virtual card, MockJlis update script)', () => {
  let jlis: MockJlis;
  let transport: MemoryTransport;
  let emulator: CountingCard;
  let card: MyNumberCard;
  let server: FakeServer;
  let cases: Map<string, FakeCase>;
  /** How the fake decides after the checks: renew, hold for a reviewer, or reject. */
  let decision: 'renew' | 'hold' | { reject: string };
  let dropFirstPost: boolean;
  let events: BoothProgress[];

  const advance = (c: FakeCase, status: string, extra: Partial<FakeCase> = {}) => {
    Object.assign(c, extra, { status, version: c.version + 1 });
  };

  async function afterChecks(c: FakeCase): Promise<void> {
    if (decision === 'hold') return advance(c, 'held');
    if (typeof decision === 'object') return advance(c, 'rejected', { reason: decision.reject });
    if (c.workflow === 'w2') return advance(c, 'completed'); // registered with the administrative server
    const certificates = c.application.certificates;
    const renewal = await jlis.renew(persona.id, {
      auth: unb64(certificates.auth),
      sign: certificates.sign === null ? null : unb64(certificates.sign),
    });
    advance(c, 'awaiting-card', { updateScript: updateScriptToJson(renewal.script) });
  }

  /** Long-poll: answers when the version passed `since`, or after at most `wait` seconds (polled every 5 ms). */
  async function statusOf(c: FakeCase, caseId: string, query: URLSearchParams): Promise<FakeReply> {
    const wait = Number(query.get('wait') ?? '0');
    expect(wait).toBeLessThanOrEqual(30);
    const since = query.has('since') ? Number(query.get('since')) : -1;
    const until = Date.now() + wait * 1000;
    while (c.version <= since && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const view = {
      caseId,
      version: c.version,
      status: c.status,
      final: ['completed', 'rejected', 'failed', 'expired'].includes(c.status),
      ...(c.reason !== undefined && { reason: c.reason }),
      ...(c.status === 'awaiting-card' && { updateScript: c.updateScript }),
    };
    // The checks run once the booth has seen the case received: the booth sees every step, in order.
    if (c.status === 'received') advance(c, 'face-checking');
    else if (c.status === 'face-checking') await afterChecks(c);
    return { status: 200, body: view };
  }

  async function route(request: Parameters<Parameters<typeof startFakeServer>[0]>[0]): Promise<FakeReply> {
    if (request.headers.authorization !== 'Bearer booth-key') return jsonError(401, 'UNAUTHENTICATED');
    const collection = request.path.match(/^\/(w1\/renewals|w2\/registrations)$/);
    if (request.method === 'POST' && collection) {
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length < 8) return jsonError(400, 'INVALID_REQUEST');
      const application = applicationSchema.parse(request.body);
      const workflow = collection[1]!.startsWith('w1') ? 'w1' : 'w2';
      const caseId = `${workflow}-${key}`;
      if (!cases.has(caseId)) cases.set(caseId, { workflow, version: 1, status: 'received', application });
      if (dropFirstPost) {
        dropFirstPost = false;
        return 'destroy'; // processed, but the answer is lost: the retry must land on the same case
      }
      return { status: 202, body: { caseId, status: 'received' } };
    }
    const one = request.path.match(/^\/(?:w1\/renewals|w2\/registrations)\/([^/]+)(\/card-answers)?$/);
    const c = one ? cases.get(one[1]!) : undefined;
    if (!one || !c) return jsonError(404, 'CASE_NOT_FOUND');
    if (request.method === 'GET' && !one[2]) return statusOf(c, one[1]!, request.query);
    if (request.method === 'POST' && one[2]) {
      const body = answersSchema.parse(request.body);
      if (c.status !== 'awaiting-card' || body.scriptId !== c.updateScript?.scriptId)
        return jsonError(409, 'WRONG_STATE');
      advance(c, 'confirming');
      const result = jlis.confirmRenewal(
        body.scriptId,
        body.answers.map((a) => ({ sw: a.sw, data: unb64(a.data) })),
      );
      setTimeout(() => advance(c, result.activated ? 'completed' : 'failed'), 1);
      return { status: 202, body: { status: 'confirming' } };
    }
    return jsonError(405, 'METHOD_NOT_ALLOWED');
  }

  function booth(options: Partial<ConstructorParameters<typeof BoothClient>[0]> = {}): BoothClient {
    const client = new BoothClient({
      card,
      camera: new FileCamera([JPEG], { clock: () => new Date('2026-12-06T01:02:03.000Z') }),
      server: new ServerClient({ baseUrl: server.url, apiKey: 'booth-key', retryDelayMs: 1 }),
      pollWaitSeconds: 5,
      ...options,
    });
    client.on('progress', (event) => events.push(event));
    return client;
  }

  const input = {
    inputSupportPin: persona.pins.textAp,
    collationNumberB: collationNumberB(persona),
    signPassword: persona.pins.sign!,
  };

  beforeEach(async () => {
    jlis = await MockJlis.create();
    transport = new MemoryTransport(['booth']);
    emulator = new CountingCard(await jlis.issueCard(persona.id), () =>
      transport.removeDuringNextTransmit('booth', { when: 'after-card' }),
    );
    transport.insert('booth', emulator);
    card = await MyNumberCard.open(transport, 'booth');
    cases = new Map();
    decision = 'renew';
    dropFirstPost = false;
    events = [];
    server = await startFakeServer(route);
  });

  afterEach(async () => {
    await card.close();
    await server.close();
  });

  it('W1: renews the card end to end; a lost answer to the POST is retried with the same Idempotency-Key', async () => {
    const oldAuth = parseJpkiCertificate(await card.jpki.readCertificate('auth')).serialNumber.toLowerCase();
    const oldSign = jlis.holder(persona.id).signSerial;
    dropFirstPost = true;

    const result = await booth().renew(input);

    expect(result).toEqual({ outcome: 'completed', caseId: expect.stringMatching(/^w1-/) });
    const posts = server.requests.filter((r) => r.method === 'POST' && r.path === '/w1/renewals');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key']);
    expect(cases.size).toBe(1);

    // What the booth sent: the card's certificates, the basic four, the chip photo and the live photo.
    const sent = [...cases.values()][0]!.application;
    expect(sent.holder).toEqual({
      name: persona.name,
      address: persona.address,
      birthDate: persona.birthDate,
      sex: persona.sex,
    });
    expect(sent.certificates.sign).not.toBeNull();
    expect(Buffer.from(unb64(sent.cardPhoto).subarray(4, 8)).toString('latin1')).toBe('jP  ');
    expect(unb64(sent.livePhoto)).toEqual(JPEG);
    expect(sent).toMatchObject({ livePhotoType: 'image/jpeg', capturedAt: '2026-12-06T01:02:03.000Z' });

    // The relayed script took effect: new certificates on the card, known to J-LIS, old ones superseded.
    const newAuth = parseJpkiCertificate(await card.jpki.readCertificate('auth')).serialNumber.toLowerCase();
    expect(newAuth).not.toBe(oldAuth);
    expect(jlis.holder(persona.id).authSerial).toBe(newAuth);
    expect(jlis.holder(persona.id).signSerial).not.toBe(oldSign);

    expect(events.map((e) => e.step)).toEqual([
      'reading-card',
      'capturing',
      'submitting',
      'checking',
      'writing-card',
      'confirming',
      'completed',
    ]);
    expect(events.slice(3).every((e) => e.caseId === result.caseId)).toBe(true);
    const shown = JSON.stringify(events);
    for (const secret of [persona.name, persona.pins.textAp, persona.pins.sign!, input.collationNumberB])
      expect(shown).not.toContain(secret);
  });

  it('W1: a card pulled out mid-script gives CARD_REMOVED with the case id; resumeRenewal relays again', async () => {
    emulator.pullAfter = 2;
    const client = booth();
    const first = await client.renew(input);
    expect(first).toMatchObject({
      outcome: 'card-error',
      resumable: true,
      caseId: expect.stringMatching(/^w1-/),
    });
    if (first.outcome !== 'card-error') throw new Error('unreachable');
    expect(first.error.code).toBe('CARD_REMOVED');
    expect(cases.get(first.caseId)!.status).toBe('awaiting-card');
    const before = jlis.holder(persona.id).authSerial;

    transport.insert('booth', emulator);
    events = [];
    const resumed = await client.resumeRenewal(first.caseId);

    expect(resumed).toEqual({ outcome: 'completed', caseId: first.caseId });
    const onCard = parseJpkiCertificate(await card.jpki.readCertificate('auth')).serialNumber.toLowerCase();
    expect(jlis.holder(persona.id).authSerial).toBe(onCard);
    expect(onCard).not.toBe(before);
    expect(events.map((e) => e.step)).toEqual(['writing-card', 'confirming', 'completed']);
  });

  it('W1: a rejected application ends without touching the card, with the reason', async () => {
    decision = { reject: 'face-no-match' };
    const result = await booth().renew(input);
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'face-no-match' });
    expect(emulator.updateCommands).toBe(0);
    expect(events.at(-1)).toMatchObject({ step: 'rejected', status: 'rejected' });
  });

  it('W1: a case held for review past the booth wait gives held-timeout; resuming after approval renews', async () => {
    decision = 'hold';
    let now = Date.parse('2026-12-06T00:00:00Z');
    // Every reading of the booth's clock is 10 s later: the 60 s wait runs out after a few polls.
    const clock = () => {
      now += 10_000;
      return new Date(now);
    };
    const client = booth({ pollWaitSeconds: 0, maxWaitMs: 60_000, clock });
    const held = await client.renew(input);
    expect(held).toEqual({ outcome: 'held-timeout', caseId: expect.any(String) });
    expect(events.map((e) => e.step)).toContain('held-for-review');

    decision = 'renew';
    await afterChecks(cases.get(held.caseId)!); // the reviewer approved: J-LIS produced the script
    const resumed = await client.resumeRenewal(held.caseId);
    expect(resumed).toEqual({ outcome: 'completed', caseId: held.caseId });
  });

  it('W2: registers a photo (capture time sent, no card writing)', async () => {
    const result = await booth().register({
      inputSupportPin: input.inputSupportPin,
      collationNumberB: input.collationNumberB,
    });
    expect(result).toEqual({ outcome: 'completed', caseId: expect.stringMatching(/^w2-/) });
    const sent = cases.get(result.caseId)!;
    expect(sent.application.capturedAt).toBe('2026-12-06T01:02:03.000Z');
    expect(sent.application.certificates.sign).toBeNull();
    expect(emulator.updateCommands).toBe(0);
    expect(server.requests.some((r) => r.path.startsWith('/w2/registrations/'))).toBe(true);
  });

  it('a wrong input-support PIN fails on the card before anything is sent', async () => {
    await expect(booth().renew({ ...input, inputSupportPin: '9999' })).rejects.toMatchObject({
      code: 'WRONG_PIN',
    });
    expect(server.requests).toHaveLength(0);
  });
});
