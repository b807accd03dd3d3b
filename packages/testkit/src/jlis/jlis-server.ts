import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { IdempotencyConflictError, type MockJlis } from './mock-jlis.js';
import { ocspRequestHandler } from './ocsp-http.js';
import { updateScriptToJson } from './renewal.js';
import { crlReasons } from './revocation-registry.js';

export interface JlisServer {
  readonly url: string;
  readonly ocspUrl: string;
  crlUrl(type: 'sign' | 'auth'): string;
  readonly server: Server;
  close(): Promise<void>;
}

const idempotencyKeySchema = z.string().min(1).max(200);

const controlRoutes = {
  '/control/revoke': z.object({
    type: z.enum(['sign', 'auth']),
    serial: z.string().regex(/^[0-9A-Fa-f:]+$/),
    reason: z.enum(crlReasons).default('unspecified'),
  }),
  '/control/change-basic-four': z.object({
    persona: z.string(),
    name: z.string().optional(),
    nameKana: z.string().optional(),
    address: z.string().optional(),
  }),
  '/control/death': z.object({ persona: z.string() }),
  '/control/consent': z.object({ signSerial: z.string(), verifier: z.string().min(1) }),
  '/latest-basic-four': z.object({ signSerial: z.string(), verifier: z.string().min(1) }),
  '/renewal': z.object({
    /** Test shortcut; without it the holder is found by the auth certificate's serial, as at a real J-LIS. */
    persona: z.string().optional(),
    current: z.object({ auth: z.base64(), sign: z.base64().nullable() }),
    /** Alternative to the `Idempotency-Key` header. */
    idempotencyKey: idempotencyKeySchema.optional(),
  }),
  '/renewal/confirm': z.object({
    scriptId: z.string(),
    answers: z.array(z.object({ sw: z.number().int().min(0).max(0xffff), data: z.base64() })),
    idempotencyKey: idempotencyKeySchema.optional(),
  }),
} as const;

type ControlPath = keyof typeof controlRoutes;

const MAX_BODY = 64 * 1024;

/**
 * The mock J-LIS on HTTP (127.0.0.1 only): OCSP (`/ocsp`, POST and GET), CRLs (`/crl/sign.crl`, `/crl/auth.crl`),
 * the latest-basic-four service (`POST /latest-basic-four`), renewal (`POST /renewal`, `POST /renewal/confirm`,
 * deduplicated by the `Idempotency-Key` header or an `idempotencyKey` body field) and a control API for tests
 * (`POST /control/…`, `GET /control/stats` → `{ renewalRequests, renewalConfirmations }`).
 * Every JSON body is checked with a zod schema; a bad one gets 400 with the schema's complaint.
 */
export async function startJlisServer(jlis: MockJlis, options: { port?: number } = {}): Promise<JlisServer> {
  const ocsp = ocspRequestHandler({ responder: jlis.responder });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/control/stats') {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'GET only' });
      return sendJson(res, 200, {
        renewalRequests: jlis.renewalRequests,
        renewalConfirmations: jlis.renewalConfirmations,
      });
    }
    if (path in controlRoutes) {
      handleControl(jlis, path as ControlPath, req, res).catch((error: unknown) =>
        sendJson(res, 500, { error: error instanceof Error ? error.message : 'internal error' }),
      );
      return;
    }
    ocsp(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    ocspUrl: `${url}ocsp`,
    crlUrl: (type) => `${url}crl/${type}.crl`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handleControl(jlis: MockJlis, path: ControlPath, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
  const body = await readJson(req);
  const parsed = controlRoutes[path].safeParse(body);
  if (!parsed.success) return sendJson(res, 400, { error: z.prettifyError(parsed.error) });
  try {
    switch (path) {
      case '/control/revoke': {
        const { type, serial, reason } = parsed.data as z.infer<(typeof controlRoutes)['/control/revoke']>;
        jlis.revoke(type, serial, reason);
        return sendJson(res, 200, { revoked: serial, reason });
      }
      case '/control/change-basic-four': {
        const { persona, ...changes } = parsed.data as z.infer<
          (typeof controlRoutes)['/control/change-basic-four']
        >;
        const result = await jlis.changeBasicFour(persona, changes);
        return sendJson(res, 200, { oldSerial: result.oldSerial, newSerial: result.newSerial });
      }
      case '/control/death': {
        jlis.death((parsed.data as { persona: string }).persona);
        return sendJson(res, 200, { ok: true });
      }
      case '/control/consent': {
        const { signSerial, verifier } = parsed.data as { signSerial: string; verifier: string };
        jlis.recordConsent(signSerial, verifier);
        return sendJson(res, 200, { ok: true });
      }
      case '/renewal': {
        const { persona, current, idempotencyKey } = parsed.data as z.infer<
          (typeof controlRoutes)['/renewal']
        >;
        const header = idempotencyKeySchema.safeParse(req.headers['idempotency-key']);
        const key = header.success ? header.data : idempotencyKey;
        const certificates = {
          auth: fromBase64(current.auth),
          sign: current.sign === null ? null : fromBase64(current.sign),
        };
        const options = key === undefined ? {} : { idempotencyKey: key };
        const renewal =
          persona === undefined
            ? await jlis.renewByCertificate(certificates, options)
            : await jlis.renew(persona, certificates, options);
        return sendJson(res, 200, updateScriptToJson(renewal.script));
      }
      case '/renewal/confirm': {
        const { scriptId, answers } = parsed.data as z.infer<(typeof controlRoutes)['/renewal/confirm']>;
        const result = jlis.confirmRenewal(
          scriptId,
          answers.map((a) => ({ sw: a.sw, data: fromBase64(a.data) })),
        );
        return sendJson(res, 200, result);
      }
      case '/latest-basic-four': {
        const { signSerial, verifier } = parsed.data as { signSerial: string; verifier: string };
        return sendJson(res, 200, jlis.latestBasicFour(signSerial, verifier));
      }
    }
  } catch (error) {
    // Unknown persona or serial: the caller's mistake, not the server's.
    if (error instanceof RangeError) return sendJson(res, 404, { error: error.message });
    if (error instanceof IdempotencyConflictError) return sendJson(res, 409, { error: error.message });
    throw error;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function fromBase64(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, 'base64'));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
