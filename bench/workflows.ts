import { randomUUID, sign } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import {
  type BenchCard,
  call,
  createWorkflowEnv,
  machineTicks,
  percentile,
  startServerProcesses,
  type WorkflowEnv,
} from './support/workflow-env.js';

/**
 * Workflow throughput through the reference server, started as 1 or 2 child processes (`bench/support/
 * server-process.ts`) on SQLite or PostgreSQL; the load comes from this process over keep-alive HTTP.
 *
 * W3: each client asks for a challenge, signs it with a card's user-authentication key (node:crypto, RSA-2048
 * PKCS#1 v1.5 — the signature a card returns) and posts the application; the server checks signature, chain and
 * revocation (OCSP at the mock J-LIS in this process) and starts the case. Clients are spread over the processes
 * and each stays with one (challenges are in the database, so any process could redeem them).
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
// The face engines compile their models on the first analyses: W1 warms up longer.
const W1_WARMUP_SECONDS = Number(process.env.BENCH_W1_WARMUP_SECONDS ?? 10);
const W3_CLIENTS = Number(process.env.BENCH_W3_CLIENTS ?? 16);

export type Db = 'sqlite' | 'postgres';
export const dbName = (db: Db) => (db === 'sqlite' ? 'SQLite' : 'PostgreSQL');

export interface W3Result {
  readonly db: Db;
  readonly processes: number;
  readonly clients: number;
  readonly seconds: number;
  readonly accepted: number;
  readonly perSecond: number;
  /** POST /w3/applications alone. */
  readonly applyP50: number;
  readonly applyP99: number;
  /** Challenge + signature + application, as the phone sees it. */
  readonly roundP50: number;
  readonly roundP99: number;
  readonly failed: number;
  /** Server CPU (all processes) per accepted application, ms: the cost, far less sensitive to other load than throughput. */
  readonly serverCpuMs: number;
  /** The load generator's own CPU per application (signing, HTTP client, the mock J-LIS). */
  readonly clientCpuMs: number;
  /** How busy all cores were during the window (everything on the machine: us, PostgreSQL, other jobs), %. */
  readonly machineBusy: number;
}

/** A timed window after a warm-up: `inWindow` tells whether an operation started and ended inside it. */
function window(seconds: number, warmupSeconds: number) {
  const start = performance.now() + warmupSeconds * 1000;
  const end = start + seconds * 1000;
  return {
    start,
    end,
    running: () => performance.now() < end,
    inWindow: (t0: number, t1: number) => t0 >= start && t1 <= end,
    /** Calls `measure` at the start and at the end of the window. */
    span<T>(measure: () => T): Promise<[T, T]> {
      return new Promise((resolve) => {
        setTimeout(() => {
          const before = measure();
          setTimeout(() => resolve([before, measure()]), end - performance.now());
        }, start - performance.now());
      });
    },
    /** `measure` at the end of the window minus at its start. */
    delta(measure: () => number): Promise<number> {
      return this.span(measure).then(([before, after]) => after - before);
    },
  };
}

/** Machine busy % over the window. */
function busyOver(w: ReturnType<typeof window>): Promise<number> {
  return w
    .span(machineTicks)
    .then(([a, b]) => Math.round((100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total)));
}

const ownCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

const round2 = (x: number) => Math.round(x * 100) / 100;

export const machine = () =>
  `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`;

async function w3Client(
  url: string,
  card: BenchCard,
  deviceId: string,
  w: ReturnType<typeof window>,
  out: { apply: number[]; round: number[]; failed: number; lastError?: string },
): Promise<void> {
  const application = { certificateKind: 'resident-record', copies: 1 };
  const certificate = Buffer.from(card.authCertificate).toString('base64');
  while (w.running()) {
    const t0 = performance.now();
    const challenge = await call(`${url}w3/challenge`, { body: {} });
    if (challenge.status !== 200) {
      out.failed++;
      out.lastError = JSON.stringify(challenge.json);
      continue;
    }
    const { challengeId, challenge: toBeSigned } = challenge.json as {
      challengeId: string;
      challenge: string;
    };
    const signature = sign('sha256', Buffer.from(toBeSigned, 'base64'), card.authKey).toString('base64');
    const t1 = performance.now();
    const applied = await call(`${url}w3/applications`, {
      body: { deviceId, application, auth: { challengeId, certificate, signature } },
    });
    const t2 = performance.now();
    if (applied.status !== 201) {
      out.failed++;
      out.lastError = JSON.stringify(applied.json);
      continue;
    }
    if (w.inWindow(t0, t2)) {
      out.apply.push(t2 - t1);
      out.round.push(t2 - t0);
    }
  }
}

