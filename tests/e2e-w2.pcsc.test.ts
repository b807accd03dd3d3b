import { createHash } from 'node:crypto';
import type { Persona, VirtualMyNumberCard } from '@mynakit/testkit';
import type { SampleNumber } from '@mynakit/testkit/environment';
import type { BoothProgress, BoothResult } from '@mynakit/workflows/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  booth,
  boothInput,
  closePhotoEngine,
  DATABASES,
  decide,
  type E2e,
  expectNoPersonalDataInLogs,
  freshPersona,
  issueCard,
  type Json,
  personPhotos,
  receptionRecord,
  sameHolderOtherCard,
  startE2e,
  withCard,
} from './support/e2e.js';

/*
 * W2 (registration of a face photo for government services) end to end: a virtual card in pcscd's reader (vpcd port
 * 35963), the BoothClient, the reference server with its real face pool on SQLite and PostgreSQL, the mock J-LIS and
 * the mock administrative server. Rules proven elsewhere:
 * - "Every state change is durable…; a crash resumes…": tests/crash-w1.test.ts and tests/crash-w3.test.ts (SIGKILL);
 *   here a resent registration request registers the photo once.
 * - "Every decision keeps its evidence", retention and the update-script rule: tests/e2e-w1.pcsc.test.ts.
 * - "Reception numbers…": tests/e2e-w3.pcsc.test.ts.
 */

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** A capture time in the past, to the millisecond, so the test sees it is the camera's and not the server's. */
const capturedAtOf = (minutesAgo: number) =>
  new Date(Math.floor(Date.now() / 1000) * 1000 - minutesAgo * 60_000);

