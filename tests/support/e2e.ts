import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MyNumberCard } from '@mynakit/card';
import { PcscTransport } from '@mynakit/card/pcsc';
import {
  collationNumberB,
  getPersona,
  normalizeSerialHex,
  type Persona,
  personaSchema,
  VirtualCardSlot,
  type VirtualMyNumberCard,
  type VpcdCardEmulator,
} from '@mynakit/testkit';
import {
  cardPhotoOf,
  closeFaceEngine,
  type MockEnvironment,
  type MockEnvironmentOptions,
  portraitPhoto,
  type SampleNumber,
  startMockEnvironment,
} from '@mynakit/testkit/environment';
import { createRedactingLogger, type LogRecord } from '@mynakit/workflows';
import { BoothClient, type BoothProgress, FileCamera, ServerClient } from '@mynakit/workflows/device';
import type { PostgresWorkflowStore } from '@mynakit/workflows/postgres';
import type { ApiRole } from '@mynakit/workflows/server';
import { expect } from 'vitest';

/*
 * End-to-end harness: the whole mock world of `startMockEnvironment` (mock J-LIS, administrative and issuance
 * servers, the reference server with its real face pool) on SQLite or PostgreSQL, and virtual cards reached through
 * the real pcscd + vpcd stack. Only vpcd port 35963 is used ("Virtual PCD 00 00"): the other port belongs to
 * other suites.
 */

export const VPCD_PORT = 35963;
export const PG_URL = (process.env.MYNAKIT_PG_URL ??
  'postgres://postgres@127.0.0.1:54329/mynakit_test') as `postgres://${string}`;
export type DbKind = 'sqlite' | 'postgres';
export const DATABASES: readonly DbKind[] = ['sqlite', 'postgres'];

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of many shapes
export type Json = any;

export interface E2e {
  readonly kind: DbKind;
  readonly env: MockEnvironment;
  /** Every record the server logged (debug and up), already redacted by the product's logger. */
  readonly logs: LogRecord[];
  close(): Promise<void>;
}

/** One environment per describe block: the face pool costs seconds to start. */
export async function startE2e(
  kind: DbKind,
  label: string,
  options: Omit<MockEnvironmentOptions, 'db' | 'postgresSchema'> = {},
): Promise<E2e> {
  const logs: LogRecord[] = [];
  const logger = createRedactingLogger((record) => logs.push(record), { level: 'debug' });
  const schema = `e2e_${label}_${randomBytes(5).toString('hex')}`;
  const env = await startMockEnvironment({
    ...options,
    ...(kind === 'postgres' ? { db: PG_URL, postgresSchema: schema } : { db: 'sqlite' }),
    serverOptions: { ...options.serverOptions, logger },
  });
  return {
    kind,
    env,
    logs,
    close: async () => {
      if (kind === 'postgres') {
        // Dropped while the server still holds its pool; a worker poll failing in between only logs a warning.
        await (env.server.store as PostgresWorkflowStore).pool
          .query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
          .catch(() => undefined);
      }
      await env.close();
    },
  };
}

const PHOTO_CACHE = join(tmpdir(), 'mynakit-e2e-photos-v1');

async function cached(name: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const file = join(PHOTO_CACHE, name);
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    const bytes = await make();
    await mkdir(PHOTO_CACHE, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    return bytes;
  }
}

/**
 * Person `n` (1–6, six different people): a live photo (a portrait crop) and the chip photo of the same person
 * (JPEG 2000). Made once with the face engine and cached in the temp dir, so later files skip the engine.
 */
export async function personPhotos(n: SampleNumber): Promise<{ live: Uint8Array; card: Uint8Array }> {
  const live = await cached(`portrait-${n}.jpg`, () => portraitPhoto(n));
  const card = await cached(`card-${n}.jp2`, () => cardPhotoOf(live));
  return { live, card };
}

/** Call in afterAll when `personPhotos` may have started the shared engine. */
export const closePhotoEngine = closeFaceEngine;

