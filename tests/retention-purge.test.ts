import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import {
  collationNumberB,
  type JlisServer,
  type MockIssuanceServer,
  MockJlis,
  startJlisServer,
  startMockIssuanceServer,
} from '@mynakit/testkit';
import { createRedactingLogger, type LogRecord, personKey } from '@mynakit/workflows';
import {
  BoothClient,
  type CameraPort,
  KioskClient,
  PhoneClient,
  ServerClient,
} from '@mynakit/workflows/device';
import { createReferenceServer, generateApiKey, type ReferenceServer } from '@mynakit/workflows/server';
import type { SqliteWorkflowStore } from '@mynakit/workflows/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockJlisConfig, testKeyring } from './support/server-config.js';
import { FakeFaceCheck, livePhotoPng, persona } from './support/server-fixture.js';

// workflows.md, rules for every workflow: "Personal data is minimal and protected: … photos and My Number are
// encrypted at rest; retention has a configurable limit after which data is purged." The reference server runs in
// this process on SQLite with a clock the test moves (J-LIS answers on the same clock); W1, W2 and W3 run through the
// real booth, phone and kiosk clients, once at T0 and once 60 days later; `purge` at T0 + 100 days with a 90-day limit.

const DAY = 24 * 60 * 60 * 1000;

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Case and photo ids of one round, filled in by the first test. */
interface CaseRefs {
  w1?: string;
  w2: string;
  w3: string;
  photos: string[];
}

