import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EffectHandlers } from '../src/engine/runtime.js';
import { RegistrationService, w2EffectHandlers } from '../src/w2/registration-service.js';
import type { W2State } from '../src/w2/w2-workflow.js';
import { BoothBed, boothRequest } from './support/booth-fakes.js';

const booth = 'booth-namba-02';
const capturedAt = '2026-05-01T08:59:30.000Z';

describe('W2 face-photo registration (server side)', () => {
  let bed: BoothBed;
  let service: RegistrationService;
  let handlers: EffectHandlers;

  const stateOf = async (caseId: string) => (await bed.runtime.getCase(caseId))?.state as W2State;
  const register = (n: number, options: { card?: Uint8Array; live?: Uint8Array } = {}) =>
    service.apply(
      booth,
      `registration-${n}`,
      boothRequest({
        card: options.card ?? bed.faces.photo(0),
        live: options.live ?? bed.faces.photo(4),
        capturedAt,
      }),
    );
  const adminHandlers = () =>
    w2EffectHandlers({
      mode: 'admin-server',
      admin: bed.admin,
      ...bed.checkPorts(),
    }) as EffectHandlers;

  beforeEach(async () => {
    bed = await BoothBed.create();
    service = new RegistrationService(bed.serviceOptions());
    handlers = adminHandlers();
  });
  afterEach(() => bed.close());

  it('W2.1: the registration request must carry the capture date-time', async () => {
    const { capturedAt: _, ...withoutTime } = boothRequest({
      card: bed.faces.photo(0),
      live: bed.faces.photo(4),
      capturedAt,
    });
    await expect(service.apply(booth, 'registration-1', withoutTime as never)).rejects.toThrow();
    expect(await bed.runtime.getCase('w2-anything')).toBeNull();
  });

  it('W2.2–W2.3: after both checks pass the photo goes to the administrative server with its capture date-time', async () => {
    const applied = await register(1);
    await bed.drain(handlers);
    expect(await service.status(booth, applied.caseId)).toMatchObject({ status: 'completed', final: true });
    const state = await stateOf(applied.caseId);
    expect(bed.admin.calls).toEqual([
      {
        personKey: state.personKey,
        capturedAt,
        mediaType: 'image/jpeg',
        idempotencyKey: `${applied.caseId}:register-photo`,
        bytes: 48,
      },
    ]);
    expect(state.registrationId).toBe('reg-1');
    expect(state.evidence.map((e) => e.to)).toEqual([
      'received',
      'face-checking',
      'registering',
      'completed',
    ]);
  });

  it('W2.2: an invalid certificate or a face mismatch registers nothing', async () => {
    bed.certificates.valid = false;
    const revoked = await register(1);
    await bed.drain(handlers);
    expect(await service.status(booth, revoked.caseId)).toMatchObject({
      status: 'rejected',
      reason: 'certificate-invalid',
    });
    bed.certificates.valid = true;
    const mismatch = await register(2, { live: bed.faces.photo(90) });
    await bed.drain(handlers);
    expect(await service.status(booth, mismatch.caseId)).toMatchObject({
      status: 'rejected',
      reason: 'face-no-match',
    });
    expect(bed.admin.calls).toHaveLength(0);
    expect(await bed.history.list((await stateOf(mismatch.caseId)).personKey)).toEqual([]);
  });

  it('W2.4: the sent photo becomes a registered photo; a later registration compares with it', async () => {
    const first = await register(1);
    await bed.drain(handlers);
    const state = await stateOf(first.caseId);
    expect(await bed.history.list(state.personKey, { kind: 'registered' })).toEqual([
      expect.objectContaining({ photoId: state.livePhotoId, capturedAt, caseId: first.caseId }),
    ]);
    expect(await bed.history.list(state.personKey, { kind: 'booth' })).toEqual([]);

    const second = await register(2, { live: bed.faces.photo(2) });
    await bed.drain(handlers);
    expect(bed.faces.calls.map((c) => c.historyCount)).toEqual([0, 1]);
    expect((await stateOf(second.caseId)).faceCheck?.historyPhotoIds).toEqual([state.livePhotoId]);
  });

  it('W2.5: the similarity-delta hold applies with the registered photos as history', async () => {
    await register(1);
    await bed.drain(handlers);
    const attack = await register(2, { card: bed.faces.photo(60), live: bed.faces.photo(61) });
    await bed.drain(handlers);
    expect((await service.status(booth, attack.caseId)).status).toBe('held');
    expect((await stateOf(attack.caseId)).faceCheck?.result.decision?.firedRules).toEqual([
      'similarity-delta',
    ]);
    expect(bed.admin.calls).toHaveLength(1);

    await bed.runtime.dispatch(attack.caseId, {
      type: 'review-decided',
      reviewerId: 'reviewer-naniwa-1',
      decision: 'approve',
      reason: 'renewed card photo, same person',
    });
    await bed.drain(handlers);
    expect((await service.status(booth, attack.caseId)).status).toBe('completed');
    expect(bed.admin.calls).toHaveLength(2);
  });

  it('W2.3 (local mode): the server keeps the registered photo itself and sends nothing', async () => {
    const local = w2EffectHandlers({
      mode: 'local',
      ...bed.checkPorts(),
    }) as EffectHandlers;
    const applied = await register(1);
    await bed.drain(local);
    const state = await stateOf(applied.caseId);
    expect(state.status).toBe('completed');
    expect(state.registrationId).toBeNull();
    expect(bed.admin.calls).toHaveLength(0);
    expect(await bed.history.list(state.personKey, { kind: 'registered' })).toHaveLength(1);
  });

  it('W2.3: every effect runs once after a crash re-run (same idempotency key): one registration', async () => {
    let crashes = 0;
    const crashing: EffectHandlers = {
      ...handlers,
      'register-photo': async (effect, context) => {
        const outcome = await handlers['register-photo']!(effect as never, context);
        if (crashes++ === 0) throw new Error('worker crashed');
        return outcome;
      },
    };
    const applied = await register(1);
    for (let i = 0; i < 10; i++) {
      await bed.runtime.runOutboxOnce(crashing);
      bed.advance(60_000);
    }
    expect((await service.status(booth, applied.caseId)).status).toBe('completed');
    expect(bed.admin.calls).toHaveLength(2);
    expect(new Set(bed.admin.calls.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(bed.admin.registered.size).toBe(1);
  });

  it('a retried POST gives the same case; only the applying booth sees it', async () => {
    const body = boothRequest({ card: bed.faces.photo(0), live: bed.faces.photo(4), capturedAt });
    const first = await service.apply(booth, 'registration-9', body);
    expect((await service.apply(booth, 'registration-9', body)).caseId).toBe(first.caseId);
    expect(first.caseId.startsWith('w2-')).toBe(true);
    await expect(service.status('booth-other-1', first.caseId)).rejects.toMatchObject({
      code: 'CASE_NOT_FOUND',
    });
  });
});
