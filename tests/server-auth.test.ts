import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiKeyAuthenticator, apiKeyEntrySchema, generateApiKey, sha256Hex } from '@mynakit/workflows/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persona, type ServerFixture, startServerFixture } from './support/server-fixture.js';

const execFileAsync = promisify(execFile);

describe('API keys', () => {
  it('a generated key is accepted by its entry, which holds only the hash', () => {
    const { key, entry } = generateApiKey({ id: 'booth-7', role: 'booth' });
    expect(Object.keys(entry).sort()).toEqual(['id', 'role', 'sha256']);
    expect(entry.sha256).toBe(sha256Hex(key));
    expect(JSON.stringify(entry)).not.toContain(key);
    const auth = new ApiKeyAuthenticator([entry]);
    expect(auth.identify(`Bearer ${key}`)).toEqual({ id: 'booth-7', role: 'booth' });
    expect(auth.authorize(`Bearer ${key}`, ['booth'])).toEqual({
      ok: true,
      actor: { id: 'booth-7', role: 'booth' },
    });
  });

  it('refuses missing, malformed, altered and other-scheme keys (401) and a wrong role (403)', () => {
    const { key, entry } = generateApiKey({ id: 'reviewer-1', role: 'municipality' });
    const auth = new ApiKeyAuthenticator([entry]);
    for (const header of [
      undefined,
      '',
      key,
      `Basic ${key}`,
      `Bearer ${key}x`,
      `Bearer ${key.toUpperCase()}`,
    ]) {
      expect(auth.authorize(header, ['municipality'])).toEqual({
        ok: false,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
    expect(auth.authorize(`Bearer ${key}`, ['booth', 'kiosk'])).toEqual({
      ok: false,
      status: 403,
      code: 'FORBIDDEN',
    });
  });

  it('refuses a configuration with one id twice or a malformed hash', () => {
    const a = generateApiKey({ id: 'kiosk-1', role: 'kiosk' }).entry;
    const b = generateApiKey({ id: 'kiosk-1', role: 'kiosk' }).entry;
    expect(() => new ApiKeyAuthenticator([a, b])).toThrow(/twice/);
    expect(apiKeyEntrySchema.safeParse({ id: 'x', role: 'booth', sha256: 'abc' }).success).toBe(false);
    expect(apiKeyEntrySchema.safeParse({ id: 'x', role: 'admin', sha256: 'a'.repeat(64) }).success).toBe(
      false,
    );
  });
});

describe('reference server authorization', () => {
  let fx: ServerFixture;
  let heldCaseId: string;
  let photoId: string;

  beforeAll(async () => {
    fx = await startServerFixture({ face: 'hold' });
    const applied = await fx.request('/w1/renewals', {
      key: fx.keys.booth,
      body: await fx.application(),
      headers: { 'idempotency-key': 'auth-test-0001' },
    });
    expect(applied.status).toBe(202);
    heldCaseId = applied.json.caseId;
    let status = '';
    for (let since = 0; status !== 'held'; ) {
      const { json } = await fx.request(`/w1/renewals/${heldCaseId}?wait=5&since=${since}`, {
        key: fx.keys.booth,
      });
      expect(['received', 'face-checking', 'held']).toContain(json.status);
      status = json.status;
      since = json.version;
    }
    const record = await fx.request(`/review/api/cases/${heldCaseId}`, { key: fx.keys.municipality });
    photoId = record.json.photos.live.photoId;
  });
  afterAll(() => fx?.close());

  const routes = () => [
    { path: '/w1/renewals', method: 'POST', body: {} },
    { path: `/w1/renewals/${heldCaseId}`, method: 'GET' },
    { path: '/w2/registrations', method: 'POST', body: {} },
    { path: '/review/api/cases?status=held', method: 'GET' },
    { path: `/review/api/cases/${heldCaseId}`, method: 'GET' },
    { path: `/review/api/cases/${heldCaseId}/photos/${photoId}`, method: 'GET' },
    {
      path: `/review/api/cases/${heldCaseId}/decision`,
      method: 'POST',
      body: { decision: 'approve', reason: 'x' },
    },
    { path: '/w4/login/start', method: 'POST', body: {} },
    { path: '/w4/recheck', method: 'POST', body: { customerId: 'c1' } },
  ];

  it('answers 401 UNAUTHENTICATED without a key or with an unknown key, and tells nothing personal', async () => {
    for (const route of routes()) {
      for (const key of [null, 'mk_not-a-configured-key']) {
        const answer = await fx.request(route.path, { method: route.method, body: route.body, key });
        expect(answer.status, `${route.method} ${route.path}`).toBe(401);
        expect(answer.json.error.code).toBe('UNAUTHENTICATED');
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
        const text = JSON.stringify(answer.json);
        for (const secret of [persona.name, persona.address, persona.birthDate, heldCaseId.slice(3)])
          expect(text).not.toContain(secret);
      }
    }
    // Nothing was decided by the unauthenticated POST.
    const record = await fx.request(`/review/api/cases/${heldCaseId}`, { key: fx.keys.municipality });
    expect(record.json.status).toBe('held');
  });

  it('answers 403 FORBIDDEN for a key of the wrong role: a booth cannot read the review API', async () => {
    const forbidden: [string, string, string, unknown?][] = [
      [fx.keys.booth, 'GET', '/review/api/cases?status=held'],
      [fx.keys.booth, 'GET', `/review/api/cases/${heldCaseId}`],
      [fx.keys.booth, 'GET', `/review/api/cases/${heldCaseId}/photos/${photoId}`],
      [
        fx.keys.booth,
        'POST',
        `/review/api/cases/${heldCaseId}/decision`,
        { decision: 'approve', reason: 'me' },
      ],
      [fx.keys.kiosk, 'GET', `/review/api/cases/${heldCaseId}`],
      [fx.keys.ekyc, 'GET', '/review/api/cases'],
      [fx.keys.municipality, 'POST', '/w1/renewals', {}],
      [fx.keys.municipality, 'GET', `/w1/renewals/${heldCaseId}`],
      [fx.keys.kiosk, 'POST', '/w2/registrations', {}],
      [fx.keys.booth, 'POST', '/w4/login/start', {}],
      [fx.keys.municipality, 'POST', '/w4/login/start', {}],
    ];
    for (const [key, method, path, body] of forbidden) {
      const answer = await fx.request(path, { key, method, body });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.json.error.code).toBe('FORBIDDEN');
      expect(JSON.stringify(answer.json)).not.toContain(persona.name);
    }
    const record = await fx.request(`/review/api/cases/${heldCaseId}`, { key: fx.keys.municipality });
    expect(record.json.status).toBe('held');
  });

  it('gives each role its own routes', async () => {
    const review = await fx.request('/review/api/cases?status=held', { key: fx.keys.municipality });
    expect(review.status).toBe(200);
    expect(review.json.cases.map((c: { caseId: string }) => c.caseId)).toEqual([heldCaseId]);
    const photo = await fetch(`${fx.base}/review/api/cases/${heldCaseId}/photos/${photoId}`, {
      headers: { authorization: `Bearer ${fx.keys.municipality}` },
    });
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/png');
    expect(photo.headers.get('cache-control')).toBe('no-store');
    // A photo id of another case (or none) is not served through this case.
    const other = await fx.request(`/review/api/cases/${heldCaseId}/photos/${'0'.repeat(32)}`, {
      key: fx.keys.municipality,
    });
    expect(other.status).toBe(404);
    const w4 = await fx.request('/w4/login/start', { key: fx.keys.ekyc, body: {} });
    expect(w4.status).toBe(200);
    expect(w4.json.challengeId).toBeTruthy();
    const healthz = await fx.request('/healthz');
    expect(healthz.status).toBe(200);
  });

  it('the review page itself holds no personal data and no key', async () => {
    const page = await fx.request('/review/');
    expect(page.status).toBe(200);
    for (const secret of [persona.name, persona.address, persona.birthDate, heldCaseId, fx.keys.municipality])
      expect(page.json).not.toContain(secret);
  });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makeCertificates(dir: string): Promise<void> {
  const run = (args: string[]) => execFileAsync('openssl', args, { cwd: dir });
  const key = (name: string) =>
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
  await key('ca');
  for (const name of ['server', 'client']) {
    await run([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]);
    await writeFile(
      join(dir, `${name}.ext`),
      name === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n',
    );
    await run([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  }
}

function httpsGet(
  url: string,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
  headers: Record<string, string> = {},
): Promise<{ status: number; json: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...tls, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('reference server over HTTPS with client certificates (mTLS)', () => {
  let fx: ServerFixture;
  let dir: string;
  let ca: Buffer;
  let cert: Buffer;
  let key: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mynakit-mtls-'));
    await makeCertificates(dir);
    ca = await readFile(join(dir, 'ca.pem'));
    cert = await readFile(join(dir, 'client.pem'));
    key = await readFile(join(dir, 'client.key'));
    const der = new X509Certificate(cert).raw;
    fx = await startServerFixture({
      config: {
        tls: {
          cert: join(dir, 'server.pem'),
          key: join(dir, 'server.key'),
          clientCa: [join(dir, 'ca.pem')],
          clientCertificates: [
            { id: 'booth-tls', role: 'booth', sha256: createHash('sha256').update(der).digest('hex') },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await fx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a configured client certificate is its actor; without it the API key still works, without both 401', async () => {
    expect(fx.server.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const path = `${fx.server.url}w1/renewals/w1-${'A'.repeat(43)}`;
    // Authenticated as booth-tls: an unknown case of that booth, not an auth failure.
    const byCertificate = await httpsGet(path, { ca, cert, key });
    expect(byCertificate.status).toBe(404);
    expect(byCertificate.json.error?.code).toBe('CASE_NOT_FOUND');
    // The certificate's role is booth: the review API is forbidden.
    const review = await httpsGet(`${fx.server.url}review/api/cases`, { ca, cert, key });
    expect(review.status).toBe(403);
    const anonymous = await httpsGet(path, { ca });
    expect(anonymous.status).toBe(401);
    const byKey = await httpsGet(path, { ca }, { authorization: `Bearer ${fx.keys.booth}` });
    expect(byKey.status).toBe(404);
    expect(byKey.json.error?.code).toBe('CASE_NOT_FOUND');
  });
});
