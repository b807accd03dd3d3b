import { DeviceClientError, ServerClient } from '@mynakit/workflows/device';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeReply, type FakeServer, jsonError, startFakeServer } from './support/device-fake-server.js';

const okSchema = z.object({ ok: z.literal(true) });
const secretBody = { pin: '1234', photo: 'QUJDREVGR0g=', receptionNumber: '123456789012345' };

describe('ServerClient', () => {
  let server: FakeServer;
  afterEach(() => server?.close());

  async function serve(...replies: FakeReply[]): Promise<ServerClient> {
    let next = 0;
    server = await startFakeServer(() => replies[Math.min(next++, replies.length - 1)]!);
    return new ServerClient({ baseUrl: server.url, apiKey: 'booth-key', retryDelayMs: 1, retries: 2 });
  }

  async function failure(promise: Promise<unknown>): Promise<DeviceClientError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeviceClientError);
    return error as DeviceClientError;
  }

  it('sends the API key and JSON, and resolves with the validated answer', async () => {
    const client = await serve({ status: 200, body: { ok: true, extra: 1 } });
    await expect(client.post('/w1/renewals', { a: 1 }, okSchema)).resolves.toEqual({ ok: true });
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/w1/renewals', body: { a: 1 } });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer booth-key');
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('resolves paths below a base URL with a path prefix', async () => {
    const client = await serve({ status: 200, body: { ok: true } });
    const prefixed = new ServerClient({ baseUrl: `${server.url}api`, retryDelayMs: 1 });
    await prefixed.get('/healthz', okSchema);
    await client.get('healthz?x=1', okSchema);
    expect(server.requests.map((r) => r.path)).toEqual(['/api/healthz', '/healthz']);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('retries a POST with an idempotency key after a dropped connection and a 5xx, with the same key', async () => {
    const client = await serve('destroy', jsonError(503, 'UNAVAILABLE'), { status: 202, body: { ok: true } });
    await client.post('/w1/renewals', secretBody, okSchema, { idempotencyKey: 'key-1' });
    expect(server.requests).toHaveLength(3);
    expect(server.requests.map((r) => r.headers['idempotency-key'])).toEqual(['key-1', 'key-1', 'key-1']);
    expect(server.requests.map((r) => r.body)).toEqual([secretBody, secretBody, secretBody]);
  });

  it('does not resend a POST without an idempotency key', async () => {
    const client = await serve('destroy', { status: 200, body: { ok: true } });
    const error = await failure(client.post('/w3/device/confirm', secretBody, okSchema));
    expect(error.code).toBe('NETWORK');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the retries with SERVER_ERROR', async () => {
    const client = await serve(jsonError(500, 'INTERNAL'));
    const error = await failure(client.get('/w1/renewals/x', okSchema));
    expect(error).toMatchObject({ code: 'SERVER_ERROR', status: 500 });
    expect(server.requests).toHaveLength(3);
  });

  it('never retries a definite 4xx, and maps statuses to codes', async () => {
    const cases: [FakeReply, string][] = [
      [jsonError(401, 'UNAUTHENTICATED'), 'UNAUTHENTICATED'],
      [jsonError(403, 'FORBIDDEN'), 'FORBIDDEN'],
      [jsonError(404, 'RECEPTION_NUMBER_NOT_AVAILABLE'), 'NOT_AVAILABLE'],
      [jsonError(404, 'CASE_NOT_FOUND'), 'NOT_FOUND'],
      [jsonError(400, 'INVALID_REQUEST'), 'REJECTED'],
      [jsonError(409, 'IDEMPOTENCY_CONFLICT'), 'REJECTED'],
    ];
    for (const [reply, code] of cases) {
      const client = await serve(reply, { status: 200, body: { ok: true } });
      const error = await failure(client.post('/w1/renewals', secretBody, okSchema, { idempotencyKey: 'k' }));
      expect(error.code).toBe(code);
      expect(server.requests).toHaveLength(1);
      await server.close();
    }
  });

  it('reports RATE_LIMITED with the seconds to wait, from the body or the Retry-After header', async () => {
    let client = await serve(jsonError(429, 'RATE_LIMITED', { retryAfterSeconds: 7 }));
    expect(await failure(client.post('/w3/kiosk/present', {}, okSchema))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 7,
    });
    await server.close();
    client = await serve({ status: 429, body: {}, headers: { 'retry-after': '12' } });
    expect(await failure(client.post('/w3/kiosk/present', {}, okSchema))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 12,
    });
  });

  it('reports PROTOCOL for an answer that is not JSON or not the promised shape, without quoting it', async () => {
    const client = await serve({ status: 200, body: { ok: 'secret-value-123' } });
    const error = await failure(client.get('/x', okSchema));
    expect(error.code).toBe('PROTOCOL');
    expect(error.message).toContain('ok');
    expect(error.message).not.toContain('secret-value-123');
  });

  it('times out an attempt that gets no answer, and reports TIMEOUT after the retries', async () => {
    const client = await serve('hang');
    const error = await failure(client.get('/slow', okSchema, { timeoutMs: 50 }));
    expect(error.code).toBe('TIMEOUT');
    expect(server.requests).toHaveLength(3);
  });

  it('stops at once when the caller aborts', async () => {
    const client = await serve('hang');
    const controller = new AbortController();
    const pending = client.get('/slow', okSchema, { signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    expect((await failure(pending)).code).toBe('CANCELLED');
    expect(server.requests).toHaveLength(1);
  });

  it('never puts request bodies in error messages or details', async () => {
    for (const reply of ['destroy', jsonError(400, 'INVALID_REQUEST'), jsonError(500, 'X')] as FakeReply[]) {
      const client = await serve(reply);
      const error = await failure(
        client.post('/w3/applications', secretBody, okSchema, { idempotencyKey: 'k' }),
      );
      const text = JSON.stringify({ message: error.message, json: error.toJSON() });
      for (const value of Object.values(secretBody)) expect(text).not.toContain(value);
      await server.close();
    }
  });
});
