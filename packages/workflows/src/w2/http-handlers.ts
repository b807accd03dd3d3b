import { registrationRequestSchema } from '../checks/booth-application.js';
import { type BoothCaseHttpOptions, boothCaseRoutes } from '../checks/booth-case-routes.js';
import { type ActorHttpHandler, routeHandler } from '../checks/http-routes.js';
import type { RegistrationService } from './registration-service.js';

export type W2HttpOptions = BoothCaseHttpOptions;

/**
 * The booth routes of W2; the mount point authenticates the booth and passes its id as `actor`:
 * - `POST /w2/registrations` (header `Idempotency-Key`, body with `capturedAt`) → 202 the status view
 * - `GET /w2/registrations/{caseId}?wait=&since=` → 200 the status view
 */
export function createW2HttpHandler(
  service: RegistrationService,
  options: W2HttpOptions = {},
): ActorHttpHandler {
  return routeHandler(
    boothCaseRoutes('/w2/registrations', registrationRequestSchema, service, options),
    options,
  );
}
