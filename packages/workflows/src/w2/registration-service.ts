import {
  type BoothCaseServiceOptions,
  loadOwnCase,
  type RegistrationRequestInput,
  registrationRequestSchema,
  startBoothCase,
} from '../checks/booth-application.js';
import {
  addHistoryPhotoHandler,
  checkCertificateHandler,
  compareFacesHandler,
} from '../checks/booth-effects.js';
import { loadOrWait } from '../checks/long-poll.js';
import type { CertificateCheckPort, FaceCheckPort } from '../checks/ports.js';
import { type BoothCaseView, boothCaseView } from '../checks/status-view.js';
import type { EffectHandlersFor } from '../engine/runtime.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import type { Keyring } from '../privacy/sealed-box.js';
import type { HistoryPhotoIndex } from '../stores/history-photo-index.js';
import type { AdminServerPort } from './ports.js';
import { registrationWorkflow, type W2Effect, type W2Status, w2StateSchema } from './w2-workflow.js';

/** What the booth sees of its registration: no personal data. */
export type W2StatusView = BoothCaseView<W2Status>;

export type RegistrationServiceOptions = BoothCaseServiceOptions;

/** The booth-facing side of W2. The booth id is the authenticated caller, never taken from a body. */
export class RegistrationService {
  private readonly options: RegistrationServiceOptions;
  private readonly clock: () => Date;

  constructor(options: RegistrationServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? (() => new Date());
  }

  /** W2.1: the registration request, with the photo's capture date-time. Same (booth, key) → same case. */
  async apply(
    boothId: string,
    idempotencyKey: string,
    request: RegistrationRequestInput,
  ): Promise<W2StatusView> {
    const { runtime, photos, keyring, pepper } = this.options;
    const snapshot = await startBoothCase(
      { runtime, photos, keyring, pepper, clock: this.clock },
      {
        workflow: registrationWorkflow.name,
        prefix: 'w2',
        boothId,
        idempotencyKey,
        request: registrationRequestSchema.parse(request),
        reviewTimeoutMs: this.options.reviewTimeoutMs ?? 7 * 24 * 60 * 60_000,
        extra: (common) => common,
      },
    );
    return view(snapshot);
  }

  /** The booth's view of its case; with `waitMs`, long-polls until the version exceeds `since`. */
  async status(
    boothId: string,
    caseId: string,
    options: { since?: number; waitMs?: number } = {},
  ): Promise<W2StatusView> {
    const load = () => loadOwnCase(this.options.runtime, registrationWorkflow.name, caseId, boothId);
    return view(await loadOrWait(load, options));
  }
}

function view(snapshot: { caseId: string; version: number; state: unknown; final: boolean }): W2StatusView {
  return boothCaseView(snapshot, w2StateSchema.parse(snapshot.state));
}

interface W2CommonPorts {
  readonly certificateCheck: CertificateCheckPort;
  readonly faceCheck: FaceCheckPort;
  readonly photos: PhotoStore;
  readonly history: HistoryPhotoIndex;
  readonly keyring: Keyring;
  /** How many of the newest registered photos the face check uses (default 5). */
  readonly maxHistoryPhotos?: number;
}

/** W2.3: send to the administrative server, or (configurable) keep the registered photo on this server only. */
export type W2EffectPorts =
  | (W2CommonPorts & { readonly mode: 'admin-server'; readonly admin: AdminServerPort })
  | (W2CommonPorts & { readonly mode: 'local' });

/** Effect handlers wiring the W2 effects to the ports; the register call carries the outbox idempotency key. */
export function w2EffectHandlers(ports: W2EffectPorts): EffectHandlersFor<W2Effect> {
  return {
    'check-certificate': checkCertificateHandler(registrationWorkflow.name, ports),
    'compare-faces': compareFacesHandler(ports),
    'register-photo': async (effect, { idempotencyKey }) => {
      if (ports.mode === 'local') {
        return { result: { mode: 'local' }, event: { type: 'photo-registered', registrationId: null } };
      }
      const photo = await ports.photos.get(effect.photoId);
      if (photo === undefined) throw new Error('the photo to register is missing');
      const { registrationId } = await ports.admin.registerPhoto({
        personKey: effect.personKey,
        photo: photo.bytes,
        mediaType: effect.mediaType,
        capturedAt: effect.capturedAt,
        idempotencyKey,
      });
      return { result: { registrationId }, event: { type: 'photo-registered', registrationId } };
    },
    'add-history-photo': addHistoryPhotoHandler(ports.history),
  };
}
