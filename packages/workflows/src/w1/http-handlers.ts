import { boothApplicationSchema } from '../checks/booth-application.js';
import { type BoothCaseHttpOptions, boothCaseRoutes } from '../checks/booth-case-routes.js';
import { type ActorHttpHandler, CASE_ID_PATTERN, routeHandler } from '../checks/http-routes.js';
import { parseJsonBody, readJsonBody, sendJson } from '../http/json-http.js';
import { cardAnswersRequestSchema, type RenewalService } from './renewal-service.js';

export type W1HttpOptions = BoothCaseHttpOptions;

/**
 * The booth routes of W1; the mount point authenticates the booth (role booth) and passes its id as `actor`:
 * - `POST /w1/renewals` (header `Idempotency-Key`) → 202 the status view
 * - `GET /w1/renewals/{caseId}?wait=&since=` → 200 the status view (with the update script in `awaiting-card`)
 * - `POST /w1/renewals/{caseId}/card-answers` `{ scriptId, answers }` → 202 the status view
 * Errors: 400 INVALID_REQUEST, 404 CASE_NOT_FOUND, 409 IDEMPOTENCY_CONFLICT | WRONG_STATE | SCRIPT_MISMATCH.
 */
export function createW1HttpHandler(service: RenewalService, options: W1HttpOptions = {}): ActorHttpHandler {
  return routeHandler(
    [
      ...boothCaseRoutes('/w1/renewals', boothApplicationSchema, service, options),
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
