// The municipality's review of held W1/W2 cases (W1.5–W1.7, W2.5). `toBrowserImage` is in `@mynakit/workflows/node`.
export { createReviewHttpHandler, type ReviewHttpOptions } from './http-handlers.js';
export {
  type BrowserImageConverter,
  type CaseLister,
  type ReceptionRecord,
  type ReviewDecisionRequest,
  type ReviewedWorkflow,
  type ReviewListEntry,
  type ReviewListQuery,
  ReviewService,
  type ReviewServiceOptions,
  reviewDecisionRequestSchema,
  reviewListQuerySchema,
} from './review-service.js';