let personaSeq = 0;
const GIVEN = ['一郎', '二郎', '三郎', '四郎', '五郎', '六郎', '七郎', '八郎', '九郎', '十郎'];

function uniqueSubject(): { authSubjectId: string; requestSequence: string } {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const id = [...randomBytes(23)].map((b) => alphabet[b % 36]).join('');
  return {
    authSubjectId: id,
    requestSequence: String(randomBytes(2).readUInt16BE() % 100000).padStart(5, '0'),
  };
}

/**
 * A new card holder for one test (its own name, hence its own history and person key, and its own certificates),
 * modelled on a built-in persona.
 */
export function freshPersona(base = 'taro'): Persona {
  const p = getPersona(base);
  const seq = ++personaSeq;
  const family = p.name.split('\u3000')[0]!;
  const given = `${GIVEN[seq % GIVEN.length]}${GIVEN[Math.floor(seq / GIVEN.length) % GIVEN.length]}`;
  return personaSchema.parse({
    ...p,
    id: `${base.slice(0, 6)}-${seq}-${randomBytes(2).toString('hex')}`,
    name: `${family}\u3000${given}`,
    jpki: { ...p.jpki, ...uniqueSubject() },
  });
}

/**
 * Another card of the same card holder as far as the server can tell (same name and birth date, hence the same
 * person key), with its own certificates: e.g. a card re-issued after a loss.
 */
export function sameHolderOtherCard(persona: Persona): Persona {
  const seq = ++personaSeq;
  return personaSchema.parse({
    ...persona,
    id: `${persona.id.slice(0, 6)}-${seq}-${randomBytes(2).toString('hex')}`,
    jpki: { ...persona.jpki, ...uniqueSubject() },
  });
}

/** Issues a card to `persona` at the environment's J-LIS with the chip photo of person `face`. */
export async function issueCard(
  e2e: E2e,
  persona: Persona,
  face: SampleNumber,
): Promise<VirtualMyNumberCard> {
  return e2e.env.jlis.issueCard(persona, { facePhoto: (await personPhotos(face)).card });
}

/**
 * The card in the booth's (or phone's) reader, reached through pcscd: inserted into vpcd, opened by reader name,
 * always closed and removed afterwards, even when the test fails.
 */
export async function withCard<T>(
  virtual: VpcdCardEmulator,
  run: (card: MyNumberCard, slot: VirtualCardSlot) => Promise<T>,
): Promise<T> {
  const slot = new VirtualCardSlot(virtual, { port: VPCD_PORT });
  const transport = new PcscTransport();
  try {
    await slot.insert();
    const card = await MyNumberCard.open(transport, slot.reader);
    try {
      return await run(card, slot);
    } finally {
      await card.close().catch(() => undefined);
    }
  } finally {
    await transport.close().catch(() => undefined);
    await slot.remove();
  }
}

/** What the applicant types at the booth. */
export function boothInput(persona: Persona) {
  return {
    inputSupportPin: persona.pins.textAp,
    collationNumberB: collationNumberB(persona),
    ...(persona.pins.sign !== null && { signPassword: persona.pins.sign }),
  };
}

export function serverClient(e2e: E2e, role?: ApiRole): ServerClient {
  return new ServerClient({
    baseUrl: e2e.env.url,
    ...(role !== undefined && { apiKey: e2e.env.apiKeys[role] }),
    retryDelayMs: 50,
  });
}

/** A booth with the card in its reader and a camera that returns `livePhoto`; `events` collects its progress. */
export function booth(
  e2e: E2e,
  card: MyNumberCard,
  livePhoto: Uint8Array,
  options: { capturedAt?: Date; maxWaitMs?: number } = {},
): { client: BoothClient; events: BoothProgress[] } {
  const at = options.capturedAt;
  const client = new BoothClient({
    card,
    camera: new FileCamera([livePhoto], at === undefined ? {} : { clock: () => at }),
    server: serverClient(e2e, 'booth'),
    pollWaitSeconds: 5,
    maxWaitMs: options.maxWaitMs ?? 60_000,
  });
  const events: BoothProgress[] = [];
  client.on('progress', (event) => events.push(event));
  return { client, events };
}

