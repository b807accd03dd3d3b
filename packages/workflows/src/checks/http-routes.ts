import {
  HttpFailure,
  type HttpRequestLike,
  type HttpResponseLike,
  sendJsonError,
} from '../http/json-http.js';
import { CaseServiceError, type CaseServiceErrorCode } from './errors.js';

// Routing shared by the W1, W2 and review handlers: the mount point authenticates the caller and passes its id.

/** The authenticated caller (booth id, reviewer id): the API key's id, never taken from a body. */
export interface HttpActor {
  readonly id: string;
}

/** A request with headers (node's IncomingMessage fits). */
export interface HttpRequestWithHeaders extends HttpRequestLike {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** A response that can also carry bytes (node's ServerResponse fits). */
export interface HttpBinaryResponse extends HttpResponseLike {
  end(body: string | Uint8Array): unknown;
}

export type ActorHttpHandler = (
  req: HttpRequestWithHeaders,
  res: HttpBinaryResponse,
  actor: HttpActor,
) => void;

export interface Route {
  readonly method: 'GET' | 'POST';
  /** Matched against the path; capture groups are the path parameters (URL-decoded). */
  readonly path: RegExp;
  readonly run: (context: {
    req: HttpRequestWithHeaders;
    res: HttpBinaryResponse;
    actor: HttpActor;
    params: string[];
    query: URLSearchParams;
  }) => Promise<void>;
}

export interface RouteOptions {
  /** Called for unexpected failures (log the error's code/name, not the body). */
  readonly onError?: ((error: unknown) => void) | undefined;
}

const statusOf: Record<CaseServiceErrorCode, number> = {
  CASE_NOT_FOUND: 404,
  PHOTO_NOT_FOUND: 404,
  IDEMPOTENCY_CONFLICT: 409,
  WRONG_STATE: 409,
  SCRIPT_MISMATCH: 409,
};

/** One handler over a route table: 404 for unknown paths, 405 for a wrong method, typed errors to JSON. */
export function routeHandler(routes: readonly Route[], options: RouteOptions): ActorHttpHandler {
  return (req, res, actor) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let params: string[] | undefined;
    const matching = routes.filter((route) => route.path.test(url.pathname));
    const route = matching.find((r) => r.method === req.method);
    if (route === undefined) {
      if (matching.length === 0) sendJsonError(res, 404, 'NOT_FOUND', 'no such route');
      else {
        const allow = matching.map((r) => r.method).join(', ');
        sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', `use ${allow}`, {}, { allow });
      }
      return;
    }
    try {
      params = (route.path.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
    } catch {
      sendJsonError(res, 400, 'INVALID_REQUEST', 'invalid path');
      return;
    }
    const run = route.run({ req, res, actor, params, query: url.searchParams });
    void run.catch((error: unknown) => {
      if (error instanceof HttpFailure) sendJsonError(res, error.status, error.code, error.message);
      else if (error instanceof CaseServiceError)
        sendJsonError(res, statusOf[error.code], error.code, error.message);
      else {
        options.onError?.(error);
        sendJsonError(res, 500, 'INTERNAL', 'internal error');
      }
    });
  };
}

/** `?wait=<seconds>&since=<version>` of the long-poll GETs; wait is capped at `maxWaitSeconds`. */
export function parseWait(query: URLSearchParams, maxWaitSeconds: number): { waitMs: number; since: number } {
  const wait = query.get('wait');
  const since = query.get('since');
  const waitSeconds = wait === null ? 0 : Number(wait);
  const sinceVersion = since === null ? 0 : Number(since);
  if (
    !Number.isFinite(waitSeconds) ||
    waitSeconds < 0 ||
    !Number.isInteger(sinceVersion) ||
    sinceVersion < 0
  ) {
    throw new HttpFailure(400, 'INVALID_REQUEST', 'wait is seconds ≥ 0 and since a version ≥ 0');
  }
  return { waitMs: Math.min(waitSeconds, maxWaitSeconds) * 1000, since: sinceVersion };
}

/** The Idempotency-Key header, required on booth POSTs that start a case. */
export function idempotencyKeyOf(req: HttpRequestWithHeaders): string {
  const value = req.headers['idempotency-key'];
  const key = Array.isArray(value) ? value[0] : value;
  if (typeof key !== 'string' || !/^[A-Za-z0-9._:-]{8,128}$/.test(key)) {
    throw new HttpFailure(400, 'INVALID_REQUEST', 'an Idempotency-Key header (8-128 characters) is required');
  }
  return key;
}

/** Case ids in paths: what `boothCaseId` makes, and nothing that could walk elsewhere. */
export const CASE_ID_PATTERN = '([A-Za-z0-9_-]{4,200})';
