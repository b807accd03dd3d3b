import { JpkiError, type JpkiErrorCode } from '../errors.js';
import type { FetchLike } from './types.js';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  body?: Uint8Array;
  headers?: Record<string, string>;
  timeoutMs: number;
  fetch?: FetchLike | undefined;
  /** Error code for unreachable hosts and HTTP errors (OCSP_UNAVAILABLE or CRL_UNAVAILABLE). */
  unavailable: JpkiErrorCode;
  /** Refuse bodies larger than this. */
  maxBytes: number;
}

function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: FetchLike }).fetch;
  if (!f) throw new JpkiError('INVALID_INPUT', 'no fetch available: pass one');
  return f;
}

/**
 * One HTTP exchange with typed failures: TIMEOUT when it does not complete within `timeoutMs` (the body read
 * included), `unavailable` for network errors, non-2xx statuses and oversized bodies. Details carry the host and
 * status only (URLs could embed request data).
 */
export async function httpBytes(request: HttpRequest): Promise<Uint8Array> {
  const fetchImpl = request.fetch ?? defaultFetch();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  let host = '';
  try {
    host = new URL(request.url).host;
  } catch {
    clearTimeout(timer);
    throw new JpkiError('INVALID_INPUT', 'revocation URL is not a valid URL');
  }
  try {
    const response = await fetchImpl(request.url, {
      method: request.method,
      signal: controller.signal,
      ...(request.headers && { headers: request.headers }),
      ...(request.body && { body: request.body.slice().buffer as ArrayBuffer }),
    });
    if (!response.ok)
      throw new JpkiError(request.unavailable, `HTTP ${response.status} from the revocation server`, {
        details: { host, status: response.status },
      });
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > request.maxBytes)
      throw new JpkiError(request.unavailable, 'revocation server response is too large', {
        details: { host, bytes: declared },
      });
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > request.maxBytes)
      throw new JpkiError(request.unavailable, 'revocation server response is too large', {
        details: { host, bytes: body.length },
      });
    return body;
  } catch (cause) {
    if (timedOut)
      throw new JpkiError('TIMEOUT', `revocation server did not answer within ${request.timeoutMs} ms`, {
        details: { host, timeoutMs: request.timeoutMs },
        cause,
      });
    if (cause instanceof JpkiError) throw cause;
    throw new JpkiError(request.unavailable, 'revocation server is unreachable', {
      details: { host },
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
}