/** A JSON request to the reference server with a role's key (GET without body, POST with one). */
export async function api(
  e2e: E2e,
  role: ApiRole | null,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const response = await fetch(new URL(path.replace(/^\//, ''), e2e.env.url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(role !== null && { authorization: `Bearer ${e2e.env.apiKeys[role]}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Json = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, json };
}

/** The municipality's reception record of a case (W1.5). */
export async function receptionRecord(e2e: E2e, caseId: string): Promise<Json> {
  const { status, json } = await api(e2e, 'municipality', `/review/api/cases/${caseId}`);
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

/** A reviewer's decision on a held case through the review API. */
export async function decide(
  e2e: E2e,
  caseId: string,
  decision: 'approve' | 'reject',
  reason: string,
): Promise<{ status: number; json: Json }> {
  return api(e2e, 'municipality', `/review/api/cases/${caseId}/decision`, { decision, reason });
}

/** Polls the reception record until the case reaches one of `statuses` (the worker runs effects in the background). */
export async function waitForRecord(e2e: E2e, caseId: string, statuses: readonly string[]): Promise<Json> {
  for (let round = 0; round < 600; round++) {
    const record = await receptionRecord(e2e, caseId);
    if (statuses.includes(record.status)) return record;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`case never reached ${statuses.join('|')}`);
}

/** J-LIS's counters over its control API. */
export async function jlisStats(
  e2e: E2e,
): Promise<{ renewalRequests: number; renewalConfirmations: number }> {
  const response = await fetch(new URL('control/stats', e2e.env.jlisServer.url));
  return (await response.json()) as { renewalRequests: number; renewalConfirmations: number };
}

export const serialOf = (der: Uint8Array) => normalizeSerialHex(new X509Certificate(der).serialNumber);

/**
 * Everything the server stored in its database, as text: the SQLite file and its WAL or every row of every
 * table of the PostgreSQL schema. For "nothing personal in clear at rest" checks.
 */
export async function storedText(e2e: E2e): Promise<string> {
  // UTF-8 decoding keeps any clear-text name or address in the file findable as a string.
  if (e2e.kind === 'postgres') {
    const store = e2e.env.server.store as PostgresWorkflowStore;
    const tables = await store.pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [store.schema],
    );
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await store.pool.query<{ row: string }>(
        `SELECT t::text AS row FROM "${store.schema}"."${table_name}" t`,
      );
      parts.push(...rows.rows.map((r) => r.row));
    }
    return parts.join('\n');
  }
  const file = join(e2e.env.dataDir, 'mynakit.sqlite');
  const parts = await Promise.all(
    [file, `${file}-wal`].map((f) =>
      readFile(f)
        .then((b) => b.toString('utf8'))
        .catch(() => ''),
    ),
  );
  return parts.join('\n');
}

/** Asserts that no PIN, My Number, name, address or birth date of `persona` reached the server's log records. */
export function expectNoPersonalDataInLogs(logs: readonly LogRecord[], persona: Persona): void {
  expect(logs.length).toBeGreaterThan(0);
  const text = JSON.stringify(logs);
  const secrets = [
    persona.myNumber,
    persona.name,
    persona.name.split('\u3000')[1]!,
    persona.nameKana,
    persona.address,
    persona.birthDate,
    collationNumberB(persona),
    ...(persona.pins.sign === null ? [] : [persona.pins.sign]),
  ];
  for (const secret of secrets) expect(text.includes(secret), 'personal data in the server log').toBe(false);
  // 4-digit PINs are too short to search for in free text; look for them as whole JSON values instead.
  for (const pin of [persona.pins.auth, persona.pins.textAp]) expect(text).not.toContain(`"${pin}"`);
}
