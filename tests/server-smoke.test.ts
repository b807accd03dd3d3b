import { startMockIssuanceServer } from '@mynakit/testkit';
import { updateScriptCommands, updateScriptSchema } from '@mynakit/workflows';
import { afterEach, describe, expect, it } from 'vitest';
import { type Json, persona, type ServerFixture, startServerFixture } from './support/server-fixture.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Long-polls the booth's status route until the case reaches one of `statuses`. */
async function waitForStatus(fx: ServerFixture, path: string, statuses: readonly string[]): Promise<Json> {
  let since = 0;
  for (let round = 0; round < 60; round++) {
    const { status, json } = await fx.request(`${path}?wait=5&since=${since}`, { key: fx.keys.booth });
    expect(status, JSON.stringify(json)).toBe(200);
    if (statuses.includes(json.status)) return json;
    since = json.version;
  }
  throw new Error(`never reached ${statuses.join('|')}: ${JSON.stringify(fx.logs)}`);
}

describe('reference server (SQLite, mock J-LIS, fake face check)', () => {
  let fx: ServerFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('answers /healthz without a key and serves the review page without personal data', async () => {
    fx = await startServerFixture();
    const health = await fx.request('/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    expect(fx.server.enabled).toEqual({ w1: true, w2: true, w3: false, w4: true });

    const page = await fx.request('/review/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(page.json).toContain(`<script nonce="${nonce}">`);
    expect(page.json).not.toContain('http://');
  });

  it('W1 through HTTP: application, certificate check at J-LIS, renewal, card answers, completed', async () => {
    fx = await startServerFixture({ face: 'match' });
    const body = await fx.application();
    const headers = { 'idempotency-key': 'renewal-0001' };
    const applied = await fx.request('/w1/renewals', { key: fx.keys.booth, body, headers });
    expect(applied.status, JSON.stringify(applied.json)).toBe(202);
    expect(applied.json.caseId).toMatch(/^w1-/);

    // A retried POST (same key, same body) lands on the same case.
    const again = await fx.request('/w1/renewals', { key: fx.keys.booth, body, headers });
    expect(again.status).toBe(202);
    expect(again.json.caseId).toBe(applied.json.caseId);

    const path = `/w1/renewals/${applied.json.caseId}`;
    const awaiting = await waitForStatus(fx, path, ['awaiting-card', 'rejected', 'failed']);
    expect(awaiting.status).toBe('awaiting-card');
    const script = updateScriptSchema.parse(awaiting.updateScript);

    // The booth relays the script to the card and reports the answers.
    const answers = await fx.card.relayUpdateScript({ commands: updateScriptCommands(script) });
    const answered = await fx.request(`${path}/card-answers`, {
      key: fx.keys.booth,
      body: { scriptId: script.scriptId, answers: answers.map((a) => ({ sw: a.sw, data: b64(a.data) })) },
    });
    expect(answered.status, JSON.stringify(answered.json)).toBe(202);
    const done = await waitForStatus(fx, path, ['completed', 'failed', 'rejected']);
    expect(done.status).toBe('completed');
    expect(fx.jlis.renewalRequests).toBe(1);
    expect(fx.face.calls).toBe(1);

    // Another booth cannot see the case; the municipality sees its reception record.
    const foreign = await fx.request(path, { key: fx.otherBoothKey });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('CASE_NOT_FOUND');
    const record = await fx.request(`/review/api/cases/${applied.json.caseId}`, {
      key: fx.keys.municipality,
    });
    expect(record.status).toBe(200);
    expect(record.json.status).toBe('completed');
    expect(record.json.certificateCheck.valid).toBe(true);
    expect(record.json.holder.birthDate).toBe('1980-05-15');
    expect(fx.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('W2 through HTTP (local mode): registration completes and its photo becomes a registered photo', async () => {
    fx = await startServerFixture({ face: 'match' });
    const body = await fx.application();
    const applied = await fx.request('/w2/registrations', {
      key: fx.keys.booth,
      body,
      headers: { 'idempotency-key': 'registration-0001' },
    });
    expect(applied.status, JSON.stringify(applied.json)).toBe(202);
    const done = await waitForStatus(fx, `/w2/registrations/${applied.json.caseId}`, [
      'completed',
      'rejected',
    ]);
    expect(done.status).toBe('completed');
    const record = await fx.request(`/review/api/cases/${applied.json.caseId}`, {
      key: fx.keys.municipality,
    });
    expect(record.json.historyJoined).toBe(true);
    const listed = await fx.request('/review/api/cases?status=all', { key: fx.keys.municipality });
    expect(listed.json.cases.map((c: { caseId: string }) => c.caseId)).toContain(applied.json.caseId);

    // Retention (90 days by default): nothing is old enough today; 91 days later the case and its photos are gone.
    expect(await fx.server.purge()).toMatchObject({ cases: 0, photos: 0, historyEntries: 0 });
    const later = new Date(Date.now() + 91 * 24 * 60 * 60 * 1000);
    const report = await fx.server.purge(later);
    expect(report).toMatchObject({ cases: 1, historyEntries: 1 });
    expect(report.photos).toBe(2); // live (also the registered photo) and card
    const gone = await fx.request(`/review/api/cases/${applied.json.caseId}`, { key: fx.keys.municipality });
    expect(gone.status).toBe(404);
    expect(await fx.server.photos.metadata(record.json.photos.live.photoId)).toBeUndefined();
  });

  it('W3 through HTTP: the phone applies with its card, a kiosk (by key) presents the number and prints once', async () => {
    const issuance = await startMockIssuanceServer();
    try {
      fx = await startServerFixture({ config: { w3: { issuanceServerUrl: issuance.url } } });
      expect(fx.server.enabled.w3).toBe(true);
      // W3.1: sign the server's challenge with the card's authentication key (no API key on the phone).
      const challenge = await fx.request('/w3/challenge', { body: {} });
      expect(challenge.status).toBe(200);
      await fx.card.jpki.verifyAuthPin(persona.pins.auth);
      const signature = await fx.card.jpki.sign(
        'auth',
        Buffer.from(challenge.json.challenge, 'base64'),
        'SHA-256',
      );
      const applied = await fx.request('/w3/applications', {
        body: {
          deviceId: 'phone-1',
          application: { certificateKind: 'seal-registration', copies: 1 },
          auth: {
            challengeId: challenge.json.challengeId,
            certificate: b64(await fx.card.jpki.readCertificate('auth')),
            signature: b64(signature),
          },
        },
      });
      expect(applied.status, JSON.stringify(applied.json)).toBe(201);
      const { receptionNumber } = applied.json;

      // Kiosk routes need a kiosk key; the kiosk id comes from it.
      expect((await fx.request('/w3/kiosk/present', { body: { receptionNumber } })).status).toBe(401);
      expect(
        (await fx.request('/w3/kiosk/present', { key: fx.keys.booth, body: { receptionNumber } })).status,
      ).toBe(403);
      const presented = await fx.request('/w3/kiosk/present', {
        key: fx.keys.kiosk,
        body: { receptionNumber },
      });
      expect(presented.status, JSON.stringify(presented.json)).toBe(202);

      const asked = await fx.request('/w3/device/wait', {
        body: { deviceId: 'phone-1', receptionNumber, wait: 10 },
      });
      expect(asked.json.request).toMatchObject({ kioskId: 'kiosk-1', certificateKind: 'seal-registration' });
      const confirmed = await fx.request('/w3/device/confirm', {
        body: { deviceId: 'phone-1', receptionNumber, decision: 'print' },
      });
      expect(confirmed.json.status).toBe('printing');

      let job: Json = null;
      for (let round = 0; round < 10 && job === null; round++) {
        const waited = await fx.request('/w3/kiosk/wait', {
          key: fx.keys.kiosk,
          body: { receptionNumber, wait: 5 },
        });
        expect(waited.status, JSON.stringify(waited.json)).toBe(200);
        job = waited.json.job;
      }
      expect(job.document.length).toBeGreaterThan(0);
      const printed = await fx.request('/w3/kiosk/printed', {
        key: fx.keys.kiosk,
        body: { jobId: job.jobId },
      });
      expect(printed.status, JSON.stringify(printed.json)).toBe(200);
      expect(issuance.documentsIssued()).toBe(1);
    } finally {
      await fx?.close();
      fx = undefined;
      await issuance.close();
    }
  });

  it('refuses a POST without an Idempotency-Key and an invalid body, naming no values', async () => {
    fx = await startServerFixture();
    const body = await fx.application();
    const noKey = await fx.request('/w1/renewals', { key: fx.keys.booth, body });
    expect(noKey.status).toBe(400);
    const bad = await fx.request('/w1/renewals', {
      key: fx.keys.booth,
      body: { ...body, holder: { ...(body.holder as object), birthDate: 'not a date' } },
      headers: { 'idempotency-key': 'renewal-0002' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(bad.json)).not.toContain('not a date');
    expect(JSON.stringify(bad.json)).not.toContain(persona.name);
  });
});
