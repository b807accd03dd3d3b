import { boothApplicationSchema } from '../checks/booth-application.js';
import {
  type ActorHttpHandler,
  CASE_ID_PATTERN,
  idempotencyKeyOf,
  parseWait,
  routeHandler,
} from '../checks/http-routes.js';
import { parseJsonBody, readJsonBody, sendJson } from '../http/json-http.js';
import { cardAnswersRequestSchema, type RenewalService } from './renewal-service.js';

export interface W1HttpOptions {
  /** Largest accepted body (default 24 MiB: a live photo in base64). */
  readonly maxBodyBytes?: number;
  /** Longest long-poll (default 30 s). */
  readonly maxWaitSeconds?: number;
  /** Called for unexpected failures (log the error's code/name, not the body). */
  readonly onError?: (error: unknown) => void;
}

/**
 * The booth routes of W1; the mount point authenticates the booth (role booth) and passes its id as `actor`:
 * - `POST /w1/renewals` (header `Idempotency-Key`) → 202 the status view
 * - `GET /w1/renewals/{caseId}?wait=&since=` → 200 the status view (with the update script in `awaiting-card`)
 * - `POST /w1/renewals/{caseId}/card-answers` `{ scriptId, answers }` → 202 the status view
 * Errors: 400 INVALID_REQUEST, 404 CASE_NOT_FOUND, 409 IDEMPOTENCY_CONFLICT | WRONG_STATE | SCRIPT_MISMATCH.
 */
export function createW1HttpHandler(service: RenewalService, options: W1HttpOptions = {}): ActorHttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 24 * 1024 * 1024;
  const maxWaitSeconds = options.maxWaitSeconds ?? 30;
  return routeHandler(
    [
      {
        method: 'POST',
        path: /^\/w1\/renewals\/?$/,
        run: async ({ req, res, actor }) => {
          const key = idempotencyKeyOf(req);
          const body = parseJsonBody(boothApplicationSchema, await readJsonBody(req, maxBodyBytes));
          sendJson(res, 202, await service.apply(actor.id, key, body));
        },
      },
      {
        method: 'GET',
        path: new RegExp(`^/w1/renewals/${CASE_ID_PATTERN}$`),
        run: async ({ res, actor, params, query }) => {
          const { waitMs, since } = parseWait(query, maxWaitSeconds);
          sendJson(res, 200, await service.status(actor.id, params[0] as string, { waitMs, since }));
        },
      },
      {
        method: 'POST',
        path: new RegExp(`^/w1/renewals/${CASE_ID_PATTERN}/card-answers$`),
        run: async ({ req, res, actor, params }) => {
          const body = parseJsonBody(cardAnswersRequestSchema, await readJsonBody(req, 1024 * 1024));
          sendJson(res, 202, await service.submitCardAnswers(actor.id, params[0] as string, body));
        },
      },
    ],
    options,
  );
}
