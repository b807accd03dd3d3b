import type { z } from 'zod';
import { AdapterError } from './errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface PostJsonOptions<T extends z.ZodType> {
  /** Names the partner in errors, e.g. `J-LIS renewal`. */
  readonly remote: string;
  readonly url: string;
  readonly body: unknown;
  readonly idempotencyKey: string;
  readonly response: T;
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: FetchLike;
}

/**
 * POSTs JSON with an `Idempotency-Key` header and validates the answer. Every failure is an AdapterError whose message
 * and details hold the remote's name and status only: request and response bodies may carry photos or certificates.
 */
export async function postJson<T extends z.ZodType>(options: PostJsonOptions<T>): Promise<z.output<T>> {
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  const details = { remote: options.remote };
  let response: Response;
  try {
    response = await doFetch(options.url, {
      method: 'POST',
      headers: {
        ...options.headers,
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': options.idempotencyKey,
      },
      body: JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    throw new AdapterError(
      timedOut ? 'REMOTE_TIMEOUT' : 'REMOTE_UNAVAILABLE',
      timedOut ? `${options.remote} did not answer in time` : `${options.remote} could not be reached`,
      { details: { ...details, timeoutMs: options.timeoutMs }, cause: error },
    );
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    if (response.ok) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new AdapterError(
        timedOut ? 'REMOTE_TIMEOUT' : 'REMOTE_INVALID_RESPONSE',
        `${options.remote} sent no JSON answer`,
        { details: { ...details, status: response.status } },
      );
    }
  }
  if (!response.ok) {
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new AdapterError(
      retryable ? 'REMOTE_UNAVAILABLE' : 'REMOTE_REJECTED',
      `${options.remote} answered HTTP ${response.status}`,
      { details: { ...details, status: response.status } },
    );
  }
  const parsed = options.response.safeParse(json);
  if (!parsed.success) {
    throw new AdapterError('REMOTE_INVALID_RESPONSE', `${options.remote} sent an answer of the wrong shape`, {
      details: { ...details, field: parsed.error.issues[0]?.path.join('.') ?? '' },
    });
  }
  return parsed.data;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A base URL with exactly one trailing slash, so `new URL(path, base)` keeps its path. */
export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
