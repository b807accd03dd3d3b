import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { sendJson, sendJsonError } from '../http/json-http.js';
import type { Actor, ApiKeyAuthenticator, ApiRole } from './auth.js';

// Small plumbing for mounting the workflow handlers behind the API keys and client certificates.

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The pathname of a request URL. */
export function pathOf(req: { url?: string | undefined }): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

/** The client certificate of an mTLS connection, only when it chained to a configured client CA. */
function verifiedClientCertificate(req: IncomingMessage): Uint8Array | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  return raw === undefined || raw.length === 0 ? undefined : new Uint8Array(raw);
}

/** Answers 401/403 itself and returns null, or returns the caller. */
export function authenticate(
  auth: ApiKeyAuthenticator,
  req: IncomingMessage,
  res: ServerResponse,
  roles: readonly ApiRole[],
): Actor | null {
  const result = auth.authorize(req.headers.authorization, roles, verifiedClientCertificate(req));
  if (result.ok) return result.actor;
  if (result.status === 401) {
    sendJsonError(
      res,
      401,
      'UNAUTHENTICATED',
      'a valid API key is required',
      {},
      { 'www-authenticate': 'Bearer' },
    );
  } else {
    sendJsonError(res, 403, 'FORBIDDEN', 'this API key may not use this route');
  }
  return null;
}

export { sendJson, sendJsonError };
