import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowRuntime } from '../src/engine/runtime.js';
import { RateLimiter } from '../src/reception/rate-limiter.js';
import { generateReceptionNumber } from '../src/reception/reception-number.js';
import { SqliteWorkflowStore } from '../src/sqlite/index.js';
import { createW3HttpHandler } from '../src/w3/http-handlers.js';
import { InMemoryDeviceNotifier, InMemoryKioskPrinter } from '../src/w3/in-memory-ports.js';
import { IssuanceService, w3EffectHandlers } from '../src/w3/issuance-service.js';
import { certificateIssuanceWorkflow } from '../src/w3/w3-workflow.js';

const device = 'device-aaaa-0001';
const kiosk = 'kiosk-7eleven-0042';
/** The JSON bodies the handlers answer with. */
type Body = { receptionNumber: string; status: string; error: { code: string; message: string } };

const application = { certificateKind: 'seal-registration', copies: 1 };

describe('W3 HTTP handlers (node:http)', () => {
  let store: SqliteWorkflowStore;
  let server: Server;
  let base: string;
  let runtime: WorkflowRuntime;
  let now: Date;
  const clock = () => now;
  const notifier = new InMemoryDeviceNotifier();
  const printer = new InMemoryKioskPrinter();

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Body };
  };

  beforeEach(async () => {
    store = await SqliteWorkflowStore.open(':memory:');
    now = new Date('2026-04-01T10:00:00.000Z');
    runtime = new WorkflowRuntime({ store, workflows: [certificateIssuanceWorkflow], clock });
    const service = new IssuanceService({
      runtime,
      clock,
      expiryMs: 24 * 60 * 60_000,
      confirmTimeoutMs: 3 * 60_000,
      rateLimiter: new RateLimiter({ capacity: 2, refillPerSecond: 0.2 }, () => now.getTime()),
    });
    server = createServer(createW3HttpHandler(service));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  it('W3.2–W3.5 over HTTP: apply → present → confirm → printed', async () => {
    const applied = await post('/w3/applications', { deviceId: device, application });
    expect(applied.status).toBe(201);
    expect(applied.json.receptionNumber).toMatch(/^\d{16}$/);
    expect(applied.headers.get('cache-control')).toBe('no-store');

    const presented = await post('/w3/kiosk/present', {
      kioskId: kiosk,
      receptionNumber: applied.json.receptionNumber,
    });
    expect(presented).toMatchObject({ status: 202, json: { status: 'confirmation-requested' } });
    await runtime.runOutboxOnce(w3EffectHandlers({ notifier, printer }));

    const confirmed = await post('/w3/device/confirm', {
      deviceId: device,
      receptionNumber: applied.json.receptionNumber,
      decision: 'print',
    });
    expect(confirmed).toMatchObject({ status: 200, json: { status: 'printing' } });
    await runtime.runOutboxOnce(w3EffectHandlers({ notifier, printer }));
    expect([...printer.printed.values()].filter((j) => j.kioskId === kiosk)).toHaveLength(1);
  });

  it('rules: every payload is validated with zod; errors are JSON with a typed code and no echoed values', async () => {
    const bad = await post('/w3/applications', {
      deviceId: device,
      application: { ...application, myNumber: '123456789012' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(bad.json)).not.toContain('123456789012');

    expect((await post('/w3/kiosk/present', '{not json')).json.error.code).toBe('INVALID_REQUEST');
    expect(
      (await post('/w3/device/confirm', { deviceId: device, receptionNumber: '1', decision: 'maybe' }))
        .status,
    ).toBe(400);
    expect((await post('/w3/nowhere', {})).json.error.code).toBe('NOT_FOUND');
    const get = await fetch(`${base}/w3/applications`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(((await get.json()) as Body).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('rules: a malformed and an unknown number get the same 404 answer', async () => {
    const unknown = await post('/w3/kiosk/present', {
      kioskId: kiosk,
      receptionNumber: generateReceptionNumber(),
    });
    const malformed = await post('/w3/kiosk/present', {
      kioskId: kiosk,
      receptionNumber: '0000-0000-0000-0001',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('RECEPTION_NUMBER_NOT_AVAILABLE');
    expect(malformed).toEqual({ ...unknown, headers: malformed.headers });
    expect(malformed.json).toEqual(unknown.json);
  });

  it('rules: rate-limited presentations get 429 with Retry-After', async () => {
    for (let i = 0; i < 2; i++) {
      expect(
        (await post('/w3/kiosk/present', { kioskId: kiosk, receptionNumber: generateReceptionNumber() }))
          .status,
      ).toBe(404);
    }
    const limited = await post('/w3/kiosk/present', {
      kioskId: kiosk,
      receptionNumber: generateReceptionNumber(),
    });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('RATE_LIMITED');
    // One token comes back after 1 / 0.2 per second = 5 s.
    expect(limited.headers.get('retry-after')).toBe('5');
    now = new Date(now.getTime() + 5000);
    expect(
      (await post('/w3/kiosk/present', { kioskId: kiosk, receptionNumber: generateReceptionNumber() }))
        .status,
    ).toBe(404);
  });
});
