import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JpkiCaType } from '../ca/jpki-names.js';
import { issueCrl } from './crl.js';
import type { MockOcspResponder } from './ocsp-responder.js';

/** Larger bodies are not OCSP requests a test would send; refuse them instead of buffering. */
const MAX_REQUEST_BYTES = 64 * 1024;

export interface OcspServerOptions {
  responder: MockOcspResponder;
  /**
   * DER CRL of a root type (and generation, when the URL names one); `undefined` answers 404. Default: a fresh CRL
   * (`issueCrl`) from the responder's registries for the served root of that type (highest generation if unnamed).
   */
  crlFor?: (
    type: JpkiCaType,
    generation?: number,
  ) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
}

export interface OcspServerRequestLog {
  method: string;
  path: string;
  kind: 'ocsp-post' | 'ocsp-get' | 'crl' | 'other';
}

export interface OcspServer {
  /** `http://127.0.0.1:<port>/` — POSTing OCSP requests here works too (what `openssl ocsp -url` does). */
  url: string;
  /** `http://127.0.0.1:<port>/ocsp`: POST target, and the base of RFC 5019 GET URLs. */
  ocspUrl: string;
  /** `http://127.0.0.1:<port>/crl/<type>.crl` (or `<type>-g<n>.crl` for a specific generation). */
  crlUrl(type: JpkiCaType, generation?: number): string;
  /** Every request seen, in order (lets a test tell GET from POST). */
  requests: OcspServerRequestLog[];
  server: Server;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** RFC 5019 §5: the GET path is the percent-encoded base64 of the DER; accept base64url as well. */
function decodeGetRequest(encoded: string): Uint8Array | null {
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(text)) return null;
  return new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

function send(res: ServerResponse, status: number, type: string, body: Uint8Array | string): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  res.writeHead(status, {
    'content-type': type,
    'content-length': bytes.length,
    'cache-control': 'no-store',
  });
  res.end(bytes);
}

async function defaultCrl(
  responder: MockOcspResponder,
  type: JpkiCaType,
  generation: number | undefined,
): Promise<Uint8Array | undefined> {
  const candidates = responder.cas
    .filter((ca) => ca.type === type && (generation === undefined || ca.generation === generation))
    .sort((a, b) => b.generation - a.generation);
  const ca = candidates[0];
  if (!ca) return undefined;
  return (await issueCrl(ca, responder.registries.for(ca))).der;
}

/** An http handler serving the mock J-LIS OCSP responder and CRLs (usable with any node:http server). */
export function ocspRequestHandler(
  options: Pick<OcspServerOptions, 'responder' | 'crlFor'>,
  log?: OcspServerRequestLog[],
): (req: IncomingMessage, res: ServerResponse) => void {
  const { responder } = options;
  const crlFor = options.crlFor ?? ((type, generation) => defaultCrl(responder, type, generation));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    // Only the raw path matters: the GET form carries base64 with '/' and '+' that URL parsing could mangle.
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const crl = /^\/crl\/(sign|auth)(?:-g(\d+))?\.crl$/.exec(path);
    if (method === 'POST' && (path === '/' || path === '/ocsp' || path === '/ocsp/')) {
      log?.push({ method, path, kind: 'ocsp-post' });
      const body = await readBody(req);
      if (body === null) return send(res, 413, 'text/plain', 'request too large');
      return send(res, 200, 'application/ocsp-response', await responder.respond(body));
    }
    if (method === 'GET' && path.startsWith('/ocsp/') && path.length > '/ocsp/'.length) {
      log?.push({ method, path, kind: 'ocsp-get' });
      const der = decodeGetRequest(path.slice('/ocsp/'.length));
      // An undecodable URL still gets an OCSP answer (malformedRequest) rather than an HTTP error.
      return send(res, 200, 'application/ocsp-response', await responder.respond(der ?? new Uint8Array()));
    }
    if (method === 'GET' && crl) {
      log?.push({ method, path, kind: 'crl' });
      const type = crl[1] as JpkiCaType;
      const generation = crl[2] === undefined ? undefined : Number(crl[2]);
      const der = await crlFor(type, generation);
      if (!der) return send(res, 404, 'text/plain', 'no CRL for that root');
      return send(res, 200, 'application/pkix-crl', der);
    }
    log?.push({ method, path, kind: 'other' });
    send(res, 404, 'text/plain', 'not found');
  };
  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
      else res.destroy();
    });
  };
}

/** Starts the mock J-LIS revocation server on 127.0.0.1 (never on other interfaces). */
export async function startOcspServer(options: OcspServerOptions): Promise<OcspServer> {
  const requests: OcspServerRequestLog[] = [];
  const server = createServer(ocspRequestHandler(options, requests));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    ocspUrl: `${url}ocsp`,
    crlUrl: (type, generation) => `${url}crl/${type}${generation === undefined ? '' : `-g${generation}`}.crl`,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
