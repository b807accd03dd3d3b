import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import {
  collationNumberB,
  DEFAULT_ISSUED_AT,
  type JlisServer,
  MockJlis,
  normalizeSerialHex,
  startJlisServer,
} from '@mynakit/testkit';
import { personKey } from '@mynakit/workflows';
import { BoothClient, type CameraPort, ServerClient } from '@mynakit/workflows/device';
import { generateApiKey } from '@mynakit/workflows/server';
import { SqliteHistoryPhotoIndex, type SqliteWorkflowStore } from '@mynakit/workflows/sqlite';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { settleAfterCrash } from './support/crash-recovery.js';
import { mockJlisConfig, testKeyring } from './support/server-config.js';
import { livePhotoPng, persona } from './support/server-fixture.js';
import { freePort, SupervisedServer, writeServerSpec } from './support/server-process.js';

// workflows.md, rules for every workflow: "Every state change is durable before it is acknowledged; a crash at any
// point resumes without loss and without doing an external side effect twice (renewal requested once …)".
// For every effect of W1 (w1-workflow.ts) the server child is SIGKILLed right before its handler runs and right after
// it returned (the remote side did the work; the outbox item is not completed and its event is not stored). A process
// manager restarts it on the same SQLite file, photo directory and port; the booth (virtual card in this process)
// only retries its HTTP calls. Each case must complete once: one renewal at J-LIS, one activation, the new
// certificate on the card, one history photo. The crash points run concurrently, each with its own server child,
// database and card holder.

const W1_EFFECTS = [
  'check-certificate',
  'compare-faces',
  'request-renewal',
  'confirm-renewal',
  'add-history-photo',
] as const;
/** Events the effects feed back into the case, one per effect that has one. */
const FED_BACK = ['certificate-checked', 'faces-compared', 'renewal-received', 'renewal-confirmed'];

const serialOf = (der: Uint8Array) => normalizeSerialHex(new X509Certificate(der).serialNumber);

const camera: CameraPort = {
  capture: async () => ({ bytes: livePhotoPng(), mediaType: 'image/png', capturedAt: new Date() }),
};

