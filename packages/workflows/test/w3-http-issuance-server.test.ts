import { describe, expect, it } from 'vitest';
import { HttpIssuanceServer } from '../src/w3/http-issuance-server.js';

const input = {
  caseId: `w3-${'a'.repeat(64)}`,
  application: { certificateKind: 'seal-registration' as const, copies: 1 },
  idempotencyKey: `job-${'a'.repeat(64)}`,
};

/** A fetch that records the request and answers `respond()`. */
function fakeFetch(respond: () => Response | Promise<Response>) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    return respond();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

describe('W3 issuance server adapter (HttpIssuanceServer)', () => {
  it('W3.5: posts { caseId, application, idempotencyKey } to {url}/documents and decodes the document', async () => {
    const { fetch, requests } = fakeFetch(() =>
      Response.json({ documentId: 'd-1', mediaType: 'application/pdf', document: btoa('%PDF-1.7') }),
    );
    const server = new HttpIssuanceServer({
      url: 'http://issuance.test/api/',
      fetch,
      headers: { 'x-key': 'k' },
    });
    const issued = await server.issue(input);
    expect(issued).toEqual({
      documentId: 'd-1',
      mediaType: 'application/pdf',
      document: new TextEncoder().encode('%PDF-1.7'),
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('http://issuance.test/api/documents');
    expect(requests[0]?.init.method).toBe('POST');
    expect(JSON.parse(String(requests[0]?.init.body))).toEqual(input);
    expect(requests[0]?.init.headers).toMatchObject({
      'idempotency-key': input.idempotencyKey,
      'x-key': 'k',
    });
  });

  it('rules: failures are typed (the outbox retries with the same key) and never carry the response body', async () => {
    const failing = (respond: () => Response | Promise<Response>) =>
      new HttpIssuanceServer({ url: 'http://issuance.test', fetch: fakeFetch(respond).fetch }).issue(input);
    await expect(failing(() => new Response('secret body', { status: 503 }))).rejects.toMatchObject({
      code: 'ISSUANCE_SERVER_UNAVAILABLE',
      message: expect.not.stringContaining('secret'),
    });
    await expect(failing(() => new Response('no', { status: 409 }))).rejects.toMatchObject({
      code: 'ISSUANCE_SERVER_REFUSED',
    });
    await expect(failing(() => Promise.reject(new TypeError('fetch failed')))).rejects.toMatchObject({
      code: 'ISSUANCE_SERVER_UNAVAILABLE',
    });
    await expect(failing(() => Response.json({ documentId: 'd-1' }))).rejects.toMatchObject({
      code: 'ISSUANCE_SERVER_BAD_RESPONSE',
    });
    await expect(failing(() => new Response('not json'))).rejects.toMatchObject({
      code: 'ISSUANCE_SERVER_BAD_RESPONSE',
    });
  });
});
