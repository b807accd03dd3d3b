import { verify, X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CardError, hasErrorCode, type MyNumberCard } from '@mynakit/card';
import { type Persona, UPDATE_SW, type VirtualMyNumberCard } from '@mynakit/testkit';
import { updateScriptCommands, updateScriptSchema } from '@mynakit/workflows';
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
  jlisStats,
  personPhotos,
  receptionRecord,
  sameHolderOtherCard,
  serialOf,
  startE2e,
  storedText,
  withCard,
} from './support/e2e.js';
import { PullableCard } from './support/pullable-card.js';

/*
 * W1 (renewal at a photo booth) end to end: a virtual card in pcscd's reader (vpcd port 35963), the BoothClient, the
 * reference server with its real face pool on SQLite and PostgreSQL, the mock J-LIS. Rules proven elsewhere:
 * - "Every state change is durable before it is acknowledged; a crash at any point resumes without loss and without
 *   doing an external side effect twice": the SIGKILL tests tests/crash-w1.test.ts (renewal requested once) and
 *   tests/crash-w3.test.ts (a number printed once); W2's "photo registered once" on a resent request is in
 *   tests/e2e-w2.pcsc.test.ts.
 * - "Reception numbers cannot be guessed or enumerated, are single-use and expire": tests/e2e-w3.pcsc.test.ts.
 * - "My Number never reaches logs": tests/e2e-w4.pcsc.test.ts (W4.6); at rest in clear nowhere:
 *   tests/retention-purge.test.ts.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

function cardSerials(virtual: VirtualMyNumberCard) {
  const { auth, sign } = virtual.certificates;
  return { auth: serialOf(auth), sign: sign === null ? null : serialOf(sign) };
}

/** Reads both certificates from the card in the reader (the signing one needs its password). */
async function certificatesOnCard(card: MyNumberCard, persona: Persona) {
  const auth = await card.jpki.readCertificate('auth');
  await card.jpki.verifySignPassword(persona.pins.sign!);
  const sign = await card.jpki.readCertificate('sign');
  return { auth, sign };
}

