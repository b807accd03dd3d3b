import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTransport, MyNumberCard } from '@mynakit/card';
import type { FaceDecision } from '@mynakit/face';
import { collationNumberB, getPersona, type JlisServer, MockJlis, startJlisServer } from '@mynakit/testkit';
import {
  createRedactingLogger,
  type FaceCheckPort,
  type FaceCheckResult,
  type LogRecord,
} from '@mynakit/workflows';
import { encodeRgbPng } from '@mynakit/workflows/node';
import {
  type ApiRole,
  createReferenceServer,
  generateApiKey,
  type ReferenceServer,
  type ReferenceServerOptions,
  type ServerConfigInput,
} from '@mynakit/workflows/server';
import { mockJlisConfig, testKeyring } from './server-config.js';

// The reference server on SQLite in a temp dir, the mock J-LIS, and a virtual card whose certificates and chip photo
// a booth would send. The face check is a fake that answers what the test asks for (the real one is tested elsewhere).

export const persona = getPersona('taro');

export type FakeFaceOutcome = 'match' | 'no-match' | 'hold';

/** A decision in @mynakit/face's shape: a hold by the similarity-delta rule, a match or a no-match. */
export function fakeDecision(outcome: FakeFaceOutcome): FaceDecision {
  const hold = outcome === 'hold';
  const card = outcome === 'no-match' ? 0.31 : 0.74;
  const history = hold ? 0.42 : 0.71;
  return {
    outcome,
    rule: outcome === 'match' ? 'passed' : hold ? 'similarity-delta' : 'card-threshold',
    firedRules: outcome === 'match' ? [] : hold ? ['similarity-delta'] : ['card-threshold'],
    scores: { card, history, historyEach: [history] },
    delta: card - history,
    thresholds: {
      card: 0.55,
      delta: 0.2,
      historyFloor: null,
      historyCombine: 'median',
      historyInfluenceCap: 0.1,
      historyJoinMargin: 0.05,
    },
    checks: {
      cardThreshold: { applicable: true, fired: outcome === 'no-match' },
      similarityDelta: { applicable: true, fired: hold },
      historyFloor: { applicable: false, fired: false, notApplicableReason: 'not-configured' },
    },
    model: 'fake-model',
    preprocessing: 'fake',
  };
}

export class FakeFaceCheck implements FaceCheckPort {
  calls = 0;
  constructor(public outcome: FakeFaceOutcome) {}
  async compare(): Promise<FaceCheckResult> {
    this.calls++;
    return {
      outcome: this.outcome,
      qualityFailures: [],
      decision: fakeDecision(this.outcome),
      checkedAt: new Date().toISOString(),
    };
  }
}

/** A 96×128 RGB gradient as PNG: a "live photo" any browser decodes. */
export function livePhotoPng(): Uint8Array {
  const width = 96;
  const height = 128;
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels.set([x * 2, y * 2, 128], (y * width + x) * 3);
  return encodeRgbPng(pixels, width, height);
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Answers as the tests read them. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in the tests
export type Json = any;

export interface ServerFixture {
  readonly server: ReferenceServer;
  readonly base: string;
  readonly keys: Record<ApiRole, string>;
  /** A second booth's key (booth-2). */
  readonly otherBoothKey: string;
  readonly jlis: MockJlis;
  readonly jlisServer: JlisServer;
  readonly card: MyNumberCard;
  readonly face: FakeFaceCheck;
  readonly dir: string;
  /** Warnings and errors the server logged (redacted). */
  readonly logs: LogRecord[];
  /** The configuration the server runs with (a second process on the same database uses it too). */
  readonly config: ServerConfigInput;
  /** Another server process (in this test process) on the same database and photo directory. */
  startAnother(options?: ReferenceServerOptions): Promise<ReferenceServer>;
  /** The renewal application body a booth sends for the virtual card. */
  application(): Promise<Record<string, unknown>>;
  request(
    path: string,
    init?: { method?: string; key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; json: Json; headers: Headers }>;
  close(): Promise<void>;
}

export async function startServerFixture(
  options: {
    face?: FakeFaceOutcome;
    server?: ReferenceServerOptions;
    config?: Partial<ServerConfigInput>;
  } = {},
): Promise<ServerFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'mynakit-server-'));
  const jlis = await MockJlis.create();
  const jlisServer = await startJlisServer(jlis);
  const transport = new MemoryTransport(['reader']);
  transport.insert('reader', await jlis.issueCard(persona.id));
  const card = await MyNumberCard.open(transport, 'reader');
  const roles = ['booth', 'kiosk', 'municipality', 'ekyc'] as const;
  const generated = roles.map((role) => generateApiKey({ id: `${role}-1`, role }));
  const otherBooth = generateApiKey({ id: 'booth-2', role: 'booth' });
  const keys = Object.fromEntries(roles.map((role, i) => [role, generated[i]!.key])) as Record<
    ApiRole,
    string
  >;
  const face = new FakeFaceCheck(options.face ?? 'match');
  const logs: LogRecord[] = [];
  const config: ServerConfigInput = {
    db: `sqlite:${join(dir, 'mynakit.sqlite')}`,
    port: 0,
    dataDir: dir,
    keyring: testKeyring(),
    pepper: randomBytes(32).toString('base64'),
    apiKeys: [...generated.map((g) => g.entry), otherBooth.entry],
    jlis: mockJlisConfig(jlisServer.url, jlis),
    w4: { verifierId: 'bank-1' },
    worker: { intervalMs: 20, leaseMs: 30_000 },
    ...options.config,
  };
  const server = await createReferenceServer(config, {
    faceCheck: face,
    logger: createRedactingLogger((record) => logs.push(record), { level: 'warn' }),
    ...options.server,
  });
  const base = server.url.replace(/\/$/, '');

  let cached: Record<string, unknown> | undefined;
  const others: ReferenceServer[] = [];
  return {
    server,
    base,
    keys,
    otherBoothKey: otherBooth.key,
    jlis,
    jlisServer,
    card,
    face,
    dir,
    logs,
    config,
    async startAnother(more = {}) {
      const other = await createReferenceServer(config, {
        faceCheck: face,
        logger: createRedactingLogger((record) => logs.push(record), { level: 'warn' }),
        ...more,
      });
      others.push(other);
      return other;
    },
    async application() {
      if (cached === undefined) {
        const auth = await card.jpki.readCertificate('auth');
        await card.jpki.verifySignPassword(persona.pins.sign!);
        const sign = await card.jpki.readCertificate('sign');
        await card.cardSurface.verifyNumberB(collationNumberB(persona));
        const front = await card.cardSurface.readFront();
        cached = {
          certificates: { auth: b64(auth), sign: b64(sign) },
          holder: {
            name: persona.name,
            address: persona.address,
            birthDate: persona.birthDate,
            sex: persona.sex,
          },
          cardPhoto: b64(front.facePhoto),
          livePhoto: b64(livePhotoPng()),
          livePhotoType: 'image/png',
          capturedAt: new Date().toISOString(),
        };
      }
      return cached;
    },
    async request(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? null : init.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers,
        ...(init.body !== undefined && {
          body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
        }),
      });
      const text = await response.text();
      let json: Json = text;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON (the review page) */
      }
      return { status: response.status, json, headers: response.headers };
    },
    async close() {
      for (const other of others) await other.close();
      await server.close();
      await card.close();
      await jlisServer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
