import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import {
  type JlisServer,
  type MockIssuanceServer,
  MockJlis,
  startJlisServer,
  startMockIssuanceServer,
} from '@mynakit/testkit';
import {
  isDeviceClientError,
  KioskClient,
  type KioskResult,
  PhoneClient,
  ServerClient,
} from '@mynakit/workflows/device';
import { generateApiKey } from '@mynakit/workflows/server';
import { SqliteMailbox, type SqliteWorkflowStore } from '@mynakit/workflows/sqlite';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { settleAfterCrash } from './support/crash-recovery.js';
import { mockJlisConfig, testKeyring } from './support/server-config.js';
import { persona } from './support/server-fixture.js';
import { freePort, SupervisedServer, waitUntil, writeServerSpec } from './support/server-process.js';

// workflows.md, rules for every workflow: "Every state change is durable before it is acknowledged; a crash at any
// point resumes without loss and without doing an external side effect twice (… a number printed once …)".
// W3 with the real phone and kiosk clients (virtual card in this process for W3.1) against a server child that is
// SIGKILLed before or after each W3 effect handler (w3-workflow.ts), or right after it answered an apply, present,
// confirm or printed request. A process manager restarts it on the same SQLite file and port; the clients retry.
// Each number must be printed exactly once: one document from the issuance server, one printout at the kiosk.
// The crash points run concurrently, each with its own server child, database and phone card.

type CrashPoint =
  | { readonly kind: 'effect'; readonly effect: string; readonly phase: 'before' | 'after' }
  | { readonly kind: 'http'; readonly route: string };

const CRASH_POINTS: readonly CrashPoint[] = [
  ...['request-print-confirmation', 'send-to-kiosk'].flatMap((effect) =>
    (['before', 'after'] as const).map((phase) => ({ kind: 'effect' as const, effect, phase })),
  ),
  ...['/w3/applications', '/w3/kiosk/present', '/w3/device/confirm', '/w3/kiosk/printed'].map((route) => ({
    kind: 'http' as const,
    route,
  })),
];

const name = (point: CrashPoint) =>
  point.kind === 'effect' ? `${point.phase} ${point.effect}` : `right after answering POST ${point.route}`;
const crashEnv = (point: CrashPoint): Record<string, string> =>
  point.kind === 'effect'
    ? { MYNAKIT_TEST_CRASH_AT: `${point.effect}:${point.phase}` }
    : { MYNAKIT_TEST_CRASH_AFTER_HTTP: `POST ${point.route}` };

/** Fed back or dispatched once per case on the way to `printed`. */
const ONCE = ['kiosk-presented', 'device-confirmed', 'print-job-queued', 'print-succeeded'];

