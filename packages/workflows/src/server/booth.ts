import type { ActorHttpHandler } from '../checks/http-routes.js';
import type { CertificateCheckPort, FaceCheckPort } from '../checks/ports.js';
import type { AnyWorkflowDefinition, EffectHandler, WorkflowRuntime } from '../engine/runtime.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import type { Keyring } from '../privacy/sealed-box.js';
import { toBrowserImage } from '../review/browser-image.js';
import { createReviewHttpHandler } from '../review/http-handlers.js';
import { ReviewService } from '../review/review-service.js';
import type { HistoryPhotoIndex } from '../stores/history-photo-index.js';
import { createW1HttpHandler } from '../w1/http-handlers.js';
import type { RenewalPort } from '../w1/ports.js';
import { RenewalService, w1EffectHandlers } from '../w1/renewal-service.js';
import { renewalWorkflow } from '../w1/w1-workflow.js';
import { createW2HttpHandler } from '../w2/http-handlers.js';
import type { AdminServerPort } from '../w2/ports.js';
import { RegistrationService, w2EffectHandlers } from '../w2/registration-service.js';
import { registrationWorkflow } from '../w2/w2-workflow.js';
import { pathOf } from './http.js';

// W1 (renewal) and W2 (registration) at the booth, and the review of their held cases. The booth id is the API
// key's id: a booth sees only its own cases.

export const boothWorkflows: readonly AnyWorkflowDefinition[] = [
  renewalWorkflow as unknown as AnyWorkflowDefinition,
  registrationWorkflow as unknown as AnyWorkflowDefinition,
];

export interface BoothModuleOptions {
  readonly runtime: WorkflowRuntime;
  readonly photos: PhotoStore;
  readonly keyring: Keyring;
  readonly pepper: Uint8Array;
  readonly history: HistoryPhotoIndex;
  readonly certificateCheck: CertificateCheckPort;
  readonly faceCheck: FaceCheckPort;
  /** Without it W1 cases stop at `renewal-requested` until a server with J-LIS configured picks them up. */
  readonly renewal: RenewalPort | undefined;
  readonly adminServer: AdminServerPort | undefined;
  readonly w2Mode: 'admin-server' | 'local';
  readonly maxHistoryPhotos: number;
  readonly reviewTimeoutMs: number | undefined;
  readonly boothTimeoutMs: number | undefined;
  readonly clock: () => Date;
  readonly onError: (error: unknown) => void;
}

export interface BoothModule {
  /** Effect handlers of both workflows, by effect type. */
  readonly effectHandlers: Readonly<Record<string, EffectHandler<unknown>>>;
  /** `/w1/*` and `/w2/*` for an authenticated booth. */
  readonly handle: ActorHttpHandler;
  /** `/review/api/*` for an authenticated reviewer. */
  readonly review: ActorHttpHandler;
}

/** Renewal effects wait (the outbox retries with backoff) until a process with J-LIS configured takes them. */
const renewalNotConfigured: RenewalPort = {
  requestRenewal: () => Promise.reject(new Error('J-LIS renewal is not configured on this server')),
  confirmRenewal: () => Promise.reject(new Error('J-LIS renewal is not configured on this server')),
};

/** W1 and W2 share effect types (check-certificate, compare-faces, add-history-photo): pick by the case id prefix. */
function byCasePrefix(
  modules: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): Record<string, EffectHandler<unknown>> {
  const types = new Set(Object.values(modules).flatMap((handlers) => Object.keys(handlers)));
  const merged: Record<string, EffectHandler<unknown>> = {};
  for (const type of types) {
    merged[type] = (effect, context) => {
      const prefix = Object.keys(modules).find((p) => context.caseId.startsWith(p));
      const handler = prefix === undefined ? undefined : modules[prefix]![type];
      if (handler === undefined) throw new Error(`no ${type} handler for this case`);
      return (handler as EffectHandler<unknown>)(effect, context);
    };
  }
  return merged;
}

export function createBoothModule(options: BoothModuleOptions): BoothModule {
  const { runtime, photos, keyring, pepper, history, clock } = options;
  const serviceOptions = {
    runtime,
    photos,
    keyring,
    pepper,
    clock,
    ...(options.reviewTimeoutMs !== undefined && { reviewTimeoutMs: options.reviewTimeoutMs }),
  };
  const renewals = new RenewalService({
    ...serviceOptions,
    ...(options.boothTimeoutMs !== undefined && { boothTimeoutMs: options.boothTimeoutMs }),
  });
  const registrations = new RegistrationService(serviceOptions);
  const review = new ReviewService({ runtime, photos, keyring, browserImage: toBrowserImage });
  const checks = {
    certificateCheck: options.certificateCheck,
    faceCheck: options.faceCheck,
    photos,
    history,
    keyring,
    maxHistoryPhotos: options.maxHistoryPhotos,
  };
  const w1 = w1EffectHandlers({ ...checks, renewal: options.renewal ?? renewalNotConfigured });
  let w2: ReturnType<typeof w2EffectHandlers>;
  if (options.w2Mode === 'local') w2 = w2EffectHandlers({ ...checks, mode: 'local' });
  else if (options.adminServer !== undefined)
    w2 = w2EffectHandlers({ ...checks, mode: 'admin-server', admin: options.adminServer });
  else throw new TypeError('W2 admin-server mode needs an administrative server (w2.adminServerUrl)');
  const effectHandlers = byCasePrefix({ 'w1-': w1, 'w2-': w2 });

  const w1Http = createW1HttpHandler(renewals, { onError: options.onError });
  const w2Http = createW2HttpHandler(registrations, { onError: options.onError });
  const reviewHttp = createReviewHttpHandler(review, { onError: options.onError });

  return {
    effectHandlers,
    handle: (req, res, actor) => (pathOf(req).startsWith('/w1/') ? w1Http : w2Http)(req, res, actor),
    review: reviewHttp,
  };
}
