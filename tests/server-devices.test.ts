import { collationNumberB, startMockIssuanceServer } from '@mynakit/testkit';
import {
  BoothClient,
  type BoothProgress,
  FileCamera,
  KioskClient,
  PhoneClient,
  ServerClient,
} from '@mynakit/workflows/device';
import { afterEach, describe, expect, it } from 'vitest';
import { livePhotoPng, persona, type ServerFixture, startServerFixture } from './support/server-fixture.js';

// The device clients of @mynakit/workflows/device against the reference server itself (not a fake).

describe('device clients against the reference server', () => {
  let fx: ServerFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('BoothClient renews the virtual card end to end (W1), the review then shows the completed case', async () => {
    fx = await startServerFixture({ face: 'match' });
    const booth = new BoothClient({
      card: fx.card,
      camera: new FileCamera([livePhotoPng()]),
      server: new ServerClient({ baseUrl: fx.server.url, apiKey: fx.keys.booth, retryDelayMs: 1 }),
      pollWaitSeconds: 5,
    });
    const steps: BoothProgress['step'][] = [];
    booth.on('progress', (event) => steps.push(event.step));
    const result = await booth.renew({
      inputSupportPin: persona.pins.textAp,
      collationNumberB: collationNumberB(persona),
      signPassword: persona.pins.sign!,
    });
    expect(result.outcome, JSON.stringify(result)).toBe('completed');
    expect(steps).toContain('writing-card');
    expect(fx.jlis.renewalRequests).toBe(1);
    const record = await fx.request(`/review/api/cases/${result.caseId}`, { key: fx.keys.municipality });
    expect(record.json.status).toBe('completed');
    expect(record.json.renewal.activated).toBe(true);
  });

  it('PhoneClient and KioskClient collect a certificate through the server (W3), printed once', async () => {
    const issuance = await startMockIssuanceServer();
    try {
      fx = await startServerFixture({ config: { w3: { issuanceServerUrl: issuance.url } } });
      const phone = new PhoneClient({
        card: fx.card,
        server: new ServerClient({ baseUrl: fx.server.url, retryDelayMs: 1 }),
        deviceId: 'phone-0001',
        pollWaitSeconds: 5,
      });
      const printed: unknown[] = [];
      const kiosk = new KioskClient({
        server: new ServerClient({ baseUrl: fx.server.url, apiKey: fx.keys.kiosk, retryDelayMs: 1 }),
        printer: { print: async (job) => void printed.push(job) },
        pollWaitSeconds: 5,
      });
      const applied = await phone.apply({
        authPin: persona.pins.auth,
        application: { certificateKind: 'resident-record', copies: 2 },
      });
      const collecting = kiosk.collect(applied.receptionNumber);
      const request = await phone.waitForPrintRequest(applied.receptionNumber, { timeoutMs: 20_000 });
      expect(request).toMatchObject({ kioskId: 'kiosk-1', certificateKind: 'resident-record', copies: 2 });
      expect(await phone.answer(applied.receptionNumber, 'print')).toBe('printing');
      expect(await collecting).toMatchObject({ outcome: 'printed' });
      expect(printed).toHaveLength(1);
      expect(issuance.documentsIssued()).toBe(1);
    } finally {
      await fx?.close();
      fx = undefined;
      await issuance.close();
    }
  });
});