export async function benchW3Once(
  env: WorkflowEnv,
  db: Db,
  processes: number,
  clients = W3_CLIENTS,
): Promise<W3Result> {
  const config = await env.config(db);
  const servers = await startServerProcesses(config, processes);
  try {
    const out = { apply: [] as number[], round: [] as number[], failed: 0, lastError: undefined };
    const w = window(SECONDS, WARMUP_SECONDS);
    const serverCpu = w.delta(() => servers.cpuSeconds());
    const clientCpu = w.delta(ownCpuSeconds);
    const busy = busyOver(w);
    await Promise.all(
      Array.from({ length: clients }, (_, i) =>
        w3Client(servers.urls[i % processes]!, env.cards[i % env.cards.length]!, `bench-phone-${i}`, w, out),
      ),
    );
    if (out.apply.length === 0)
      throw new Error(`no W3 application was accepted (last answer: ${out.lastError})`);
    return {
      db,
      processes,
      clients,
      seconds: SECONDS,
      accepted: out.apply.length,
      perSecond: Math.round(out.apply.length / SECONDS),
      applyP50: percentile(out.apply, 50),
      applyP99: percentile(out.apply, 99),
      roundP50: percentile(out.round, 50),
      roundP99: percentile(out.round, 99),
      failed: out.failed,
      serverCpuMs: round2(((await serverCpu) * 1000) / out.apply.length),
      clientCpuMs: round2(((await clientCpu) * 1000) / out.apply.length),
      machineBusy: await busy,
    };
  } finally {
    await servers.stop();
  }
}

/** `BENCH_W3_CONFIGS` picks configurations, e.g. `sqlite:1,postgres:2` (default: SQLite and PostgreSQL, 1 and 2 processes each). */
export async function benchW3(): Promise<W3Result[]> {
  const configs = (process.env.BENCH_W3_CONFIGS ?? 'sqlite:1,sqlite:2,postgres:1,postgres:2')
    .split(',')
    .map((c) => {
      const [db, n] = c.split(':');
      return { db: db as Db, processes: Number(n ?? 1) };
    });
  const env = await createWorkflowEnv();
  try {
    const rows: W3Result[] = [];
    for (const { db, processes } of configs) rows.push(await benchW3Once(env, db, processes));
    return rows;
  } finally {
    await env.close();
  }
}

/*
 * W1 with the real FacePool: booths post renewal applications (a portrait crop of a face-api demo photo as the live
 * photo, the same person's card-like JPEG 2000 as the chip photo, the persona's real certificates) and long-poll the
 * case until the face decision is taken. Renewal at J-LIS is a fake that answers at once (see server-process.ts), so
 * a case ends at `awaiting-card` and what is timed is the certificate check plus the face check.
 */

const W1_BOOTHS = Number(process.env.BENCH_W1_BOOTHS ?? 4);
const DECIDED = new Set(['held', 'renewal-requested', 'awaiting-card', 'rejected', 'failed']);

export interface W1Result {
  readonly db: Db;
  readonly processes: number;
  readonly poolSize: number;
  readonly booths: number;
  readonly seconds: number;
  /** Face checks (faces-compared events) completed in the window. */
  readonly faceChecks: number;
  readonly perSecond: number;
  /** From the case's start to its faces-compared event, from the server's event log. */
  readonly decisionP50: number;
  readonly decisionP99: number;
  /** From the booth's POST to the booth seeing the decision (long-poll, which re-reads the case every 100 ms). */
  readonly boothP50: number;
  readonly boothP99: number;
  readonly outcomes: Record<string, number>;
  readonly serverCpuMs: number;
  readonly machineBusy: number;
}

interface BoothBody {
  readonly body: string;
}

async function boothBodies(env: WorkflowEnv): Promise<BoothBody[]> {
  const { cardPhotoOf, closeFaceEngine, portraitPhoto, samplePhoto } = await import(
    '@mynakit/testkit/environment'
  );
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const bodies: BoothBody[] = [];
  try {
    for (const [i, { persona, card }] of env.cards.entries()) {
      const n = ((i % 6) + 1) as 1 | 2 | 3 | 4 | 5 | 6;
      const { sign, auth } = card.certificates;
      bodies.push({
        body: JSON.stringify({
          certificates: { auth: b64(auth), sign: sign === null ? null : b64(sign) },
          holder: {
            name: persona.name,
            address: persona.address,
            birthDate: persona.birthDate,
            sex: persona.sex,
          },
          cardPhoto: b64(await cardPhotoOf(samplePhoto(n))),
          livePhoto: b64(await portraitPhoto(n)),
          livePhotoType: 'image/jpeg',
        }),
      });
    }
  } finally {
    await closeFaceEngine();
  }
  return bodies;
}

