import { createHash } from 'node:crypto';
import {
  type MockAdminServer,
  type MockIssuanceServer,
  startMockAdminServer,
  startMockIssuanceServer,
} from '@mynakit/testkit';
import { HttpAdminServer } from '@mynakit/workflows';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const personKey = 'pk_0123456789abcdefghij';
const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('HttpAdminServer against the mock administrative server (W2.3)', () => {
  let admin: MockAdminServer;
  let port: HttpAdminServer;
  const register = (idempotencyKey: string, bytes = photo) =>
    port.registerPhoto({
      personKey,
      photo: bytes,
      mediaType: 'image/jpeg',
      capturedAt: '2026-12-01T09:30:00.000Z',
      idempotencyKey,
    });

  beforeEach(async () => {
    admin = await startMockAdminServer();
    port = new HttpAdminServer({ url: admin.registerUrl });
  });

  afterEach(async () => {
    await admin.close();
  });

  it('registers the photo with its capture time once per idempotency key', async () => {
    const first = await register('case-1:register');
    expect(await register('case-1:register')).toEqual(first);
    expect(admin.registrations()).toEqual([
      expect.objectContaining({
        registrationId: first.registrationId,
        personKey,
        capturedAt: '2026-12-01T09:30:00.000Z',
        photoSha256: sha256(photo),
      }),
    ]);
    expect(admin.photosOf(personKey).map((p) => p.photo)).toEqual([photo]);
    const listed = await (await fetch(`${admin.url}control/registrations`)).json();
    expect(listed.registrations).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(Buffer.from(photo).toString('base64'));
  });

  it('throws a retryable error while the server fails; the retry with the same key registers once', async () => {
    admin.failNext(2);
    await expect(register('case-2:register')).rejects.toMatchObject({ code: 'REMOTE_UNAVAILABLE' });
    await expect(register('case-2:register')).rejects.toMatchObject({ code: 'REMOTE_UNAVAILABLE' });
    expect(admin.registrations()).toHaveLength(0);
    const ok = await register('case-2:register');

    admin.failNext(1, { after: true }); // registered, but the answer is lost
    await expect(register('case-3:register')).rejects.toMatchObject({ details: { status: 503 } });
    await register('case-3:register');
    expect(admin.registrations().map((r) => r.idempotencyKey)).toEqual([
      'case-2:register',
      'case-3:register',
    ]);
    expect(admin.registrations()[0]?.registrationId).toBe(ok.registrationId);
    expect(admin.requests).toBe(5);
  });

  it('rejects a key re-used for another photo', async () => {
    await register('case-4:register');
    await expect(register('case-4:register', new Uint8Array([9, 9, 9, 9]))).rejects.toMatchObject({
      code: 'REMOTE_REJECTED',
      details: { status: 409 },
    });
  });
});

describe('mock issuance server (W3)', () => {
  let issuance: MockIssuanceServer;
  const issue = async (body: unknown, key?: string) => {
    const response = await fetch(issuance.documentsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key !== undefined && { 'idempotency-key': key }) },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };
  const application = {
    certificateKind: 'resident-record',
    copies: 2,
    options: { scope: 'self', includeRegisteredDomicile: false, includeRelationship: false },
  };

  beforeEach(async () => {
    issuance = await startMockIssuanceServer();
  });

  afterEach(async () => {
    await issuance.close();
  });

  it('issues one PDF document per idempotency key, the same bytes for the same case', async () => {
    const first = await issue({ caseId: 'w3-case-a', application }, 'print-1');
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ mediaType: 'application/pdf', pages: 2 });
    const pdf = Buffer.from(first.json.document, 'base64');
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(pdf.toString('latin1')).toContain('/Count 2');
    expect(first.json.sha256).toBe(sha256(pdf));

    const replay = await issue({ caseId: 'w3-case-a', application }, 'print-1');
    expect(replay).toEqual({ status: 200, json: first.json });
    expect(issuance.documentsIssued()).toBe(1);

    const again = await issue({ caseId: 'w3-case-a', application, idempotencyKey: 'print-2' });
    expect(again.json.document).toBe(first.json.document);
    const otherCase = await issue({ caseId: 'w3-case-b', application }, 'print-3');
    expect(otherCase.json.document).not.toBe(first.json.document);
    expect(issuance.documentsIssued()).toBe(3);
  });

  it('refuses requests without a key, with a key re-used for another application, or of the wrong shape', async () => {
    expect((await issue({ caseId: 'w3-case-c', application })).status).toBe(400);
    await issue({ caseId: 'w3-case-c', application }, 'print-4');
    const conflict = await issue(
      { caseId: 'w3-case-c', application: { ...application, copies: 3 } },
      'print-4',
    );
    expect(conflict.status).toBe(409);
    const wrong = await issue(
      { caseId: 'w3-case-d', application: { certificateKind: 'passport', copies: 1 } },
      'k',
    );
    expect(wrong.status).toBe(400);
    expect(issuance.documentsIssued()).toBe(1);
  });
});
