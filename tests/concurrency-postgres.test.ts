import { generateKeyPairSync, randomBytes, randomInt, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import {
  collationNumberB,
  DEFAULT_ISSUED_AT,
  getPersona,
  type JlisServer,
  type MockIssuanceServer,
  MockJlis,
  normalizeSerialHex,
  startJlisServer,
  startMockIssuanceServer,
} from '@mynakit/testkit';
import {
  BoothClient,
  type CameraPort,
  KioskClient,
  type KioskResult,
  PhoneClient,
  ServerClient,
} from '@mynakit/workflows/device';
import { PostgresWorkflowStore } from '@mynakit/workflows/postgres';
import { generateApiKey, type ServerConfigInput } from '@mynakit/workflows/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockJlisConfig, testKeyring } from './support/server-config.js';
import { livePhotoPng, persona } from './support/server-fixture.js';
import {
  type ServerProcess,
  startServerProcess,
  waitUntil,
  writeServerSpec,
} from './support/server-process.js';

// issue 5, "Concurrency: several server processes on one PostgreSQL database, many cases, none processed twice, none
// lost" — workflows.md: "… without doing an external side effect twice (… a number printed once …)".
// Three reference-server processes share one PostgreSQL schema and one data directory; every device request goes to a
// random process (a load balancer without affinity). 60 W3 cases run 20 at a time (phones apply and confirm, kiosks
// present, wait and acknowledge, each request anywhere) while every process works the shared outbox; then a batch of
// W1 renewals whose booth requests (apply, long-polls, card answers) also go anywhere.

const url = process.env.MYNAKIT_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/mynakit_test';
const PROCESSES = 3;
const CASES = 60;
const IN_FLIGHT = 20;
const CARDS = 4;
const KIOSKS = 6;
const RENEWALS = 6;

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;

/** One APDU conversation at a time per card: a phone holds its card for the whole W3.1 exchange. */
class CardLock {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly card: MyNumberCard) {}
  run<T>(work: (card: MyNumberCard) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => work(this.card));
    this.tail = result.catch(() => undefined);
    return result;
  }
}

async function inPool<T>(count: number, width: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await work(index);
      }
    }),
  );
  return results;
}