describe.each(DATABASES)('W1 renewal at a photo booth over pcscd (%s)', (kind) => {
  let e2e: E2e;
  const personas: Persona[] = [];
  const caseIds: string[] = [];

  beforeAll(async () => {
    e2e = await startE2e(kind, 'w1');
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
    await closePhotoEngine();
  });

  async function renew(persona: Persona, virtual: VirtualMyNumberCard, live: Uint8Array) {
    return withCard(virtual, async (card) => {
      const b = booth(e2e, card, live);
      const result = await b.client.renew(boothInput(persona));
      caseIds.push(result.caseId);
      return { result, events: b.events };
    });
  }

  describe('a renewal whose certificate is valid and whose face matches', () => {
    const persona = freshPersona('taro');
    personas.push(persona);
    let virtual: VirtualMyNumberCard;
    let result: BoothResult;
    let events: BoothProgress[];
    let before: ReturnType<typeof cardSerials>;
    let after: { auth: Uint8Array; sign: Uint8Array };
    let signature: Uint8Array;
    let stats: { before: number; after: number; confirmed: number };
    const data = new TextEncoder().encode('login challenge after the renewal');

    beforeAll(async () => {
      virtual = await issueCard(e2e, persona, 1);
      before = cardSerials(virtual);
      const statsBefore = await jlisStats(e2e);
      await withCard(virtual, async (card) => {
        const b = booth(e2e, card, (await personPhotos(1)).live);
        result = await b.client.renew(boothInput(persona));
        events = b.events;
        caseIds.push(result.caseId);
        // What the card holds now, read back through pcscd, and a signature with its (new) auth key.
        after = await certificatesOnCard(card, persona);
        await card.jpki.verifyAuthPin(persona.pins.auth);
        signature = await card.jpki.sign('auth', data, 'SHA-256');
      });
      const statsAfter = await jlisStats(e2e);
      stats = {
        before: statsBefore.renewalRequests,
        after: statsAfter.renewalRequests,
        confirmed: statsAfter.renewalConfirmations - statsBefore.renewalConfirmations,
      };
    }, 120_000);

    it('W1.1 the booth reads the card and photographs the applicant, and sends both as the renewal application', async () => {
      expect(result.outcome).toBe('completed');
      const steps = events.map((e) => e.step);
      expect(steps.slice(0, 3)).toEqual(['reading-card', 'capturing', 'submitting']);
      const record = await receptionRecord(e2e, result.caseId);
      // The basic four from the card's 券面事項入力補助AP, the card photo from the 券面AP, and the live photo.
      expect(record.holder).toEqual({
        name: persona.name,
        address: persona.address,
        birthDate: persona.birthDate,
        sex: persona.sex,
      });
      expect(record.boothId).toBe('booth-1');
      const live = await fetch(
        new URL(`review/api/cases/${result.caseId}/photos/${record.photos.live.photoId}`, e2e.env.url),
        { headers: { authorization: `Bearer ${e2e.env.apiKeys.municipality}` } },
      );
      expect(live.status).toBe(200);
      expect(new Uint8Array(await live.arrayBuffer())).toEqual((await personPhotos(1)).live);
      const card = await fetch(
        new URL(`review/api/cases/${result.caseId}/photos/${record.photos.card.photoId}`, e2e.env.url),
        { headers: { authorization: `Bearer ${e2e.env.apiKeys.municipality}` } },
      );
      expect(card.status).toBe(200);
      // The chip's JPEG 2000, converted for the reviewer's browser.
      expect(card.headers.get('content-type')).toBe('image/png');
    });

    it('W1.2 the server asks J-LIS whether the certificate is valid', async () => {
      const record = await receptionRecord(e2e, result.caseId);
      expect(record.certificateCheck).toMatchObject({ valid: true });
      const types = record.audit.map((a: { type: string }) => a.type);
      expect(types.indexOf('certificate-checked')).toBeGreaterThan(types.indexOf('applied'));
    });

    it('W1.3 the server compares the live photo with the card face photo', async () => {
      const record = await receptionRecord(e2e, result.caseId);
      expect(record.faceCheck.outcome).toBe('match');
      expect(record.faceCheck.decision.scores.card).toBeGreaterThanOrEqual(
        record.faceCheck.decision.thresholds.card,
      );
    });

    it('W1.4 renewal is mediated only when the certificate is valid and the face matches', async () => {
      expect(result.outcome).toBe('completed');
      expect(stats.after - stats.before).toBe(1);
      const record = await receptionRecord(e2e, result.caseId);
      const types: string[] = record.audit.map((a: { type: string }) => a.type);
      // The renewal data arrived only after both checks passed, and went to the booth.
      expect(types.indexOf('renewal-received')).toBeGreaterThan(types.indexOf('faces-compared'));
      expect(types.indexOf('faces-compared')).toBeGreaterThan(types.indexOf('certificate-checked'));
      expect(events.map((e) => e.step)).toContain('writing-card');
      expect(record.renewal).toMatchObject({ activated: true });
    });

    it('W1.5 the municipality receives the reception record with both photos and their similarity', async () => {
      const listed = await api(e2e, 'municipality', '/review/api/cases?status=all&limit=500');
      expect(listed.status).toBe(200);
      const entry = listed.json.cases.find((c: { caseId: string }) => c.caseId === result.caseId);
      expect(entry).toMatchObject({ workflow: 'w1-renewal', status: 'completed', outcome: 'match' });
      expect(entry.scores.card).toBeGreaterThan(0.6);
      const record = await receptionRecord(e2e, result.caseId);
      expect(record.photos.live.photoId).toBeTruthy();
      expect(record.photos.card.photoId).toBeTruthy();
      expect(record.faceCheck.decision.scores.card).toBe(entry.scores.card);
      // Nothing personal without the municipality's key.
      expect((await api(e2e, null, `/review/api/cases/${result.caseId}`)).status).toBe(401);
      expect((await api(e2e, 'booth', `/review/api/cases/${result.caseId}`)).status).toBe(403);
    });

    it('W1.8 the booth writes the renewal data into the card: new certificates active, old ones revoked', async () => {
      const now = { auth: serialOf(after.auth), sign: serialOf(after.sign) };
      expect(now.auth).not.toBe(before.auth);
      expect(now.sign).not.toBe(before.sign);
      expect(stats.confirmed).toBe(1);
      const { jlis } = e2e.env;
      expect(jlis.holder(persona.id).authSerial).toBe(now.auth);
      expect(jlis.registries.for(jlis.cas.auth).isRevoked(before.auth)).toBe(true);
      expect(jlis.registries.for(jlis.cas.sign).isRevoked(before.sign!)).toBe(true);
      expect(jlis.registries.for(jlis.cas.auth).isRevoked(now.auth)).toBe(false);
      // The card signs with the new key: the new certificate verifies its signature.
      const key = new X509Certificate(after.auth).publicKey;
      expect(verify('sha256', data, key, signature)).toBe(true);
    });

    it('W1.6 a second application of the same person is also compared with the earlier booth photo', async () => {
      const first = await receptionRecord(e2e, result.caseId);
      expect(first.historyJoined).toBe(true);
      const second = await renew(persona, virtual, (await personPhotos(1)).live);
      expect(second.result.outcome).toBe('completed');
      const record = await receptionRecord(e2e, second.result.caseId);
      expect(record.photos.history).toHaveLength(1);
      expect(record.photos.history[0].photoId).toBe(first.photos.live.photoId);
      expect(record.photos.history[0].score).toBeGreaterThan(0.9);
      expect(record.faceCheck.decision.scores.history).toBeGreaterThan(0.9);
      // The reviewer can open the history photo the check used.
      const photo = await api(
        e2e,
        'municipality',
        `/review/api/cases/${second.result.caseId}/photos/${first.photos.live.photoId}`,
      );
      expect(photo.status).toBe(200);
    }, 60_000);
  });

  it('W1.2 a revoked certificate is refused at the certificate check and nothing is renewed', async () => {
    const persona = freshPersona('hanako');
    personas.push(persona);
    const virtual = await issueCard(e2e, persona, 2);
    e2e.env.jlis.revoke('auth', cardSerials(virtual).auth, 'keyCompromise');
    const before = await jlisStats(e2e);
    const { result } = await renew(persona, virtual, (await personPhotos(2)).live);
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'certificate-invalid' });
    const record = await receptionRecord(e2e, result.caseId);
    expect(record.certificateCheck.valid).toBe(false);
    // The face check never ran and J-LIS renewed nothing.
    expect(record.faceCheck).toBeUndefined();
    expect((await jlisStats(e2e)).renewalRequests).toBe(before.renewalRequests);
  }, 60_000);

  it('W1.3 a live photo of another person fails the face check and nothing is renewed', async () => {
    const persona = freshPersona('taro');
    personas.push(persona);
    const virtual = await issueCard(e2e, persona, 3);
    const before = await jlisStats(e2e);
    const { result } = await renew(persona, virtual, (await personPhotos(4)).live);
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'face-no-match' });
    const record = await receptionRecord(e2e, result.caseId);
    expect(record.certificateCheck.valid).toBe(true);
    expect(record.faceCheck.outcome).toBe('no-match');
    expect(record.faceCheck.decision.scores.card).toBeLessThan(record.faceCheck.decision.thresholds.card);
    expect((await jlisStats(e2e)).renewalRequests).toBe(before.renewalRequests);
  }, 60_000);

  describe('a similarity-delta hold', () => {
    const persona = freshPersona('hanako');
    personas.push(persona);
    let heldCaseId: string;
    let outcome: BoothResult;
    let events: BoothProgress[];
    let whileHeld: { renewals: number; record: Json; queue: Json };
    let decided: { status: number; json: { status: string } };
    let renewals: { before: number; after: number };

    beforeAll(async () => {
      // History: an earlier, approved-by-the-check booth photo of this card holder (same name and birth date) taken
      // with another card, e.g. before it was re-issued: person 2's face on card and camera.
      const earlierCard = await issueCard(e2e, sameHolderOtherCard(persona), 2);
      const seeded = await renew(persona, earlierCard, (await personPhotos(2)).live);
      expect(seeded.result.outcome).toBe('completed');
      expect((await receptionRecord(e2e, seeded.result.caseId)).historyJoined).toBe(true);

      // Now the card shows person 5 and person 5 stands in the booth: a match with the card, not with the history.
      const virtual = await issueCard(e2e, persona, 5);
      const before = (await jlisStats(e2e)).renewalRequests;
      await withCard(virtual, async (card) => {
        const b = booth(e2e, card, (await personPhotos(5)).live);
        events = b.events;
        const running = b.client.renew(boothInput(persona));
        running.catch(() => undefined);
        for (let i = 0; i < 600 && !events.some((e) => e.step === 'held-for-review'); i++)
          await new Promise((resolve) => setTimeout(resolve, 50));
        heldCaseId = events.find((e) => e.step === 'held-for-review')!.caseId!;
        whileHeld = {
          renewals: (await jlisStats(e2e)).renewalRequests - before,
          record: await receptionRecord(e2e, heldCaseId),
          queue: (await api(e2e, 'municipality', '/review/api/cases?status=held')).json,
        };
        decided = await decide(e2e, heldCaseId, 'approve', '窓口で本人確認済み (in-person check)');
        outcome = await running;
      });
      caseIds.push(heldCaseId);
      renewals = { before, after: (await jlisStats(e2e)).renewalRequests };
    }, 180_000);

    it('W1.7 a similarity-delta hold goes to the municipality and proceeds on approval', async () => {
      const record = whileHeld.record;
      expect(record.status).toBe('held');
      expect(record.faceCheck.outcome).toBe('hold');
      expect(record.faceCheck.decision.firedRules).toContain('similarity-delta');
      expect(record.faceCheck.decision.delta).toBeGreaterThanOrEqual(
        record.faceCheck.decision.thresholds.delta,
      );
      expect(record.photos.history).toHaveLength(1);
      // Held: the server did not decide, J-LIS renewed nothing yet, the case is in the municipality's queue.
      expect(whileHeld.renewals).toBe(0);
      const queued = whileHeld.queue.cases.find((c: { caseId: string }) => c.caseId === heldCaseId);
      expect(queued).toMatchObject({ status: 'held', outcome: 'hold' });
      expect(queued.scores.delta).toBeGreaterThanOrEqual(0.2);
      expect(events.map((e) => e.step)).toContain('held-for-review');
      // The approval releases it: renewed once, written to the card, completed.
      expect(decided).toMatchObject({ status: 200, json: { status: 'renewal-requested' } });
      expect(outcome).toEqual({ outcome: 'completed', caseId: heldCaseId });
      expect(renewals.after - renewals.before).toBe(1);
      // A second decision on a decided case is refused.
      const again = await decide(e2e, heldCaseId, 'reject', 'too late');
      expect(again.status).toBe(409);
    });

    it('Rule: every decision keeps its evidence: checks, results, thresholds, timestamps, who approved', async () => {
      const record = await receptionRecord(e2e, heldCaseId);
      expect(record.certificateCheck.valid).toBe(true);
      expect(record.faceCheck.decision.thresholds).toMatchObject({ card: 0.6, delta: 0.2 });
      expect(record.faceCheck.decision.scores).toMatchObject({
        card: expect.any(Number),
        history: expect.any(Number),
      });
      expect(record.review).toMatchObject({ reviewerId: 'municipality-1', decision: 'approve' });
      const decidedLine = record.audit.find((a: { type: string }) => a.type === 'review-decided');
      expect(decidedLine).toMatchObject({
        reviewerId: 'municipality-1',
        decision: 'approve',
        reason: '窓口で本人確認済み (in-person check)',
      });
      for (const line of record.audit) expect(Number.isNaN(Date.parse(line.at))).toBe(false);
      for (const entry of record.evidence) expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
      const steps = record.evidence.map((e: { to: string }) => e.to);
      expect(steps).toEqual(
        expect.arrayContaining(['face-checking', 'held', 'renewal-requested', 'awaiting-card', 'completed']),
      );
    });
  });

  it('Rule: renewal data is an authenticated update script: a card pulled out mid-update stays usable, a tampered or replayed script is refused', async () => {
    const persona = freshPersona('taro');
    personas.push(persona);
    const virtual = await issueCard(e2e, persona, 6);
    const old = cardSerials(virtual);
    const emulator = new PullableCard(virtual);
    const before = (await jlisStats(e2e)).renewalRequests;

    // 1. The card is pulled out in the middle of the update commands.
    const first = await withCard(emulator, async (card, slot) => {
      emulator.onPull = () => void slot.pullOut();
      let updates = 0;
      emulator.pullWhen((apdu) => apdu[0] === 0x84 && ++updates === 3);
      return booth(e2e, card, (await personPhotos(6)).live).client.renew(boothInput(persona));
    });
    expect(first).toMatchObject({ outcome: 'card-error', resumable: true });
    const caseId = first.caseId;
    caseIds.push(caseId);

    // 2. Back in the reader: the old certificates still work and are still valid at J-LIS.
    const status = await api(e2e, 'booth', `/w1/renewals/${caseId}`);
    expect(status.json.status).toBe('awaiting-card');
    const script = updateScriptSchema.parse(status.json.updateScript);
    await withCard(emulator, async (card) => {
      expect(serialOf(await card.jpki.readCertificate('auth'))).toBe(old.auth);
      await card.jpki.verifyAuthPin(persona.pins.auth);
      expect((await card.jpki.sign('auth', Uint8Array.of(1, 2, 3), 'SHA-256')).length).toBeGreaterThan(0);
      expect(e2e.env.jlis.registries.for(e2e.env.jlis.cas.auth).isRevoked(old.auth)).toBe(false);

      // 3. A tampered script (one byte of the last command flipped) is refused by the card.
      const commands = updateScriptCommands(script).map((c) => new Uint8Array(c));
      const last = commands.at(-1)!;
      last[last.length - 2] = last[last.length - 2]! ^ 0xff;
      const tampered = await card.relayUpdateScript({ commands }).catch((e: unknown) => e);
      expect(hasErrorCode(tampered, 'UPDATE_SCRIPT_REJECTED')).toBe(true);
      expect(serialOf(await card.jpki.readCertificate('auth'))).toBe(old.auth);

      // 4. Resuming relays the authentic script again: the renewal completes, requested once at J-LIS.
      const resumed = await booth(e2e, card, (await personPhotos(6)).live).client.resumeRenewal(caseId);
      expect(resumed).toEqual({ outcome: 'completed', caseId });
      expect(serialOf(await card.jpki.readCertificate('auth'))).not.toBe(old.auth);

      // 5. The same script again is a replay: refused, the new certificates stay.
      const replay = await card.relayUpdateScript({ commands: updateScriptCommands(script) }).catch((e) => e);
      expect(replay).toBeInstanceOf(CardError);
      expect((replay as CardError).sw).toBe(UPDATE_SW.REPLAYED);
    });
    expect((await jlisStats(e2e)).renewalRequests - before).toBe(1);
    expect(e2e.env.jlis.registries.for(e2e.env.jlis.cas.auth).isRevoked(old.auth)).toBe(true);
  }, 120_000);

  it('Rule: personal data is minimal and protected: no PIN or My Number in logs, photos and holder data encrypted at rest, purged after retention', async () => {
    const { server } = e2e.env;
    for (const persona of personas) expectNoPersonalDataInLogs(e2e.logs, persona);
    // At rest: the case state and its event log hold the basic four sealed.
    for (const caseId of caseIds) {
      const stored = JSON.stringify([
        await server.runtime.getCase(caseId),
        await server.runtime.events(caseId),
      ]);
      for (const persona of personas) {
        expect(stored.includes(persona.name)).toBe(false);
        expect(stored.includes(persona.address)).toBe(false);
      }
    }
    // Nowhere in the database in clear (SQLite file and WAL, or every PostgreSQL row).
    const database = await storedText(e2e);
    expect(database).toContain(caseIds[0]); // the dump is real: ids are stored in clear
    for (const persona of personas) {
      expect(database.includes(persona.name)).toBe(false);
      expect(database.includes(persona.address)).toBe(false);
      expect(database.includes(persona.myNumber)).toBe(false);
    }
    // The photo files are ciphertext: no JPEG signature and none of the live photos' bytes.
    const lives = await Promise.all(
      ([1, 2, 3, 4, 5, 6] as const).map(async (n) => (await personPhotos(n)).live),
    );
    const dir = join(e2e.env.dataDir, 'photos');
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(caseIds.length);
    for (const file of files) {
      const bytes = await readFile(join(file.parentPath, file.name));
      expect(bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
      for (const live of lives) expect(bytes.includes(Buffer.from(live.subarray(100, 164)))).toBe(false);
    }
    // Retention: 90 days by default; after it the cases and their photos are gone.
    const report = await server.purge(new Date(Date.now() + 91 * DAY_MS));
    expect(report.cases).toBeGreaterThanOrEqual(caseIds.length);
    expect(report.photos).toBeGreaterThan(0);
    for (const caseId of caseIds)
      expect((await api(e2e, 'municipality', `/review/api/cases/${caseId}`)).status).toBe(404);
  }, 60_000);
});
