import { z } from 'zod';
import { DeviceClientError, type DeviceClientErrorCode } from './errors.js';

export interface ServerClientOptions {
  /** The reference server, e.g. `https://mynakit.example/` (paths are resolved against it). */
  readonly baseUrl: string | URL;
  /** Sent as `Authorization: Bearer …` (booths and kiosks); phones have none. */
  readonly apiKey?: string;
  /** Per attempt, for requests that are not long-polls (default 15 s). */
  readonly timeoutMs?: number;
  /** Extra attempts after a network failure, a timeout or a 5xx, for requests that are safe to resend (default 3). */
  readonly retries?: number;
  /** Wait before the first retry, doubled for each further one (default 250 ms). */
  readonly retryDelayMs?: number;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

export interface ServerRequest<T> {
  readonly method: 'GET' | 'POST';
  /** Path and query, relative to the base URL, e.g. `/w1/renewals/abc?wait=25`. */
  readonly path: string;
  readonly body?: unknown;
  /** The answer's shape; a body that does not match is a PROTOCOL error. */
  readonly schema: z.ZodType<T>;
  /** Sent as `Idempotency-Key`; every retry of this request carries the same key. */
  readonly idempotencyKey?: string;
  /**
   * Whether the request may be sent again after a network failure, a timeout or a 5xx. Default: GETs and POSTs with
   * an idempotency key. A definite 4xx is never retried.
   */
  readonly retry?: boolean;
  /** This attempt's timeout, e.g. a long-poll's wait plus a margin. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const errorBodySchema = z.object({
  error: z.object({
    code: z.string().max(100),
    message: z.string().optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
  }),
});

/** A failure worth another attempt, with what to report if none is left. */
class Retryable extends Error {
  constructor(readonly failure: DeviceClientError) {
    super(failure.message);
  }
}

/**
 * The device side of the reference server's HTTP API: JSON over the global `fetch` (browsers, webviews, Node),
 * bearer API key, per-attempt timeouts, zod-checked answers and typed errors. Network failures, timeouts and 5xx
 * are retried only for requests that are safe to resend, and a retried POST keeps its Idempotency-Key, so the
 * server creates one case however many attempts it took.
 */
export class ServerClient {
  private readonly baseUrl: URL;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ServerClientOptions) {
    const base = new URL(options.baseUrl);
    // Relative paths must resolve below the base path, not beside it.
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.baseUrl = base;
    this.apiKey = options.apiKey;
    this.timeoutMs = z
      .number()
      .int()
      .positive()
      .parse(options.timeoutMs ?? 15_000);
    this.retries = z
      .number()
      .int()
      .min(0)
      .max(10)
      .parse(options.retries ?? 3);
    this.retryDelayMs = z
      .number()
      .min(0)
      .parse(options.retryDelayMs ?? 250);
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get<T>(path: string, schema: z.ZodType<T>, options: Partial<ServerRequest<T>> = {}): Promise<T> {
    return this.request({ ...options, method: 'GET', path, schema });
  }

  post<T>(
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    options: Partial<ServerRequest<T>> = {},
  ): Promise<T> {
    return this.request({ ...options, method: 'POST', path, body, schema });
  }

  async request<T>(request: ServerRequest<T>): Promise<T> {
    const retry = request.retry ?? (request.method === 'GET' || request.idempotencyKey !== undefined);
    const attempts = retry ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(request);
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        if (attempt >= attempts) throw error.failure;
        await sleep(this.retryDelayMs * 2 ** (attempt - 1), request.signal);
      }
    }
  }

  private async attempt<T>(request: ServerRequest<T>): Promise<T> {
    const url = new URL(request.path.replace(/^\/+/, ''), this.baseUrl);
    const where = { method: request.method, path: url.pathname };
    const label = `${request.method} ${url.pathname}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;

    let status: number;
    let text: string;
    let retryAfterHeader: string | null;
    try {
      const response = await this.fetchImpl(url, {
        method: request.method,
        headers,
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        signal,
      });
      status = response.status;
      retryAfterHeader = response.headers.get('retry-after');
      text = await response.text();
    } catch (cause) {
      // The cause is dropped on purpose: some fetch implementations quote the request in their errors.
      if (request.signal?.aborted)
        throw new DeviceClientError('CANCELLED', `${label} was cancelled`, { details: where });
      if (timeout.aborted) {
        throw new Retryable(
          new DeviceClientError('TIMEOUT', `${label} got no answer in time`, { details: where }),
        );
      }
      const name = cause instanceof Error ? cause.name : 'unknown';
      throw new Retryable(
        new DeviceClientError('NETWORK', `${label} failed: the server could not be reached`, {
          details: { ...where, cause: name },
        }),
      );
    }

    if (status >= 200 && status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new DeviceClientError('PROTOCOL', `${label}: the answer is not JSON`, {
          status,
          details: where,
        });
      }
      const parsed = request.schema.safeParse(json);
      if (!parsed.success) {
        // Paths and issue codes only: the answer may hold a reception number or a script.
        const issues = parsed.error.issues
          .slice(0, 5)
          .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.code}`)
          .join('; ');
        throw new DeviceClientError('PROTOCOL', `${label}: unexpected answer (${issues})`, {
          status,
          details: where,
        });
      }
      return parsed.data;
    }

    const failure = failureFor(status, text, retryAfterHeader, label, where);
    if (failure.code === 'SERVER_ERROR') throw new Retryable(failure);
    throw failure;
  }
}

function failureFor(
  status: number,
  text: string,
  retryAfterHeader: string | null,
  label: string,
  where: { method: string; path: string },
): DeviceClientError {
  let serverCode: string | undefined;
  let serverMessage: string | undefined;
  let retryAfterSeconds: number | undefined;
  try {
    const body = errorBodySchema.safeParse(JSON.parse(text));
    if (body.success) {
      serverCode = body.data.error.code;
      serverMessage = body.data.error.message?.slice(0, 200);
      retryAfterSeconds = body.data.error.retryAfterSeconds;
    }
  } catch {
    // Not JSON (a proxy's error page): the status alone decides.
  }
  if (retryAfterSeconds === undefined && retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader)) {
    retryAfterSeconds = Number(retryAfterHeader);
  }
  let code: DeviceClientErrorCode;
  if (status === 401) code = 'UNAUTHENTICATED';
  else if (status === 403) code = 'FORBIDDEN';
  else if (status === 429) code = 'RATE_LIMITED';
  else if (status === 404 && serverCode === 'RECEPTION_NUMBER_NOT_AVAILABLE') code = 'NOT_AVAILABLE';
  else if (status === 404) code = 'NOT_FOUND';
  else if (status >= 400 && status < 500) code = 'REJECTED';
  else if (status >= 500) code = 'SERVER_ERROR';
  else code = 'PROTOCOL';
  const suffix = serverCode === undefined ? '' : ` ${serverCode}`;
  return new DeviceClientError(code, `${label} answered ${status}${suffix}`, {
    status,
    ...(code === 'RATE_LIMITED' && retryAfterSeconds !== undefined && { retryAfterSeconds }),
    details: { ...where, status, serverCode, serverMessage },
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DeviceClientError('CANCELLED', 'the request was cancelled'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DeviceClientError('CANCELLED', 'the request was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