describe('several server processes on one PostgreSQL: many W3 cases, none processed twice, none lost', () => {
  const schema = `mynakit_conc_${randomBytes(6).toString('hex')}`;
  let dir: string;
  let jlis: MockJlis;
  let jlisServer: JlisServer;
  let issuance: MockIssuanceServer;
  let store: PostgresWorkflowStore;
  const cards: CardLock[] = [];
  const servers: ServerProcess[] = [];
  const kiosks = Array.from({ length: KIOSKS }, (_, i) =>
    generateApiKey({ id: `kiosk-${i}`, role: 'kiosk' }),
  );
  const boothKey = generateApiKey({ id: 'booth-1', role: 'booth' });
  /** A fetch that sends each request to a random process (as a load balancer without affinity would). */
  const anyProcess: typeof fetch = (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    target.host = new URL(pick(servers).url).host;
    return fetch(target, init);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mynakit-concurrency-'));
    try {
      store = await PostgresWorkflowStore.connect(url, { schema });
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable (${(error as Error).message}). Start it with scripts/start-postgres.sh or set MYNAKIT_PG_URL.`,
      );
    }
    jlis = await MockJlis.create();
    jlisServer = await startJlisServer(jlis);
    issuance = await startMockIssuanceServer();
    for (let i = 0; i < CARDS; i++) {
      const transport = new MemoryTransport(['reader']);
      transport.insert('reader', await jlis.issueCard(persona.id));
      cards.push(new CardLock(await MyNumberCard.open(transport, 'reader')));
    }
    const config: ServerConfigInput = {
      db: url,
      postgresSchema: schema,
      port: 0,
      dataDir: join(dir, 'shared-data'),
      keyring: testKeyring(),
      pepper: randomBytes(32).toString('base64'),
      apiKeys: [...kiosks.map((k) => k.entry), boothKey.entry],
      jlis: mockJlisConfig(jlisServer.url, jlis),
      w3: { issuanceServerUrl: issuance.url, kioskRateLimit: { capacity: 1000, refillPerSecond: 100 } },
      worker: { intervalMs: 20, leaseMs: 30_000 },
    };
    // All three start (and migrate the schema) at once.
    const started = await Promise.allSettled(
      Array.from({ length: PROCESSES }, async (_, i) =>
        startServerProcess(
          await writeServerSpec(
            dir,
            { config, workerId: `process-${i}`, fakeFace: 'match' },
            `server-${i}.json`,
          ),
        ),
      ),
    );
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    for (const lock of cards) await lock.card.close();
    await issuance?.close();
    await jlisServer?.close();
    if (store !== undefined) {
      await store.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await store.close();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('60 W3 cases through random processes: each printed exactly once, one document each, none lost', async () => {
    const printouts = new Map<string, number>();
    const anywhere = (apiKey?: string) =>
      new ServerClient({ baseUrl: servers[0]!.url, fetch: anyProcess, ...(apiKey && { apiKey }) });

    const results = await inPool(CASES, IN_FLIGHT, async (index) => {
      const card = pick(cards);
      const deviceId = `phone-${index}`;
      // W3.1: the challenge and the application may land on different processes (challenges are shared).
      const { receptionNumber } = await card.run((c) =>
        new PhoneClient({ card: c, server: anywhere(), deviceId }).apply({
          authPin: persona.pins.auth,
          application: {
            certificateKind: index % 2 === 0 ? 'resident-record' : 'seal-registration',
            copies: 1,
          },
        }),
      );
      // The phone follows and confirms through any process; it needs no card for that.
      const phone = new PhoneClient({ card: card.card, server: anywhere(), deviceId, pollWaitSeconds: 5 });
      const phoneSide = (async () => {
        const request = await phone.waitForPrintRequest(receptionNumber, { timeoutMs: 60_000 });
        if (request === null) throw new Error('no print request came');
        return phone.answer(receptionNumber, 'print');
      })();
      const kiosk = new KioskClient({
        server: anywhere(pick(kiosks).key),
        printer: {
          print: async (job) => {
            printouts.set(job.jobId, (printouts.get(job.jobId) ?? 0) + 1);
          },
        },
        pollWaitSeconds: 5,
        timeoutMs: 60_000,
      });
      const [kioskResult, answer] = await Promise.all([kiosk.collect(receptionNumber), phoneSide]);
      return { kioskResult, answer };
    });

    // None lost: every kiosk printed, every phone's answer was taken.
    const printed = results
      .map((r) => r.kioskResult)
      .filter((r): r is Extract<KioskResult, { outcome: 'printed' }> => r.outcome === 'printed');
    expect(printed).toHaveLength(CASES);
    expect(results.every((r) => r.answer === 'printing')).toBe(true);
    // None twice: one printout per job, one document per case at the issuance server.
    expect(printouts.size).toBe(CASES);
    expect([...printouts.values()].every((n) => n === 1)).toBe(true);
    expect(issuance.documentsIssued()).toBe(CASES);
    expect(new Set(issuance.documents().map((d) => d.caseId)).size).toBe(CASES);

    const s = `"${schema}"`;
    const cases = await store.pool.query<{ status: string; n: string }>(
      `SELECT state->>'status' AS status, count(*) AS n FROM ${s}.cases
       WHERE workflow = 'certificate-issuance' GROUP BY 1`,
    );
    expect(cases.rows.map((r) => [r.status, Number(r.n)])).toEqual([['printed', CASES]]);
    // The event logs: one print-job-queued and one print-succeeded per case.
    const events = await store.pool.query<{ type: string; per_case: string; n: string }>(
      `SELECT type, max(n) AS per_case, count(*) AS n FROM (
         SELECT case_id, event->>'type' AS type, count(*) AS n FROM ${s}.events GROUP BY 1, 2) t
       WHERE type IN ('kiosk-presented', 'device-confirmed', 'print-job-queued', 'print-succeeded')
       GROUP BY type ORDER BY type`,
    );
    expect(events.rows.map((r) => [r.type, Number(r.per_case), Number(r.n)])).toEqual([
      ['device-confirmed', 1, CASES],
      ['kiosk-presented', 1, CASES],
      ['print-job-queued', 1, CASES],
      ['print-succeeded', 1, CASES],
    ]);
    // The outbox: every effect done, each claimed once, and the work spread over the processes.
    const outbox = await store.pool.query<{ leased_by: string; status: string; attempts: number }>(
      `SELECT o.leased_by, o.status, o.attempts FROM ${s}.outbox o JOIN ${s}.cases c USING (case_id)
       WHERE c.workflow = 'certificate-issuance'`,
    );
    expect(outbox.rows).toHaveLength(2 * CASES);
    expect(outbox.rows.every((r) => r.status === 'done' && Number(r.attempts) === 1)).toBe(true);
    expect(new Set(outbox.rows.map((r) => r.leased_by))).toEqual(
      new Set(Array.from({ length: PROCESSES }, (_, i) => `process-${i}`)),
    );
  });

  it('6 W1 renewals, every booth request at a random process: each renewed once at J-LIS, none lost', async () => {
    const base = getPersona('taro');
    const camera: CameraPort = {
      capture: async () => ({ bytes: livePhotoPng(), mediaType: 'image/png', capturedAt: new Date() }),
    };
    const renewalsBefore = jlis.renewalRequests;
    const activationsBefore = jlis.renewalConfirmations;
    // One holder per booth (J-LIS finds the holder by the card's certificate): variants of one persona, sharing
    // one pair of card keys (each still gets certificates of its own).
    const pkcs8 = () =>
      new Uint8Array(
        generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          type: 'pkcs8',
          format: 'der',
        }),
      );
    const keys = { auth: pkcs8(), sign: pkcs8() };
    const booths = await Promise.all(
      Array.from({ length: RENEWALS }, async (_, i) => {
        const holder = {
          ...base,
          id: `renewal-${i}`,
          jpki: { ...base.jpki, authSubjectId: `${base.jpki.authSubjectId.slice(0, -2)}${10 + i}` },
        };
        const transport = new MemoryTransport(['reader']);
        const now = new Date(DEFAULT_ISSUED_AT.getTime() + (i + 1) * 60_000);
        transport.insert('reader', await jlis.issueCard(holder, { now, keys }));
        return { holder, card: await MyNumberCard.open(transport, 'reader') };
      }),
    );
    try {
      const results = await Promise.all(
        booths.map(({ card }) =>
          new BoothClient({
            card,
            camera,
            server: new ServerClient({ baseUrl: servers[0]!.url, apiKey: boothKey.key, fetch: anyProcess }),
            pollWaitSeconds: 5,
            maxWaitMs: 60_000,
          }).renew({
            inputSupportPin: base.pins.textAp,
            collationNumberB: collationNumberB(base),
            signPassword: base.pins.sign!,
          }),
        ),
      );
      expect(results.map((r) => r.outcome)).toEqual(Array(RENEWALS).fill('completed'));
      expect(jlis.renewalRequests - renewalsBefore).toBe(RENEWALS);
      expect(jlis.renewalConfirmations - activationsBefore).toBe(RENEWALS);
      for (const { holder, card } of booths) {
        const serial = normalizeSerialHex(
          new X509Certificate(await card.jpki.readCertificate('auth')).serialNumber,
        );
        expect(serial).toBe(jlis.holder(holder.id).authSerial);
      }

      const s = `"${schema}"`;
      // The history photo is added after `completed`: wait for the outbox to drain, then count.
      const pending = async () =>
        Number(
          (await store.pool.query(`SELECT count(*) AS n FROM ${s}.outbox WHERE status = 'pending'`)).rows[0]
            .n,
        );
      await waitUntil(async () => (await pending()) === 0, 'an empty outbox');
      const outbox = await store.pool.query<{ status: string; attempts: number }>(
        `SELECT o.status, o.attempts FROM ${s}.outbox o JOIN ${s}.cases c USING (case_id)
         WHERE c.workflow = 'w1-renewal'`,
      );
      expect(outbox.rows).toHaveLength(5 * RENEWALS);
      expect(outbox.rows.every((r) => r.status === 'done' && Number(r.attempts) === 1)).toBe(true);
      const history = await store.pool.query(`SELECT DISTINCT case_id FROM ${s}.history_photos`);
      expect(new Set(history.rows.map((r) => r.case_id))).toEqual(new Set(results.map((r) => r.caseId)));
      expect(history.rowCount).toBe(RENEWALS);
    } finally {
      for (const { card } of booths) await card.close();
    }
  });
});
