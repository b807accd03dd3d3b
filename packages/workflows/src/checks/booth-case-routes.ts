import type { z } from 'zod';
import { parseJsonBody, readJsonBody, sendJson } from '../http/json-http.js';
import { CASE_ID_PATTERN, idempotencyKeyOf, parseWait, type Route } from './http-routes.js';

/** The options of the W1 and W2 booth handlers. */
export interface BoothCaseHttpOptions {
  /** Largest accepted body (default 24 MiB: a live photo in base64). */
  readonly maxBodyBytes?: number;
  /** Longest long-poll (default 30 s). */
  readonly maxWaitSeconds?: number;
  /** Called for unexpected failures (log the error's code/name, not the body). */
  readonly onError?: (error: unknown) => void;
}

/** The part of a booth case service (W1 renewals, W2 registrations) that the common routes call. */
export interface BoothCaseRouteService<B> {
  apply(boothId: string, idempotencyKey: string, request: B): Promise<unknown>;
  status(boothId: string, caseId: string, options: { since?: number; waitMs?: number }): Promise<unknown>;
}

/**
 * The routes every booth case has, under `collection` (e.g. `/w1/renewals`):
 * - `POST {collection}` (header `Idempotency-Key`) → 202 the status view
 * - `GET {collection}/{caseId}?wait=&since=` → 200 the status view
 */
export function boothCaseRoutes<B>(
  collection: string,
  requestSchema: z.ZodType<B>,
  service: BoothCaseRouteService<B>,
  options: BoothCaseHttpOptions,
): Route[] {
  const maxBodyBytes = options.maxBodyBytes ?? 24 * 1024 * 1024;
  const maxWaitSeconds = options.maxWaitSeconds ?? 30;
  return [
    {
      method: 'POST',
      path: new RegExp(`^${collection}/?$`),
      run: async ({ req, res, actor }) => {
        const key = idempotencyKeyOf(req);
        const body = parseJsonBody(requestSchema, await readJsonBody(req, maxBodyBytes));
        sendJson(res, 202, await service.apply(actor.id, key, body));
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^${collection}/${CASE_ID_PATTERN}$`),
      run: async ({ res, actor, params, query }) => {
        const { waitMs, since } = parseWait(query, maxWaitSeconds);
        sendJson(res, 200, await service.status(actor.id, params[0] as string, { waitMs, since }));
      },
    },
  ];
}