describe('Personal data is minimal and protected: retention has a configurable limit after which data is purged', () => {
  let dir: string;
  let now: Date;
  const clock = () => new Date(now);
  let jlis: MockJlis;
  let jlisServer: JlisServer;
  let issuance: MockIssuanceServer;
  let server: ReferenceServer;
  let card: MyNumberCard;
  const logs: LogRecord[] = [];
  const pepper = randomBytes(32);
  const booth = generateApiKey({ id: 'booth-1', role: 'booth' });
  const kiosk = generateApiKey({ id: 'kiosk-1', role: 'kiosk' });
  const face = new FakeFaceCheck('match');
  const old: Partial<CaseRefs> = {};
  const recent: Partial<CaseRefs> = {};

  beforeAll(async () => {
    now = new Date(Math.floor(Date.now() / 1000) * 1000);
    dir = await mkdtemp(join(tmpdir(), 'mynakit-retention-'));
    jlis = await MockJlis.create({ clock });
    jlisServer = await startJlisServer(jlis);
    issuance = await startMockIssuanceServer();
    const transport = new MemoryTransport(['reader']);
    transport.insert('reader', await jlis.issueCard(persona.id));
    card = await MyNumberCard.open(transport, 'reader');
    server = await createReferenceServer(
      {
        db: `sqlite:${join(dir, 'mynakit.sqlite')}`,
        port: 0,
        dataDir: join(dir, 'data'),
        keyring: testKeyring(),
        pepper: pepper.toString('base64'),
        apiKeys: [booth.entry, kiosk.entry],
        jlis: mockJlisConfig(jlisServer.url, jlis),
        w3: { issuanceServerUrl: issuance.url },
        retention: { days: 90, intervalMs: 24 * 60 * 60_000 },
        worker: { intervalMs: 20, leaseMs: 30_000 },
      },
      { clock, faceCheck: face, logger: createRedactingLogger((r) => logs.push(r), { level: 'debug' }) },
    );
  });

  afterAll(async () => {
    await server?.close();
    await card?.close();
    await issuance?.close();
    await jlisServer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const camera: CameraPort = {
    capture: async () => ({ bytes: livePhotoPng(), mediaType: 'image/png', capturedAt: clock() }),
  };
  const boothClient = () =>
    new BoothClient({
      card,
      camera,
      server: new ServerClient({ baseUrl: server.url, apiKey: booth.key }),
      pollWaitSeconds: 2,
    });
  const boothInput = {
    inputSupportPin: persona.pins.textAp,
    collationNumberB: collationNumberB(persona),
    signPassword: persona.pins.sign!,
  };

  /** W3 from the phone's application to the kiosk's printout; the case id. */
  async function printOnce(): Promise<string> {
    const phone = new PhoneClient({
      card,
      server: new ServerClient({ baseUrl: server.url }),
      deviceId: 'phone-1',
      pollWaitSeconds: 2,
    });
    const { receptionNumber } = await phone.apply({
      authPin: persona.pins.auth,
      application: { certificateKind: 'resident-record', copies: 1 },
    });
    const confirmed = (async () => {
      if ((await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 30_000 })) === null)
        throw new Error('no print request');
      return phone.answer(receptionNumber, 'print');
    })();
    const result = await new KioskClient({
      server: new ServerClient({ baseUrl: server.url, apiKey: kiosk.key }),
      printer: { print: async () => undefined },
      pollWaitSeconds: 2,
    }).collect(receptionNumber);
    expect(await confirmed).toBe('printing');
    if (result.outcome !== 'printed') throw new Error(`not printed: ${result.outcome}`);
    return `w3-${result.jobId.slice('job-'.length)}`;
  }

  async function photosOf(caseId: string): Promise<string[]> {
    const state = (await server.runtime.getCase(caseId))?.state as {
      livePhotoId: string;
      cardPhotoId: string;
    };
    return [state.livePhotoId, state.cardPhotoId];
  }

  /** Waits until the worker ran every effect (the history photo is added after `completed`). */
  async function drained(): Promise<void> {
    const db = (server.store as SqliteWorkflowStore).database;
    const pending = db.prepare("SELECT count(*) FROM outbox WHERE status = 'pending'").pluck();
    for (let i = 0; i < 400 && pending.get() !== 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pending.get()).toBe(0);
  }

  it('W1, W2 and W3 at T0 and at T0 + 60 days: every case completes', async () => {
    const renewed = await boothClient().renew(boothInput);
    expect(renewed.outcome).toBe('completed');
    const registered = await boothClient().register(boothInput);
    expect(registered.outcome).toBe('completed');
    old.w1 = renewed.caseId;
    old.w2 = registered.caseId;
    old.w3 = await printOnce();
    old.photos = [...(await photosOf(old.w1)), ...(await photosOf(old.w2))];
    await drained();

    now = new Date(now.getTime() + 60 * DAY);
    const again = await boothClient().register({ ...boothInput, idempotencyKey: 'second-registration' });
    expect(again.outcome).toBe('completed');
    recent.w2 = again.caseId;
    recent.w3 = await printOnce();
    recent.photos = await photosOf(recent.w2);
    await drained();
  });

  it('no My Number, card-holder text, photo or printed document is stored in clear: not in the SQLite files, the data directory or the logs', async () => {
    const needles = [persona.myNumber, persona.name, persona.name.replace(/\s/gu, ''), persona.address];
    // A stretch of the live photo's compressed pixels, and the text of the issued certificate documents.
    const secrets = [Buffer.from(livePhotoPng().subarray(64, 128)), Buffer.from('MYNAKIT MOCK CERTIFICATE')];
    const files = await filesUnder(dir);
    expect(files.some((f) => f.endsWith('mynakit.sqlite'))).toBe(true);
    expect(files.filter((f) => f.includes(join('data', 'photos'))).length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const needle of needles) {
        for (const encoding of ['utf8', 'utf16le'] as const) {
          expect(bytes.indexOf(Buffer.from(needle, encoding)), `${file} holds personal data`).toBe(-1);
        }
      }
      for (const secret of secrets)
        expect(bytes.indexOf(secret), `${file} holds a photo or document`).toBe(-1);
    }
    const logged = JSON.stringify(logs);
    for (const needle of needles) expect(logged).not.toContain(needle);
  });

  it('purge(T0 + 100 days) with a 90-day limit removes the old final cases, their photos, history entries and mailbox messages, and keeps the newer ones', async () => {
    const db = (server.store as SqliteWorkflowStore).database;
    const key = await personKey({ name: persona.name, birthDate: persona.birthDate }, pepper);
    expect((await server.database.history.list(key)).map((e) => e.caseId).sort()).toEqual(
      [old.w1, old.w2, recent.w2].sort(),
    );
    // Print jobs (and, since W3.1 challenges are shared through it, used challenges) are in the mailbox.
    const kioskJobs = db
      .prepare("SELECT key FROM mailbox WHERE recipient = 'kiosk:kiosk-1' ORDER BY seq")
      .pluck();
    const [oldJob, recentJob] = kioskJobs.all() as string[];
    expect([oldJob, recentJob]).toEqual([`job-${old.w3!.slice(3)}`, `job-${recent.w3!.slice(3)}`]);

    // Nothing is older than 90 days at T0 + 60 days.
    expect(await server.purge(new Date(now))).toMatchObject({
      cases: 0,
      photos: 0,
      historyEntries: 0,
      mailboxMessages: 0,
    });

    const later = new Date(now.getTime() + 40 * DAY);
    const cutoff = later.getTime() - 90 * DAY;
    const oldMessages = db.prepare('SELECT count(*) FROM mailbox WHERE created_at < ?').pluck().get(cutoff);
    const report = await server.purge(later);
    // Cases W1, W2, W3 of T0; the two history photos of T0; live and card photos of the two T0 booth cases.
    expect(report).toMatchObject({ cases: 3, historyEntries: 2, photos: 4, mailboxMessages: oldMessages });
    expect(db.prepare('SELECT count(*) FROM mailbox WHERE created_at < ?').pluck().get(cutoff)).toBe(0);

    for (const caseId of [old.w1, old.w2, old.w3]) expect(await server.runtime.getCase(caseId!)).toBeNull();
    for (const caseId of [old.w1, old.w2, old.w3]) expect(await server.runtime.events(caseId!)).toEqual([]);
    for (const photoId of old.photos!) expect(await server.photos.metadata(photoId)).toBeUndefined();

    for (const caseId of [recent.w2, recent.w3])
      expect((await server.runtime.getCase(caseId!))?.final).toBe(true);
    for (const photoId of recent.photos!) expect(await server.photos.metadata(photoId)).toBeDefined();
    expect((await server.database.history.list(key)).map((e) => e.caseId)).toEqual([recent.w2]);
    expect(kioskJobs.all()).toEqual([recentJob]);
  });
});