describe.concurrent('Every state change is durable; a crash at any point resumes without loss and without doing an external side effect twice (W1 renewal, server SIGKILLed)', () => {
  let root: string;
  let jlis: MockJlis;
  let jlisServer: JlisServer;
  const boothKey = generateApiKey({ id: 'booth-1', role: 'booth' });
  // J-LIS finds the holder by the card's certificate, and an activation revokes the superseded certificates, so each
  // test has a holder of its own (a variant of the persona with its own certificates); they share one pair of card
  // keys, made once.
  const pkcs8 = () =>
    new Uint8Array(
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' }),
    );
  const keys = { auth: pkcs8(), sign: pkcs8() };
  let holders = 0;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mynakit-crash-w1-'));
    jlis = await MockJlis.create();
    jlisServer = await startJlisServer(jlis);
  });
  afterAll(async () => {
    await jlisServer?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  for (const effect of W1_EFFECTS) {
    for (const phase of ['before', 'after'] as const) {
      it(`killed ${phase} ${effect}: restarted, the renewal completes once (one J-LIS renewal and activation, new certificate on the card, one history photo)`, {
        timeout: 120_000,
      }, async ({ expect }) => {
        const dir = join(root, `${effect}-${phase}`);
        await mkdir(dir);
        const dbFile = join(dir, 'mynakit.sqlite');
        const pepper = randomBytes(32);
        const specFile = await writeServerSpec(dir, {
          config: {
            db: `sqlite:${dbFile}`,
            port: await freePort(),
            dataDir: join(dir, 'data'),
            keyring: testKeyring(),
            pepper: pepper.toString('base64'),
            apiKeys: [boothKey.entry],
            jlis: mockJlisConfig(jlisServer.url, jlis),
            // A short lease: the item the killed process held is taken up again soon after the restart.
            worker: { intervalMs: 20, leaseMs: 1000 },
          },
          fakeFace: 'match',
        });

        const n = ++holders;
        const holder = {
          ...persona,
          id: `crash-${n}`,
          jpki: { ...persona.jpki, authSubjectId: `${persona.jpki.authSubjectId.slice(0, -2)}${10 + n}` },
        };
        const transport = new MemoryTransport(['reader']);
        // Its own issuance instant too: the signing certificate's serial does not depend on the subject id.
        const now = new Date(DEFAULT_ISSUED_AT.getTime() + n * 60_000);
        transport.insert('reader', await jlis.issueCard(holder, { keys, now }));
        const card = await MyNumberCard.open(transport, 'reader');
        const oldSerial = serialOf(await card.jpki.readCertificate('auth'));

        const server = await SupervisedServer.start(specFile, {
          MYNAKIT_TEST_CRASH_AT: `${effect}:${phase}`,
        });
        let store: SqliteWorkflowStore | undefined;
        try {
          const booth = new BoothClient({
            card,
            camera,
            // Retries (same Idempotency-Key) carry the booth over the restart.
            server: new ServerClient({
              baseUrl: server.url,
              apiKey: boothKey.key,
              retries: 10,
              fetch: server.fetch,
              retryDelayMs: 100,
            }),
            pollWaitSeconds: 2,
            maxWaitMs: 90_000,
          });
          const result = await booth.renew({
            inputSupportPin: persona.pins.textAp,
            collationNumberB: collationNumberB(persona),
            signPassword: persona.pins.sign!,
          });
          expect(result, `${JSON.stringify(result)} ${server.stderr()}`).toMatchObject({
            outcome: 'completed',
          });
          const caseId = result.caseId;

          // The kill may come after the booth saw `completed` (add-history-photo runs last): wait for it and for
          // the restarted process to finish the outbox.
          const opened = await settleAfterCrash(server, dbFile, (kept) => {
            store = kept;
          });

          // J-LIS: one renewal produced for this holder (the re-run carried the same idempotency key), one
          // activation (the superseded signing certificate).
          const atJlis = jlis.holder(holder.id);
          expect(atJlis.scriptCounter).toBe(1);
          expect(atJlis.signHistory.filter((h) => h.reason === 'superseded')).toHaveLength(1);
          // The card holds the certificate J-LIS now knows the holder by.
          const newSerial = serialOf(await card.jpki.readCertificate('auth'));
          expect(newSerial).not.toBe(oldSerial);
          expect(newSerial).toBe(atJlis.authSerial);

          // The killed effect was claimed twice (the killed run and the re-run, same key); every other once.
          const outbox = opened.database
            .prepare('SELECT idempotency_key AS key, status, attempts FROM outbox WHERE case_id = ?')
            .all(caseId) as { key: string; status: string; attempts: number }[];
          expect(outbox).toHaveLength(W1_EFFECTS.length);
          for (const row of outbox) {
            expect(row.status).toBe('done');
            expect(row.attempts, row.key).toBe(row.key.endsWith(effect) ? 2 : 1);
          }

          // The case's log: each fed-back event once, the case completed once.
          const events = (await opened.events(caseId)).map((e) => (e.event as { type: string }).type);
          for (const type of FED_BACK)
            expect(
              events.filter((t) => t === type),
              type,
            ).toHaveLength(1);
          const snapshot = await opened.loadCase(caseId);
          expect(snapshot?.final).toBe(true);
          const state = snapshot?.state as { status: string; evidence: { to: string }[] };
          expect(state.status).toBe('completed');
          expect(state.evidence.filter((e) => e.to === 'completed')).toHaveLength(1);

          // W1.6: the live photo joined the history once.
          const history = new SqliteHistoryPhotoIndex(opened.database);
          const key = await personKey({ name: persona.name, birthDate: persona.birthDate }, pepper);
          const entries = await history.list(key);
          expect(entries.map((e) => e.caseId)).toEqual([caseId]);
          expect(opened.database.prepare('SELECT count(*) FROM history_photos').pluck().get()).toBe(1);
        } finally {
          await server.stop();
          await store?.close();
          await card.close();
        }
      });
    }
  }
});
