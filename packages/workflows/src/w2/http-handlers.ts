import { registrationRequestSchema } from '../checks/booth-application.js';
import {
  type ActorHttpHandler,
  CASE_ID_PATTERN,
  idempotencyKeyOf,
  parseWait,
  routeHandler,
} from '../checks/http-routes.js';
import { parseJsonBody, readJsonBody, sendJson } from '../http/json-http.js';
import type { RegistrationService } from './registration-service.js';

export interface W2HttpOptions {
  /** Largest accepted body (default 24 MiB: a photo in base64). */
  readonly maxBodyBytes?: number;
  /** Longest long-poll (default 30 s). */
  readonly maxWaitSeconds?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * The booth routes of W2; the mount point authenticates the booth and passes its id as `actor`:
 * - `POST /w2/registrations` (header `Idempotency-Key`, body with `capturedAt`) → 202 the status view
 * - `GET /w2/registrations/{caseId}?wait=&since=` → 200 the status view
 */
export function createW2HttpHandler(
  service: RegistrationService,
  options: W2HttpOptions = {},
): ActorHttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 24 * 1024 * 1024;
  const maxWaitSeconds = options.maxWaitSeconds ?? 30;
  return routeHandler(
    [
      {
        method: 'POST',
        path: /^\/w2\/registrations\/?$/,
        run: async ({ req, res, actor }) => {
          const key = idempotencyKeyOf(req);
          const body = parseJsonBody(registrationRequestSchema, await readJsonBody(req, maxBodyBytes));
          sendJson(res, 202, await service.apply(actor.id, key, body));
        },
      },
      {
        method: 'GET',
        path: new RegExp(`^/w2/registrations/${CASE_ID_PATTERN}$`),
        run: async ({ res, actor, params, query }) => {
          const { waitMs, since } = parseWait(query, maxWaitSeconds);
          sendJson(res, 200, await service.status(actor.id, params[0] as string, { waitMs, since }));
        },
      },
    ],
    options,
  );
}
