import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cardLikePhoto, decodeImage } from '@mynakit/face';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EffectHandlers } from '../src/engine/runtime.js';
import { encodeRgbPng, toBrowserImage } from '../src/review/browser-image.js';
import { createReviewHttpHandler } from '../src/review/http-handlers.js';
import { ReviewService } from '../src/review/review-service.js';
import { RenewalService, w1EffectHandlers } from '../src/w1/renewal-service.js';
import { RegistrationService, w2EffectHandlers } from '../src/w2/registration-service.js';
import { BoothBed, boothRequest, byCasePrefix, holderA } from './support/booth-fakes.js';

const booth = 'booth-shibuya-01';
const reviewer = 'reviewer-chiyoda-3';

/** A grey gradient as PNG, turned into a card-like JPEG 2000 photo by @mynakit/face. */
async function jp2CardPhoto(): Promise<Uint8Array> {
  const width = 120;
  const height = 160;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.fill((i % width) * 2, i * 3, i * 3 + 3);
  return cardLikePhoto(encodeRgbPng(pixels, width, height));
}

describe('Municipality review of held W1/W2 cases', () => {
  let bed: BoothBed;
  let review: ReviewService;
  let renewals: RenewalService;
  let registrations: RegistrationService;
  let handlers: EffectHandlers;

  /** Runs the outbox, routing each effect to its workflow's handlers by case-id prefix. */
  const drain = () => bed.drain(handlers);

  /** A held W1 case: the holder's own photo is in the history, the attacker's card and live photos match each other. */
  const heldRenewal = async (card?: Uint8Array) => {
    const genuine = await renewals.apply(
      booth,
      'genuine-0001',
      boothRequest({ card: bed.faces.photo(0), live: bed.faces.photo(5) }),
    );
    await drain();
    const scriptId = (await renewals.status(booth, genuine.caseId)).updateScript!.scriptId;
    await renewals.submitCardAnswers(booth, genuine.caseId, {
      scriptId,
      answers: [{ sw: 0x9000, data: '' }],
    });
    await drain();
    const attackCard = card ?? bed.faces.photo(60);
    if (card !== undefined) bed.faces.register(card, 60);
    const attack = await renewals.apply(
      booth,
      'attack-0001',
      boothRequest({ card: attackCard, live: bed.faces.photo(62) }),
    );
    await drain();
    return { genuine: genuine.caseId, held: attack.caseId };
  };

  beforeEach(async () => {
    bed = await BoothBed.create();
    const common = bed.serviceOptions();
    renewals = new RenewalService(common);
    registrations = new RegistrationService(common);
    review = new ReviewService({
      runtime: bed.runtime,
      photos: bed.photos,
      keyring: bed.keyring,
      browserImage: toBrowserImage,
    });
    const ports = bed.checkPorts();
    const w1 = w1EffectHandlers({ ...ports, renewal: bed.renewal }) as EffectHandlers;
    const w2 = w2EffectHandlers({ ...ports, mode: 'admin-server', admin: bed.admin }) as EffectHandlers;
    handlers = byCasePrefix(w1, w2);
  });
  afterEach(() => bed.close());

  it('W1.5: lists held cases of both workflows, with outcome and scores', async () => {
    const { genuine, held } = await heldRenewal();
    bed.advance(1000);
    const w2 = await registrations.apply(
      booth,
      'registration-1',
      boothRequest({
        card: bed.faces.photo(0),
        live: bed.faces.photo(4),
        capturedAt: bed.now.toISOString(),
      }),
    );
    const heldList = await review.list({ status: 'held' });
    expect(heldList).toEqual([
      expect.objectContaining({ caseId: held, workflow: 'w1-renewal', status: 'held', outcome: 'hold' }),
    ]);
    expect(heldList[0]?.scores?.card).toBeCloseTo(Math.cos((2 * Math.PI) / 180), 6);
    expect(heldList[0]?.scores?.delta).toBeGreaterThanOrEqual(0.2);

    const open = await review.list({ status: 'open' });
    expect(open.map((c) => c.caseId)).toEqual([w2.caseId, held]); // newest first, the completed one left out
    const all = await review.list({ status: 'all' });
    expect(all.map((c) => c.caseId).sort()).toEqual([genuine, held, w2.caseId].sort());
  });

  it('W1.5–W1.6: the reception record has the holder, photo ids, scores, thresholds, fired rules and certificate evidence', async () => {
    const { genuine, held } = await heldRenewal();
    const record = await review.record(held);
    expect(record).toMatchObject({
      caseId: held,
      workflow: 'w1-renewal',
      status: 'held',
      boothId: booth,
      holder: holderA,
      certificateCheck: { valid: true, certificates: [{ status: 'good', source: 'ocsp' }] },
      faceCheck: {
        outcome: 'hold',
        decision: { firedRules: ['similarity-delta'], thresholds: { card: 0.6, delta: 0.2 } },
      },
    });
    const genuineRecord = await review.record(genuine);
    expect(record.photos.history).toEqual([
      {
        photoId: genuineRecord.photos.live.photoId,
        score: expect.closeTo(Math.cos((57 * Math.PI) / 180), 6),
      },
    ]);
    expect(record.audit.map((a) => a.type)).toEqual(['applied', 'certificate-checked', 'faces-compared']);
  });

  it('W1.7: a reviewer decides a held case; the decision, reviewer and reason are in the audit trail', async () => {
    const { genuine, held } = await heldRenewal();
    expect(
      await review.decide(held, { reviewerId: reviewer, decision: 'approve', reason: 'checked in person' }),
    ).toEqual({ status: 'renewal-requested' });
    const record = await review.record(held);
    expect(record.review).toMatchObject({
      reviewerId: reviewer,
      decision: 'approve',
      reason: 'checked in person',
    });
    expect(record.audit.at(-1)).toMatchObject({
      type: 'review-decided',
      reviewerId: reviewer,
      decision: 'approve',
      reason: 'checked in person',
    });
    // Only held cases: a second decision, a completed case and an unknown case are refused.
    await expect(
      review.decide(held, { reviewerId: reviewer, decision: 'reject', reason: 'x' }),
    ).rejects.toMatchObject({
      code: 'WRONG_STATE',
    });
    await expect(
      review.decide(genuine, { reviewerId: reviewer, decision: 'approve', reason: 'x' }),
    ).rejects.toMatchObject({ code: 'WRONG_STATE' });
    await expect(
      review.decide('w1-nope', { reviewerId: reviewer, decision: 'approve', reason: 'x' }),
    ).rejects.toMatchObject({ code: 'CASE_NOT_FOUND' });
  });

  it('photos: the card JPEG 2000 comes out as PNG; only photos of the record are served', async () => {
    const { genuine, held } = await heldRenewal(await jp2CardPhoto());
    const record = await review.record(held);
    const card = await review.photo(held, record.photos.card.photoId);
    expect(card.mediaType).toBe('image/png');
    const decoded = await decodeImage(card.bytes);
    expect(decoded).toMatchObject({ format: 'png', originalWidth: 240, originalHeight: 320 });
    // A history photo it was compared with passes the check (its fake bytes then fail to decode); another case's
    // photo does not.
    const historyId = record.photos.history[0]!.photoId;
    await expect(review.photo(held, historyId)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    await expect(review.photo(genuine, record.photos.live.photoId)).rejects.toMatchObject({
      code: 'PHOTO_NOT_FOUND',
    });
  });

  describe('HTTP', () => {
    let server: Server;
    let base: string;
    const request = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, {
        ...init,
        headers: { 'x-actor': reviewer, 'content-type': 'application/json', ...(init.headers ?? {}) },
      });
      return response;
    };

    beforeEach(async () => {
      const handler = createReviewHttpHandler(review);
      server = createServer((req, res) => handler(req, res, { id: String(req.headers['x-actor']) }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('lists, shows, serves photos and records a decision with the authenticated reviewer id', async () => {
      const { held } = await heldRenewal(await jp2CardPhoto());
      const list = await request('/review/api/cases?status=held');
      expect(list.status).toBe(200);
      expect(list.headers.get('cache-control')).toBe('no-store');
      expect(((await list.json()) as { cases: { caseId: string }[] }).cases.map((c) => c.caseId)).toEqual([
        held,
      ]);

      const record = (await (await request(`/review/api/cases/${held}`)).json()) as {
        holder: unknown;
        photos: { card: { photoId: string } };
      };
      expect(record.holder).toEqual(holderA);
      const photo = await request(`/review/api/cases/${held}/photos/${record.photos.card.photoId}`);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/png');
      expect(photo.headers.get('cache-control')).toBe('no-store');
      expect(new Uint8Array(await photo.arrayBuffer()).subarray(1, 4)).toEqual(
        new TextEncoder().encode('PNG'),
      );
      expect((await request(`/review/api/cases/${held}/photos/${'0'.repeat(32)}`)).status).toBe(404);

      const decided = await request(`/review/api/cases/${held}/decision`, {
        method: 'POST',
        // A reviewer id in the body is refused: the actor comes from the mount point.
        body: JSON.stringify({ decision: 'reject', reason: 'different person', reviewerId: 'someone-else' }),
      });
      expect(decided.status).toBe(400);
      const ok = await request(`/review/api/cases/${held}/decision`, {
        method: 'POST',
        body: JSON.stringify({ decision: 'reject', reason: 'different person' }),
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ status: 'rejected' });
      expect((await review.record(held)).review?.reviewerId).toBe(reviewer);
      const again = await request(`/review/api/cases/${held}/decision`, {
        method: 'POST',
        body: JSON.stringify({ decision: 'approve', reason: 'changed my mind' }),
      });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string } }).error.code).toBe('WRONG_STATE');
      expect((await request('/review/api/cases/w1-unknown')).status).toBe(404);
      expect((await request('/review/api/cases', { method: 'POST', body: '{}' })).status).toBe(405);
    });
  });
});