describe.each(DATABASES)('W2 photo registration at a booth over pcscd (%s)', (kind) => {
  let e2e: E2e;
  const personas: Persona[] = [];

  beforeAll(async () => {
    e2e = await startE2e(kind, 'w2');
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
    await closePhotoEngine();
  });

  async function register(
    persona: Persona,
    virtual: VirtualMyNumberCard,
    face: SampleNumber,
    capturedAt = capturedAtOf(1),
  ) {
    return withCard(virtual, async (card) => {
      const b = booth(e2e, card, (await personPhotos(face)).live, { capturedAt });
      const result = await b.client.register(boothInput(persona));
      return { result, events: b.events, capturedAt };
    });
  }

  describe('a registration whose certificate is valid and whose face matches', () => {
    const persona = freshPersona('taro');
    personas.push(persona);
    let virtual: VirtualMyNumberCard;
    let result: BoothResult;
    let events: BoothProgress[];
    let capturedAt: Date;
    let record: Json;

    beforeAll(async () => {
      virtual = await issueCard(e2e, persona, 1);
      ({ result, events, capturedAt } = await register(persona, virtual, 1, capturedAtOf(7)));
      record = await receptionRecord(e2e, result.caseId);
    }, 120_000);

    it('W2.1 the booth sends the card data, the photo and its capture date-time as the registration request', () => {
      expect(result.outcome).toBe('completed');
      expect(events.map((e) => e.step).slice(0, 3)).toEqual(['reading-card', 'capturing', 'submitting']);
      expect(record.workflow).toBe('w2-registration');
      expect(record.capturedAt).toBe(capturedAt.toISOString());
      expect(record.holder).toMatchObject({ name: persona.name, birthDate: persona.birthDate });
      expect(record.photos.card.photoId).toBeTruthy();
    });

    it('W2.2 the server checks the certificate with J-LIS and compares the photo with the card face photo', () => {
      expect(record.certificateCheck.valid).toBe(true);
      expect(record.faceCheck.outcome).toBe('match');
      expect(record.faceCheck.decision.scores.card).toBeGreaterThanOrEqual(
        record.faceCheck.decision.thresholds.card,
      );
      const types: string[] = record.audit.map((a: { type: string }) => a.type);
      expect(types.indexOf('faces-compared')).toBeGreaterThan(types.indexOf('certificate-checked'));
    });

    it('W2.3 the photo is registered at the administrative server with its capture time', async () => {
      const live = (await personPhotos(1)).live;
      expect(record.registrationId).toBeTruthy();
      const registered = e2e.env.adminServer
        .registrations()
        .filter((r) => r.registrationId === record.registrationId);
      expect(registered).toHaveLength(1);
      expect(registered[0]).toMatchObject({
        capturedAt: capturedAt.toISOString(),
        mediaType: 'image/jpeg',
        photoSha256: sha256(live),
      });
      // Registered once, with the photo's bytes, under a pseudonymous key (no name).
      const photos = e2e.env.adminServer.photosOf(registered[0]!.personKey);
      expect(photos.map((p) => p.photo)).toEqual([live]);
      expect(registered[0]!.personKey.includes(persona.name)).toBe(false);
    });

    it('W2.4 the photo is kept as a registered photo and a later registration is compared with it', async () => {
      expect(record.historyJoined).toBe(true);
      const second = await register(persona, virtual, 1);
      expect(second.result.outcome).toBe('completed');
      const later = await receptionRecord(e2e, second.result.caseId);
      expect(later.photos.history).toHaveLength(1);
      expect(later.photos.history[0].photoId).toBe(record.photos.live.photoId);
      expect(later.photos.history[0].score).toBeGreaterThan(0.9);
      expect(later.faceCheck.decision.scores.history).toBeGreaterThan(0.9);
    }, 60_000);
  });

  it('W2.2 a revoked certificate stops the registration: nothing reaches the administrative server', async () => {
    const persona = freshPersona('hanako');
    personas.push(persona);
    const virtual = await issueCard(e2e, persona, 2);
    const { X509Certificate } = await import('node:crypto');
    const serial = new X509Certificate(virtual.certificates.auth).serialNumber;
    const control = await fetch(new URL('control/revoke', e2e.env.jlisServer.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'auth', serial, reason: 'keyCompromise' }),
    });
    expect(control.status).toBeLessThan(300);
    const before = e2e.env.adminServer.registrations().length;
    const { result } = await register(persona, virtual, 2);
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'certificate-invalid' });
    expect(e2e.env.adminServer.registrations().length).toBe(before);
  }, 60_000);

  it('W2.2 a photo of another person stops the registration: nothing reaches the administrative server', async () => {
    const persona = freshPersona('taro');
    personas.push(persona);
    const virtual = await issueCard(e2e, persona, 3);
    const before = e2e.env.adminServer.registrations().length;
    const { result } = await register(persona, virtual, 4);
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'face-no-match' });
    expect(e2e.env.adminServer.registrations().length).toBe(before);
  }, 60_000);

  describe('a similarity-delta hold against the registered photos', () => {
    const persona = freshPersona('hanako');
    personas.push(persona);
    let virtual: VirtualMyNumberCard;

    beforeAll(async () => {
      // A registered photo of this card holder (same name and birth date) made with an earlier card: person 2.
      const earlier = await issueCard(e2e, sameHolderOtherCard(persona), 2);
      const seeded = await register(persona, earlier, 2);
      expect(seeded.result.outcome).toBe('completed');
      // The current card and the applicant are person 5: a match with the card, not with the registered photo.
      virtual = await issueCard(e2e, persona, 5);
    }, 120_000);

    /** Registers, waits for the hold, lets the municipality decide, and returns what the booth saw. */
    async function heldThen(decision: 'approve' | 'reject') {
      const capturedAt = capturedAtOf(3);
      return withCard(virtual, async (card) => {
        const b = booth(e2e, card, (await personPhotos(5)).live, { capturedAt });
        const running = b.client.register(boothInput(persona));
        running.catch(() => undefined);
        for (let i = 0; i < 600 && !b.events.some((e) => e.step === 'held-for-review'); i++)
          await new Promise((resolve) => setTimeout(resolve, 50));
        const caseId = b.events.find((e) => e.step === 'held-for-review')!.caseId!;
        const held = await receptionRecord(e2e, caseId);
        const registrationsWhileHeld = e2e.env.adminServer.registrations().length;
        const decided = await decide(e2e, caseId, decision, `reviewed at the counter: ${decision}`);
        return { caseId, held, registrationsWhileHeld, decided, outcome: await running, capturedAt };
      });
    }

    it('W2.5 a similarity-delta hold goes to the municipality; on rejection nothing is registered', async () => {
      const before = e2e.env.adminServer.registrations().length;
      const run = await heldThen('reject');
      expect(run.held.status).toBe('held');
      expect(run.held.faceCheck.decision.firedRules).toContain('similarity-delta');
      expect(run.held.photos.history).toHaveLength(1);
      expect(run.registrationsWhileHeld).toBe(before);
      expect(run.decided).toMatchObject({ status: 200, json: { status: 'rejected' } });
      expect(run.outcome).toMatchObject({ outcome: 'rejected', reason: 'review-rejected' });
      expect(e2e.env.adminServer.registrations().length).toBe(before);
      const record = await receptionRecord(e2e, run.caseId);
      expect(record.review).toMatchObject({ reviewerId: 'municipality-1', decision: 'reject' });
    }, 90_000);

    it('W2.5 a similarity-delta hold goes to the municipality and proceeds on approval', async () => {
      const before = e2e.env.adminServer.registrations().length;
      const run = await heldThen('approve');
      expect(run.held.status).toBe('held');
      expect(run.held.faceCheck.outcome).toBe('hold');
      expect(run.registrationsWhileHeld).toBe(before);
      expect(run.decided.status).toBe(200);
      expect(run.outcome).toEqual({ outcome: 'completed', caseId: run.caseId });
      const added = e2e.env.adminServer.registrations().slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]!.capturedAt).toBe(run.capturedAt.toISOString());
    }, 90_000);
  });

  describe('W2.3 alternative: the server keeps the registered photo itself (w2 mode local)', () => {
    let local: E2e;
    beforeAll(async () => {
      local = await startE2e(kind, 'w2local', { w2Mode: 'local' });
    }, 120_000);
    afterAll(async () => {
      await local?.close();
    });

    it('W2.3 in local mode the photo becomes the server’s registered photo and nothing is sent to the administrative server', async () => {
      const persona = freshPersona('taro');
      personas.push(persona);
      const virtual = await local.env.jlis.issueCard(persona, { facePhoto: (await personPhotos(6)).card });
      const capturedAt = capturedAtOf(2);
      const run = async () =>
        withCard(virtual, async (card) =>
          booth(local, card, (await personPhotos(6)).live, { capturedAt }).client.register(
            boothInput(persona),
          ),
        );
      const first = await run();
      expect(first.outcome).toBe('completed');
      expect(local.env.adminServer.registrations()).toHaveLength(0);
      const record = await receptionRecord(local, first.caseId);
      expect(record.historyJoined).toBe(true);
      expect(record.capturedAt).toBe(capturedAt.toISOString());
      // The stored registered photo is what the next registration is compared with.
      const second = await run();
      const later = await receptionRecord(local, second.caseId);
      expect(later.photos.history.map((h: { photoId: string }) => h.photoId)).toEqual([
        record.photos.live.photoId,
      ]);
      expectNoPersonalDataInLogs(local.logs, persona);
    }, 90_000);
  });

  it('Rule: a state change is acknowledged once: a resent registration request is one case and registers the photo once', async () => {
    const persona = freshPersona('taro');
    personas.push(persona);
    const virtual = await issueCard(e2e, persona, 4);
    const before = e2e.env.adminServer.registrations().length;
    const capturedAt = capturedAtOf(5);
    const idempotencyKey = `registration-${persona.id}`;
    const send = () =>
      withCard(virtual, async (card) =>
        booth(e2e, card, (await personPhotos(4)).live, { capturedAt }).client.register({
          ...boothInput(persona),
          idempotencyKey,
        }),
      );
    const first = await send();
    // The booth lost the answer and sends the same request again (same key, same card, same photo).
    const again = await send();
    expect(first.outcome).toBe('completed');
    expect(again).toEqual(first);
    expect(e2e.env.adminServer.registrations().length - before).toBe(1);
  }, 60_000);

  it('Rule: no PIN, My Number or name of any registrant reaches the server log', async () => {
    for (const persona of personas) expectNoPersonalDataInLogs(e2e.logs, persona);
    // The reviewer's API needs the municipality key; a booth gets nothing personal.
    expect((await api(e2e, 'booth', '/review/api/cases?status=all')).status).toBe(403);
  });
});
