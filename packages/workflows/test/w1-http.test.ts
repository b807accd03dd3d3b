import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EffectHandlers } from '../src/engine/runtime.js';
import { createW1HttpHandler } from '../src/w1/http-handlers.js';
import { RenewalService, w1EffectHandlers } from '../src/w1/renewal-service.js';
import { createW2HttpHandler } from '../src/w2/http-handlers.js';
import { RegistrationService, w2EffectHandlers } from '../src/w2/registration-service.js';
import { BoothBed, boothRequest, byCasePrefix, holderA } from './support/booth-fakes.js';

const booth = 'booth-shibuya-01';
type Body = {
  caseId: string;
  version: number;
  status: string;
  updateScript?: { scriptId: string };
  error?: { code: string; message: string };
};

describe('W1/W2 booth HTTP handlers (node:http)', () => {
  let bed: BoothBed;
  let server: Server;
  let base: string;
  let handlers: EffectHandlers;

  const call = async (
    path: string,
    init: { method?: string; body?: unknown; key?: string; actor?: string } = {},
  ): Promise<{ status: number; json: Body }> => {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        'x-actor': init.actor ?? booth,
        'content-type': 'application/json',
        ...(init.key !== undefined && { 'idempotency-key': init.key }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, json: (await response.json()) as Body };
  };
  const body = () =>
    boothRequest({
      card: bed.faces.photo(0),
      live: bed.faces.photo(5),
      capturedAt: bed.now.toISOString(),
    });

  beforeEach(async () => {
    bed = await BoothBed.create();
    const common = bed.serviceOptions();
    const w1 = createW1HttpHandler(new RenewalService(common));
    const w2 = createW2HttpHandler(new RegistrationService(common));
    const ports = bed.checkPorts();
    const w1Effects = w1EffectHandlers({ ...ports, renewal: bed.renewal }) as EffectHandlers;
    const w2Effects = w2EffectHandlers({ ...ports, mode: 'local' }) as EffectHandlers;
    handlers = byCasePrefix(w1Effects, w2Effects);
    server = createServer((req, res) => {
      const actor = { id: String(req.headers['x-actor']) };
      (req.url?.startsWith('/w2/') ? w2 : w1)(req, res, actor);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await bed.close();
  });

  it('W1 over HTTP: apply → long-poll → update script → card answers → completed', async () => {
    const request = body();
    const applied = await call('/w1/renewals', { method: 'POST', body: request, key: 'booth-retry-0001' });
    expect(applied.status).toBe(202);
    expect(applied.json).toMatchObject({ status: 'received', version: 1 });
    const retried = await call('/w1/renewals', { method: 'POST', body: request, key: 'booth-retry-0001' });
    expect(retried).toMatchObject({ status: 202, json: { caseId: applied.json.caseId } });

    // A long-poll started before the worker runs answers once the case moved on.
    const polling = call(`/w1/renewals/${applied.json.caseId}?wait=5&since=1`);
    await bed.drain(handlers);
    const moved = await polling;
    expect(moved.status).toBe(200);
    expect(moved.json.version).toBeGreaterThan(1);

    const waiting = await call(`/w1/renewals/${applied.json.caseId}`);
    expect(waiting.json.status).toBe('awaiting-card');
    const scriptId = waiting.json.updateScript!.scriptId;
    const answered = await call(`/w1/renewals/${applied.json.caseId}/card-answers`, {
      method: 'POST',
      body: { scriptId, answers: [{ sw: 0x9000, data: 'AQI=' }] },
    });
    expect(answered).toMatchObject({ status: 202, json: { status: 'confirming' } });
    await bed.drain(handlers);
    expect((await call(`/w1/renewals/${applied.json.caseId}`)).json).toMatchObject({
      status: 'completed',
      final: true,
    });
  });

  it('refuses a missing Idempotency-Key, a bad body, another booth and a key reused for another body', async () => {
    expect((await call('/w1/renewals', { method: 'POST', body: body() })).json.error?.code).toBe(
      'INVALID_REQUEST',
    );
    const bad = await call('/w1/renewals', {
      method: 'POST',
      body: { ...body(), holder: { ...holderA, birthDate: 'yesterday' } },
      key: 'booth-retry-0002',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.message).not.toContain(holderA.name);
    const applied = await call('/w1/renewals', { method: 'POST', body: body(), key: 'booth-retry-0003' });
    expect((await call(`/w1/renewals/${applied.json.caseId}`, { actor: 'booth-other-99' })).status).toBe(404);
    const conflict = await call('/w1/renewals', { method: 'POST', body: body(), key: 'booth-retry-0003' });
    expect(conflict).toMatchObject({ status: 409, json: { error: { code: 'IDEMPOTENCY_CONFLICT' } } });
    const early = await call(`/w1/renewals/${applied.json.caseId}/card-answers`, {
      method: 'POST',
      body: { scriptId: 'A'.repeat(32), answers: [{ sw: 0x9000, data: '' }] },
    });
    expect(early).toMatchObject({ status: 409, json: { error: { code: 'WRONG_STATE' } } });
    expect((await call('/w1/renewals', { method: 'GET' })).status).toBe(405);
    expect((await call('/w1/other')).status).toBe(404);
  });

  it('W2 over HTTP: capturedAt is required (W2.1); a registration completes', async () => {
    const { capturedAt: _, ...untimed } = body();
    expect(
      (await call('/w2/registrations', { method: 'POST', body: untimed, key: 'registration-01' })).status,
    ).toBe(400);
    const applied = await call('/w2/registrations', { method: 'POST', body: body(), key: 'registration-01' });
    expect(applied.status).toBe(202);
    await bed.drain(handlers);
    expect((await call(`/w2/registrations/${applied.json.caseId}?wait=1&since=1`)).json).toMatchObject({
      status: 'completed',
    });
  });
});