async function boothClient(
  url: string,
  key: string,
  body: BoothBody,
  w: ReturnType<typeof window>,
  out: { cases: Map<string, number>; booth: number[]; outcomes: Record<string, number>; lastError?: string },
): Promise<void> {
  const auth = { authorization: `Bearer ${key}` };
  while (w.running()) {
    const t0 = performance.now();
    const response = await call(`${url}w1/renewals`, {
      headers: { ...auth, 'idempotency-key': randomUUID() },
      body: body.body,
    });
    let view = response.json as { caseId: string; version: number; status: string };
    if (response.status !== 202) {
      out.lastError = JSON.stringify(view);
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    while (!DECIDED.has(view.status) && w.running()) {
      const polled = await call(`${url}w1/renewals/${view.caseId}?wait=30&since=${view.version}`, {
        headers: auth,
      });
      view = polled.json as typeof view;
    }
    const t1 = performance.now();
    out.cases.set(view.caseId, t0);
    if (DECIDED.has(view.status)) {
      out.outcomes[view.status] = (out.outcomes[view.status] ?? 0) + 1;
      if (w.inWindow(t0, t1)) out.booth.push(t1 - t0);
    }
  }
}

async function caseTimes(
  config: Awaited<ReturnType<WorkflowEnv['config']>>,
  caseIds: readonly string[],
): Promise<{ started: number; decided: number | undefined }[]> {
  const store =
    typeof config.db === 'string' && config.db.startsWith('sqlite:')
      ? await (await import('@mynakit/workflows/sqlite')).SqliteWorkflowStore.open(config.db.slice(7), {
          migrate: false,
        })
      : await (await import('@mynakit/workflows/postgres')).PostgresWorkflowStore.connect(config.db, {
          schema: config.postgresSchema,
        });
  try {
    const times = [];
    for (const caseId of caseIds) {
      const events = await store.events(caseId);
      const decided = events.find((e) => (e.event as { type?: string }).type === 'faces-compared');
      times.push({ started: events[0]!.at.getTime(), decided: decided?.at.getTime() });
    }
    return times;
  } finally {
    await store.close();
  }
}

export async function benchW1Once(
  env: WorkflowEnv,
  bodies: readonly BoothBody[],
  db: Db,
  processes: number,
  poolSize: number,
  booths = W1_BOOTHS,
): Promise<W1Result> {
  const config = await env.config(db, {
    face: { poolSize, policy: { cardThreshold: 0.55, delta: 0.15 }, historyLimit: 5 },
  });
  const servers = await startServerProcesses(config, processes, { fakeRenewal: true });
  try {
    const out = { cases: new Map<string, number>(), booth: [] as number[], outcomes: {} };
    const w = window(SECONDS, W1_WARMUP_SECONDS);
    const serverCpu = w.delta(() => servers.cpuSeconds());
    const busy = busyOver(w);
    const wall = w.delta(() => Date.now());
    const startedAt = new Promise<number>((resolve) =>
      setTimeout(() => resolve(Date.now()), w.start - performance.now()),
    );
    await Promise.all(
      Array.from({ length: booths }, (_, i) =>
        boothClient(servers.urls[i % processes]!, env.boothKey, bodies[i % bodies.length]!, w, out),
      ),
    );
    const from = await startedAt;
    const to = from + (await wall);
    const times = await caseTimes(config, [...out.cases.keys()]);
    const inWindow = times.filter((t) => t.decided !== undefined && t.decided >= from && t.decided <= to);
    const decision = times
      .filter((t) => t.decided !== undefined && t.started >= from && t.decided <= to)
      .map((t) => t.decided! - t.started);
    if (inWindow.length === 0) throw new Error('no face check completed in the window');
    return {
      db,
      processes,
      poolSize,
      booths,
      seconds: SECONDS,
      faceChecks: inWindow.length,
      perSecond: Math.round((inWindow.length / SECONDS) * 10) / 10,
      decisionP50: percentile(decision, 50),
      decisionP99: percentile(decision, 99),
      boothP50: percentile(out.booth, 50),
      boothP99: percentile(out.booth, 99),
      outcomes: out.outcomes,
      serverCpuMs: round2(((await serverCpu) * 1000) / inWindow.length),
      machineBusy: await busy,
    };
  } finally {
    await servers.stop();
  }
}

/** `BENCH_W1_CONFIGS`: `db:processes:poolSize,…` (default SQLite 1×1 and 1×2, PostgreSQL 1×2 and 2×1). */
export async function benchW1(): Promise<W1Result[]> {
  const configs = (process.env.BENCH_W1_CONFIGS ?? 'sqlite:1:1,sqlite:1:2,postgres:1:2,postgres:2:1')
    .split(',')
    .map((c) => {
      const [db, n, pool] = c.split(':');
      return { db: db as Db, processes: Number(n ?? 1), poolSize: Number(pool ?? 1) };
    });
  const env = await createWorkflowEnv();
  try {
    const bodies = await boothBodies(env);
    const rows: W1Result[] = [];
    for (const { db, processes, poolSize } of configs)
      rows.push(await benchW1Once(env, bodies, db, processes, poolSize));
    return rows;
  } finally {
    await env.close();
  }
}