describe.concurrent('Every state change is durable; a crash at any point resumes without loss and without doing an external side effect twice (W3 issuance, server SIGKILLed)', () => {
  let root: string;
  let jlis: MockJlis;
  let jlisServer: JlisServer;
  let issuance: MockIssuanceServer;
  const kioskKey = generateApiKey({ id: 'kiosk-1', role: 'kiosk' });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mynakit-crash-w3-'));
    jlis = await MockJlis.create();
    jlisServer = await startJlisServer(jlis);
    issuance = await startMockIssuanceServer();
  });
  afterAll(async () => {
    await issuance?.close();
    await jlisServer?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  CRASH_POINTS.forEach((point, index) => {
    it(`killed ${name(point)}: restarted, the number is printed once (one document issued, one printout)`, {
      timeout: 120_000,
    }, async ({ expect }) => {
      const dir = join(root, `point-${index}`);
      await mkdir(dir);
      const dbFile = join(dir, 'mynakit.sqlite');
      const specFile = await writeServerSpec(dir, {
        config: {
          db: `sqlite:${dbFile}`,
          port: await freePort(),
          dataDir: join(dir, 'data'),
          keyring: testKeyring(),
          pepper: Buffer.from(`crash-w3-pepper-${index}-0123456789`).toString('base64'),
          apiKeys: [kioskKey.entry],
          jlis: mockJlisConfig(jlisServer.url, jlis),
          w3: { issuanceServerUrl: issuance.url },
          worker: { intervalMs: 20, leaseMs: 1000 },
        },
      });
      const transport = new MemoryTransport(['reader']);
      transport.insert('reader', await jlis.issueCard(persona.id));
      const card = await MyNumberCard.open(transport, 'reader');
      const server = await SupervisedServer.start(specFile, crashEnv(point));
      /** After the step whose answer kills the server: wait until the new process serves (the next call is not resent). */
      const settle = async (route: string) => {
        if (point.kind !== 'http' || point.route !== route) return;
        await waitUntil(() => server.crashes === 1, 'the injected crash');
        await server.ready();
      };
      const client = (apiKey?: string) =>
        new ServerClient({
          baseUrl: server.url,
          retries: 10,
          retryDelayMs: 100,
          fetch: server.fetch,
          ...(apiKey && { apiKey }),
        });

      const printouts: string[] = [];
      let store: SqliteWorkflowStore | undefined;
      try {
        const phone = new PhoneClient({
          card,
          server: client(),
          deviceId: `phone-${index}`,
          pollWaitSeconds: 2,
        });
        const kiosk = new KioskClient({
          server: client(kioskKey.key),
          printer: { print: async (job) => void printouts.push(job.jobId) },
          pollWaitSeconds: 2,
          timeoutMs: 90_000,
        });

        const { receptionNumber } = await phone.apply({
          authPin: persona.pins.auth,
          application: { certificateKind: 'resident-record', copies: 1 },
        });
        await settle('/w3/applications');

        const phoneSide = (async () => {
          // Answer "print" to the request; an answer lost to the crash is given again if the request is still open.
          for (;;) {
            const request = await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 90_000 });
            if (request === null) return;
            try {
              await phone.answer(receptionNumber, 'print');
            } catch (error) {
              if (!isDeviceClientError(error, 'NETWORK')) throw error;
              await server.ready();
              continue;
            }
            await settle('/w3/device/confirm');
          }
        })();
        const result: KioskResult = await kiosk.collect(receptionNumber);
        await phoneSide;
        expect(result, server.stderr()).toMatchObject({ outcome: 'printed' });
        const jobId = (result as { jobId: string }).jobId;
        const caseId = `w3-${jobId.slice('job-'.length)}`;

        await settle('/w3/kiosk/printed');
        const opened = await settleAfterCrash(server, dbFile, (kept) => {
          store = kept;
        });

        // Printed once: one document for this case at the issuance server, one printout at the kiosk.
        expect(printouts).toEqual([jobId]);
        expect(issuance.documents().filter((d) => d.caseId === caseId)).toHaveLength(1);

        const snapshot = await opened.loadCase(caseId);
        expect(snapshot?.final).toBe(true);
        expect((snapshot?.state as { status: string } | undefined)?.status).toBe('printed');
        const events = (await opened.events(caseId)).map((e) => (e.event as { type: string }).type);
        for (const type of ONCE)
          expect(
            events.filter((t) => t === type),
            type,
          ).toHaveLength(1);
        const outbox = opened.database
          .prepare('SELECT idempotency_key AS key, status, attempts FROM outbox WHERE case_id = ?')
          .all(caseId) as { key: string; status: string; attempts: number }[];
        expect(outbox.map((row) => row.status)).toEqual(['done', 'done']);
        if (point.kind === 'effect') {
          // The killed effect ran again after the restart, with the same idempotency key.
          const killed = outbox.find(
            (row) => (point.effect === 'send-to-kiosk') === (row.key === 'send-to-kiosk'),
          );
          expect(killed?.attempts).toBe(2);
        }
        // The kiosk acknowledged its job: nothing is left in its mailbox.
        expect(await new SqliteMailbox(opened.database).list('kiosk:kiosk-1')).toEqual([]);
      } finally {
        await server.stop();
        await store?.close();
        await card.close();
      }
    });
  });
});
