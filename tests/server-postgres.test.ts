import { randomBytes } from 'node:crypto';
import type { EffectHandler } from '@mynakit/workflows';
import type { PostgresWorkflowStore } from '@mynakit/workflows/postgres';
import type { ReferenceServer } from '@mynakit/workflows/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, persona, type ServerFixture, startServerFixture } from './support/server-fixture.js';

const url = process.env.MYNAKIT_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/mynakit_test';

async function call(
  server: ReferenceServer,
  path: string,
  key: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${server.url}${path.slice(1)}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, json: await response.json() };
}

async function waitFor(server: ReferenceServer, key: string, caseId: string, statuses: readonly string[]) {
  let since = 0;
  for (let round = 0; round < 60; round++) {
    const { status, json } = await call(server, `/w2/registrations/${caseId}?wait=5&since=${since}`, key);
    expect(status, JSON.stringify(json)).toBe(200);
    if (statuses.includes(json.status)) return json;
    since = json.version;
  }
  throw new Error(`never reached ${statuses.join('|')}`);
}

describe('two reference server processes on one PostgreSQL', () => {
  let fx: ServerFixture;
  let a: ReferenceServer;
  let b: ReferenceServer;
  const schema = `mynakit_server_${randomBytes(6).toString('hex')}`;
  let injected = 0;

  beforeAll(async () => {
    // The first face comparison fails in whichever process runs it (a fault injected around the handler): the
    // outbox retries it, in either process.
    const failOnce = (type: string, handler: EffectHandler<unknown>): EffectHandler<unknown> =>
      type !== 'compare-faces'
        ? handler
        : (effect, context) => {
            if (injected++ === 0) throw new Error('injected fault');
            return handler(effect, context);
          };
    try {
      fx = await startServerFixture({
        face: 'hold',
        config: { db: url, postgresSchema: schema },
        server: { wrapEffectHandler: failOnce, workerId: 'process-a' },
      });
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable (${(error as Error).message}). Start it with scripts/start-postgres.sh or set MYNAKIT_PG_URL.`,
      );
    }
    a = fx.server;
    b = await fx.startAnother({ wrapEffectHandler: failOnce, workerId: 'process-b' });
  });

  afterAll(async () => {
    if (fx === undefined) return;
    await (a.store as PostgresWorkflowStore).pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await fx.close();
  });

  it('a case applied at A is held, reviewed at B with its photos, approved, and completes once', async () => {
    const applied = await call(a, '/w2/registrations', fx.keys.booth, {
      body: await fx.application(),
      headers: { 'idempotency-key': 'pg-two-processes-1' },
    });
    expect(applied.status, JSON.stringify(applied.json)).toBe(202);
    const caseId = applied.json.caseId as string;

    // The booth may poll either process.
    expect((await waitFor(b, fx.keys.booth, caseId, ['held', 'rejected'])).status).toBe('held');
    expect(injected).toBe(2);
    expect(fx.face.calls).toBe(1);

    const listed = await call(b, '/review/api/cases?status=held', fx.keys.municipality);
    expect(listed.json.cases.map((c: { caseId: string }) => c.caseId)).toEqual([caseId]);
    const record = await call(b, `/review/api/cases/${caseId}`, fx.keys.municipality);
    for (const photoId of [record.json.photos.live.photoId, record.json.photos.card.photoId]) {
      const photo = await fetch(`${b.url}review/api/cases/${caseId}/photos/${photoId}`, {
        headers: { authorization: `Bearer ${fx.keys.municipality}` },
      });
      expect(photo.status).toBe(200);
      expect((await photo.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }

    const decided = await call(b, `/review/api/cases/${caseId}/decision`, fx.keys.municipality, {
      body: { decision: 'approve', reason: 'same person' },
    });
    expect(decided.status, JSON.stringify(decided.json)).toBe(200);
    // A second decision (at the other process) finds the case no longer held.
    const again = await call(a, `/review/api/cases/${caseId}/decision`, fx.keys.municipality, {
      body: { decision: 'reject', reason: 'late' },
    });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('WRONG_STATE');

    expect((await waitFor(a, fx.keys.booth, caseId, ['completed', 'rejected'])).status).toBe('completed');
    const final = await call(a, `/review/api/cases/${caseId}`, fx.keys.municipality);
    expect(final.json.review.reviewerId).toBe('municipality-1');
    expect(final.json.historyJoined).toBe(true);
    expect(fx.face.calls).toBe(1);
  });

  it('a W4 login challenge issued by A is answered at B, once', async () => {
    const start = await call(a, '/w4/login/start', fx.keys.ekyc, { body: {} });
    expect(start.status).toBe(200);
    await fx.card.jpki.verifyAuthPin(persona.pins.auth);
    const signature = await fx.card.jpki.sign(
      'auth',
      Buffer.from(start.json.toBeSigned, 'base64'),
      'SHA-256',
    );
    const answer = {
      challengeId: start.json.challengeId,
      certificate: Buffer.from(await fx.card.jpki.readCertificate('auth')).toString('base64'),
      signature: Buffer.from(signature).toString('base64'),
    };
    const login = await call(b, '/w4/login', fx.keys.ekyc, { body: answer });
    expect(login.status, JSON.stringify(login.json)).toBe(200);
    expect(login.json.newlyBound).toBe(true);
    // Single use across processes: the same answer at A is refused.
    const replay = await call(a, '/w4/login', fx.keys.ekyc, { body: answer });
    expect(replay.status).toBe(400);
    expect(replay.json.error.code).toBe('CHALLENGE_INVALID');
  });
});
