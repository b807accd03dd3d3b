import { type ActorHttpHandler, CASE_ID_PATTERN, routeHandler } from '../checks/http-routes.js';
import { HttpFailure, parseJsonBody, readJsonBody, sendJson } from '../http/json-http.js';
import { photoIdSchema } from '../privacy/photo-store.js';
import { type ReviewService, reviewDecisionRequestSchema, reviewListQuerySchema } from './review-service.js';

export interface ReviewHttpOptions {
  readonly onError?: (error: unknown) => void;
}

/**
 * The municipality's JSON API; the mount point authenticates the reviewer (role municipality) and passes its id:
 * - `GET /review/api/cases?status=held|open|all&limit=` → `{ cases }`
 * - `GET /review/api/cases/{caseId}` → the reception record (with the unsealed basic four: `no-store`)
 * - `GET /review/api/cases/{caseId}/photos/{photoId}` → image bytes (PNG or JPEG), `no-store`
 * - `POST /review/api/cases/{caseId}/decision` `{ decision, reason }` → 200 `{ status }` (409 WRONG_STATE unless held)
 */
export function createReviewHttpHandler(
  service: ReviewService,
  options: ReviewHttpOptions = {},
): ActorHttpHandler {
  return routeHandler(
    [
      {
        method: 'GET',
        path: /^\/review\/api\/cases\/?$/,
        run: async ({ res, query }) => {
          const parsed = parseJsonBody(reviewListQuerySchema, {
            ...(query.has('status') && { status: query.get('status') }),
            ...(query.has('limit') && { limit: query.get('limit') }),
          });
          sendJson(res, 200, { cases: await service.list(parsed) });
        },
      },
      {
        method: 'GET',
        path: new RegExp(`^/review/api/cases/${CASE_ID_PATTERN}$`),
        run: async ({ res, params }) => {
          sendJson(res, 200, await service.record(params[0] as string));
        },
      },
      {
        method: 'GET',
        path: new RegExp(`^/review/api/cases/${CASE_ID_PATTERN}/photos/([^/]+)$`),
        run: async ({ res, params }) => {
          const photoId = photoIdSchema.safeParse(params[1]);
          if (!photoId.success)
            throw new HttpFailure(404, 'PHOTO_NOT_FOUND', 'the photo is not part of this case');
          const image = await service.photo(params[0] as string, photoId.data);
          res.statusCode = 200;
          res.setHeader('content-type', image.mediaType);
          res.setHeader('cache-control', 'no-store');
          res.setHeader('x-content-type-options', 'nosniff');
          res.end(image.bytes);
        },
      },
      {
        method: 'POST',
        path: new RegExp(`^/review/api/cases/${CASE_ID_PATTERN}/decision$`),
        run: async ({ req, res, actor, params }) => {
          const body = parseJsonBody(reviewDecisionRequestSchema, await readJsonBody(req, 16 * 1024));
          sendJson(res, 200, await service.decide(params[0] as string, { reviewerId: actor.id, ...body }));
        },
      },
    ],
    options,
  );
}
