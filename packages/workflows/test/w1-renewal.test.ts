import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHolder } from '../src/checks/booth-application.js';
import { CaseServiceError } from '../src/checks/errors.js';
import type { EffectHandlers } from '../src/engine/runtime.js';
import { RenewalService, w1EffectHandlers } from '../src/w1/renewal-service.js';
import { renewalWorkflow, type W1State } from '../src/w1/w1-workflow.js';
import { BoothBed, boothRequest, holderA } from './support/booth-fakes.js';

const booth = 'booth-shibuya-01';
const otherBooth = 'booth-umeda-07';
const key = (n: number) => `idem-key-000${n}`;
const answers = [
  { sw: 0x9000, data: '' },
  { sw: 0x9000, data: 'AQI=' },
  { sw: 0x9000, data: 'AwQ=' },
];

describe('W1 renewal at a photo booth (server side)', () => {
  let bed: BoothBed;
  let service: RenewalService;
  let handlers: EffectHandlers;

  const stateOf = async (caseId: string) => (await bed.runtime.getCase(caseId))?.state as W1State;
  /** An application of holder A: card photo at 0°, live photo at `liveAngle`. */
  const apply = (n: number, options: { card?: Uint8Array; live?: Uint8Array } = {}) =>
    service.apply(
      booth,
      key(n),
      boothRequest({
        card: options.card ?? bed.faces.photo(0),
        live: options.live ?? bed.faces.photo(5),
        capturedAt: bed.now.toISOString(),
      }),
    );
  /** Runs a case to `completed` (the booth relays the script and posts the answers). */
  const complete = async (caseId: string) => {
    await bed.drain(handlers);
    const waiting = await service.status(booth, caseId);
    expect(waiting.status).toBe('awaiting-card');
    await service.submitCardAnswers(booth, caseId, { scriptId: waiting.updateScript!.scriptId, answers });
    await bed.drain(handlers);
    return service.status(booth, caseId);
  };

  beforeEach(async () => {
    bed = await BoothBed.create();
    service = new RenewalService({
      ...bed.serviceOptions(),
      reviewTimeoutMs: 7 * 24 * 3600_000,
      boothTimeoutMs: 30 * 60_000,
    });
    handlers = w1EffectHandlers({
      ...bed.checkPorts(),
      renewal: bed.renewal,
      maxHistoryPhotos: 3,
    }) as EffectHandlers;
  });
  afterEach(() => bed.close());

  it('W1.1–W1.4, W1.8: valid certificate and matching face → renewal data to the booth → card answers → completed', async () => {
    const applied = await apply(1);
    expect(applied).toMatchObject({ status: 'received', final: false });
    expect(applied.caseId).toMatch(/^w1-[A-Za-z0-9_-]{43}$/);

    await bed.drain(handlers);
    const waiting = await service.status(booth, applied.caseId);
    expect(waiting.status).toBe('awaiting-card');
    expect(waiting.updateScript?.format).toBe('mynakit-update-script/1');
    // The certificates reached J-LIS's check as the booth sent them (sealed in between).
    expect(new TextDecoder().decode(bed.certificates.seen[0]!.auth)).toBe('auth-der');

    const done = await complete(applied.caseId);
    expect(done).toMatchObject({ status: 'completed', final: true });
    expect(done.updateScript).toBeUndefined();
    expect(bed.renewal.renewals).toBe(1);
    expect(bed.renewal.confirmKeys).toHaveLength(1);

    // Evidence: every check with its result, thresholds and time.
    const state = await stateOf(applied.caseId);
    expect(state.evidence.map((e) => `${e.from}→${e.to}`)).toEqual([
      'received→received',
      'received→face-checking',
      'face-checking→renewal-requested',
      'renewal-requested→awaiting-card',
      'awaiting-card→confirming',
      'confirming→completed',
    ]);
    expect(state.certificateCheck?.valid).toBe(true);
    expect(state.faceCheck?.result.decision?.thresholds.card).toBe(0.6);
    expect(state.confirmation).toEqual({ activated: true, revoked: ['0A1B2C'] });
  });

  it('W1.4: renewal is requested only when the certificate is valid and the face matched', async () => {
    bed.certificates.valid = false;
    const revoked = await apply(1);
    await bed.drain(handlers);
    expect(await service.status(booth, revoked.caseId)).toMatchObject({
      status: 'rejected',
      reason: 'certificate-invalid',
      reasonDetail: 'CERTIFICATE_REVOKED',
    });
    expect(bed.faces.calls).toHaveLength(0); // no face check on an invalid certificate

    bed.certificates.valid = true;
    const impostor = await apply(2, { live: bed.faces.photo(80) }); // cos 80° ≈ 0.17 < 0.6
    await bed.drain(handlers);
    expect(await service.status(booth, impostor.caseId)).toMatchObject({
      status: 'rejected',
      reason: 'face-no-match',
    });
    expect((await stateOf(impostor.caseId)).faceCheck?.result.decision?.firedRules).toEqual([
      'card-threshold',
    ]);

    const blurred = await apply(3, { live: bed.faces.unusablePhoto() });
    await bed.drain(handlers);
    expect(await service.status(booth, blurred.caseId)).toMatchObject({
      status: 'rejected',
      reason: 'photo-unusable',
      reasonDetail: 'NO_FACE',
    });

    expect(bed.renewal.requestKeys).toHaveLength(0);
  });

  it('W1.6: the face check also compares with the history photos; a confident match joins the history', async () => {
    const first = await apply(1);
    expect((await complete(first.caseId)).status).toBe('completed');
    expect(bed.faces.calls[0]?.historyCount).toBe(0);
    const state = await stateOf(first.caseId);
    expect(state.historyJoined).toBe(true);
    expect(await bed.history.list(state.personKey, { kind: 'booth' })).toEqual([
      expect.objectContaining({ photoId: state.livePhotoId, caseId: first.caseId }),
    ]);

    bed.advance(3600_000);
    const second = await apply(2, { live: bed.faces.photo(3) });
    await bed.drain(handlers);
    expect(bed.faces.calls[1]?.historyCount).toBe(1);
    const secondState = await stateOf(second.caseId);
    expect(secondState.personKey).toBe(state.personKey);
    expect(secondState.faceCheck?.historyPhotoIds).toEqual([state.livePhotoId]);
    expect(secondState.faceCheck?.result.decision?.scores.history).toBeCloseTo(
      Math.cos((2 * Math.PI) / 180),
      6,
    );
  });

  it('W1.6: a borderline match completes but does not join the history (anti-poisoning)', async () => {
    // cos 50° ≈ 0.643: above the 0.6 card threshold, below threshold + 0.05 join margin.
    const borderline = await apply(1, { live: bed.faces.photo(50) });
    expect((await complete(borderline.caseId)).status).toBe('completed');
    const state = await stateOf(borderline.caseId);
    expect(state.historyJoined).toBe(false);
    expect(await bed.history.list(state.personKey)).toEqual([]);
  });

  it('W1.7: similarity-delta hold goes to a reviewer; renewal only after approval, with reviewer id and reason kept', async () => {
    const genuine = await apply(1);
    await complete(genuine.caseId); // the holder's own photo (5°) is now history
    // A forged card with the attacker's photo (60°) and the attacker live (62°): card score ≈ 1, history ≈ cos 57°.
    const attack = await apply(2, { card: bed.faces.photo(60), live: bed.faces.photo(62) });
    await bed.drain(handlers);
    expect(await service.status(booth, attack.caseId)).toMatchObject({ status: 'held', final: false });
    const held = await stateOf(attack.caseId);
    expect(held.faceCheck?.result.outcome).toBe('hold');
    expect(held.faceCheck?.result.decision?.firedRules).toContain('similarity-delta');
    expect(bed.renewal.renewals).toBe(1); // only the genuine one

    await bed.runtime.dispatch(attack.caseId, {
      type: 'review-decided',
      reviewerId: 'reviewer-chiyoda-3',
      decision: 'approve',
      reason: 'compared with the resident register photo',
    });
    await bed.drain(handlers);
    expect((await service.status(booth, attack.caseId)).status).toBe('awaiting-card');
    expect(bed.renewal.renewals).toBe(2);
    const approved = await stateOf(attack.caseId);
    expect(approved.review).toMatchObject({
      reviewerId: 'reviewer-chiyoda-3',
      decision: 'approve',
      reason: 'compared with the resident register photo',
      at: bed.now.toISOString(),
    });
    expect(approved.evidence.find((e) => e.review !== undefined)?.to).toBe('renewal-requested');
    // An approved capture joins the history after completion (shouldJoinHistory with approval).
    expect((await complete(attack.caseId)).status).toBe('completed');
    expect((await stateOf(attack.caseId)).historyJoined).toBe(true);
  });

  it('W1.7: a reviewer rejection ends the case; an unanswered hold expires at the review deadline', async () => {
    await complete((await apply(1)).caseId);
    const rejected = await apply(2, { card: bed.faces.photo(60), live: bed.faces.photo(62) });
    const expiring = await apply(3, { card: bed.faces.photo(61), live: bed.faces.photo(63) });
    await bed.drain(handlers);
    await bed.runtime.dispatch(rejected.caseId, {
      type: 'review-decided',
      reviewerId: 'reviewer-chiyoda-3',
      decision: 'reject',
      reason: 'not the same person',
    });
    expect(await service.status(booth, rejected.caseId)).toMatchObject({
      status: 'rejected',
      reason: 'review-rejected',
    });

    bed.advance(7 * 24 * 3600_000);
    await bed.runtime.runTimersOnce();
    expect(await service.status(booth, expiring.caseId)).toMatchObject({
      status: 'expired',
      reason: 'review-timeout',
    });
    // The rejected case's review timer was cancelled: its state stays as it was.
    expect((await service.status(booth, rejected.caseId)).status).toBe('rejected');
    expect(bed.renewal.renewals).toBe(1);
  });

  it('a retried POST with the same Idempotency-Key gives the same case; another body is IDEMPOTENCY_CONFLICT', async () => {
    const card = bed.faces.photo(0);
    const live = bed.faces.photo(5);
    const body = boothRequest({ card, live, capturedAt: bed.now.toISOString() });
    const first = await service.apply(booth, key(1), body);
    const retried = await service.apply(booth, key(1), body);
    expect(retried.caseId).toBe(first.caseId);
    // The same key from another booth is another case.
    expect((await service.apply(otherBooth, key(1), body)).caseId).not.toBe(first.caseId);
    const changed = boothRequest({
      card,
      live: bed.faces.photo(6),
      capturedAt: bed.now.toISOString(),
    });
    await expect(service.apply(booth, key(1), changed)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    await bed.drain(handlers);
    expect(bed.certificates.seen).toHaveLength(2); // one check per case, none for the retry
  });

  it('only the applying booth may read its case or answer for it', async () => {
    const applied = await apply(1);
    await bed.drain(handlers);
    await expect(service.status(otherBooth, applied.caseId)).rejects.toMatchObject({
      code: 'CASE_NOT_FOUND',
    });
    await expect(service.status(booth, 'w1-unknown-case')).rejects.toMatchObject({ code: 'CASE_NOT_FOUND' });
    const scriptId = (await service.status(booth, applied.caseId)).updateScript!.scriptId;
    await expect(
      service.submitCardAnswers(otherBooth, applied.caseId, { scriptId, answers }),
    ).rejects.toBeInstanceOf(CaseServiceError);
    expect((await service.status(booth, applied.caseId)).status).toBe('awaiting-card');
  });

  it('W1.8: answers for another script are refused; a retried answer post reports the current status', async () => {
    const applied = await apply(1);
    await bed.drain(handlers);
    const scriptId = (await service.status(booth, applied.caseId)).updateScript!.scriptId;
    await expect(
      service.submitCardAnswers(booth, applied.caseId, { scriptId: 'F'.repeat(32), answers }),
    ).rejects.toMatchObject({ code: 'SCRIPT_MISMATCH' });
    expect((await service.submitCardAnswers(booth, applied.caseId, { scriptId, answers })).status).toBe(
      'confirming',
    );
    expect((await service.submitCardAnswers(booth, applied.caseId, { scriptId, answers })).status).toBe(
      'confirming',
    );
    await bed.drain(handlers);
    expect(bed.renewal.confirmKeys).toHaveLength(1);
  });

  it('the booth deadline expires a case waiting for the card; late answers are refused', async () => {
    const applied = await apply(1);
    await bed.drain(handlers);
    const scriptId = (await service.status(booth, applied.caseId)).updateScript!.scriptId;
    bed.advance(30 * 60_000);
    await bed.runtime.runTimersOnce();
    expect(await service.status(booth, applied.caseId)).toMatchObject({
      status: 'expired',
      reason: 'card-timeout',
    });
    await expect(
      service.submitCardAnswers(booth, applied.caseId, { scriptId, answers }),
    ).rejects.toMatchObject({
      code: 'WRONG_STATE',
    });
    expect(bed.renewal.confirmKeys).toHaveLength(0);
  });

  it('a renewal J-LIS does not activate fails the case and adds no history photo', async () => {
    bed.renewal.activate = false;
    const applied = await apply(1);
    expect(await complete(applied.caseId)).toMatchObject({
      status: 'failed',
      reason: 'not-activated',
      reasonDetail: 'ACTIVATION_RECEIPT_INVALID',
    });
    expect(await bed.history.list((await stateOf(applied.caseId)).personKey)).toEqual([]);
  });

  it('every effect runs once after a crash re-run (same idempotency key)', async () => {
    // Each handler does its remote work, then the worker "dies" before the result is fed back (once per effect).
    const crashed = new Set<string>();
    const crashing: EffectHandlers = Object.fromEntries(
      Object.entries(handlers).map(([type, handler]) => [
        type,
        async (effect: never, context: Parameters<NonNullable<typeof handler>>[1]) => {
          const outcome = await handler!(effect, context);
          if (!crashed.has(type)) {
            crashed.add(type);
            throw new Error('worker crashed');
          }
          return outcome;
        },
      ]),
    );
    const runAll = async () => {
      for (let i = 0; i < 20; i++) {
        await bed.runtime.runOutboxOnce(crashing);
        bed.advance(60_000); // past the retry delay
      }
    };
    const first = await apply(1);
    await runAll();
    const scriptId = (await service.status(booth, first.caseId)).updateScript!.scriptId;
    await service.submitCardAnswers(booth, first.caseId, { scriptId, answers });
    await runAll();
    expect((await service.status(booth, first.caseId)).status).toBe('completed');

    // Both J-LIS calls ran twice with one key each: one renewal, one confirmation at the remote side.
    expect(bed.renewal.requestKeys).toHaveLength(2);
    expect(new Set(bed.renewal.requestKeys)).toEqual(new Set([`${first.caseId}:request-renewal`]));
    expect(bed.renewal.renewals).toBe(1);
    expect(new Set(bed.renewal.confirmKeys)).toEqual(new Set([`${first.caseId}:confirm-renewal`]));
    expect(bed.renewal.confirmations.size).toBe(1);
    // The history photo was added once, though its effect ran twice.
    expect(await bed.history.list((await stateOf(first.caseId)).personKey)).toHaveLength(1);
    // Every step happened once in the case.
    const steps = (await stateOf(first.caseId)).evidence.map((e) => e.to);
    expect(steps).toEqual([
      'received',
      'face-checking',
      'renewal-requested',
      'awaiting-card',
      'confirming',
      'completed',
    ]);
  });

  it('events that do not fit the state are no-ops (at-least-once feedback)', async () => {
    const applied = await apply(1);
    await bed.drain(handlers);
    const before = await stateOf(applied.caseId);
    expect(before.status).toBe('awaiting-card');
    const replayed = (await bed.runtime.events(applied.caseId)).map((e) => e.event as { type: string });
    for (const event of replayed.filter((e) => e.type !== '@start'))
      await bed.runtime.dispatch(applied.caseId, event);
    await bed.runtime.dispatch(applied.caseId, { type: 'review-timeout' });
    expect(await stateOf(applied.caseId)).toEqual(before);
    expect((await bed.runtime.runOutboxOnce(handlers)).claimed).toBe(0);
  });

  it('no personal data in the stored state, the event log or errors; the basic four open only with the keyring', async () => {
    const applied = await apply(1);
    await bed.drain(handlers);
    const stored = JSON.stringify([await stateOf(applied.caseId), await bed.runtime.events(applied.caseId)]);
    for (const value of [holderA.name, holderA.address, holderA.birthDate, 'auth-der', 'sign-der']) {
      expect(stored).not.toContain(value);
    }
    const state = await stateOf(applied.caseId);
    expect(await openHolder(bed.keyring, renewalWorkflow.name, applied.caseId, state.holderSealed)).toEqual(
      holderA,
    );
    // Sealed for this case only: another case id does not open it.
    await expect(
      openHolder(bed.keyring, renewalWorkflow.name, 'w1-other', state.holderSealed),
    ).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
    });
    // The photos are in the encrypted store; the state keeps their ids.
    expect((await bed.photos.get(state.livePhotoId))?.metadata.kind).toBe('live');
    const error = await service.status(otherBooth, applied.caseId).catch((e: unknown) => e);
    expect(JSON.stringify(error) + String(error)).not.toContain(holderA.name);
  });
});
