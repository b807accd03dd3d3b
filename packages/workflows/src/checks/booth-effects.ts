import type { z } from 'zod';
import type { EffectContext, EffectOutcome } from '../engine/runtime.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import type { Keyring } from '../privacy/sealed-box.js';
import type { HistoryPhotoIndex } from '../stores/history-photo-index.js';
import { openCertificates } from './booth-application.js';
import type {
  addHistoryPhotoEffectSchema,
  checkCertificateEffectSchema,
  compareFacesEffectSchema,
} from './booth-case.js';
import {
  type CertificateCheckPort,
  certificateCheckResultSchema,
  type FaceCheckPort,
  faceCheckResultSchema,
} from './ports.js';

// Effect handlers W1 and W2 share. Each validates what its port answers before it becomes evidence in the case.

export const DEFAULT_MAX_HISTORY_PHOTOS = 5;

export function checkCertificateHandler(
  workflow: string,
  ports: { certificateCheck: CertificateCheckPort; keyring: Keyring },
) {
  return async (
    effect: z.infer<typeof checkCertificateEffectSchema>,
    { caseId }: EffectContext,
  ): Promise<EffectOutcome> => {
    const certificates = await openCertificates(ports.keyring, workflow, caseId, effect.certificatesSealed);
    const result = certificateCheckResultSchema.parse(await ports.certificateCheck.check(certificates));
    const event = { type: 'certificate-checked', result };
    return { result: { valid: result.valid }, event };
  };
}

/**
 * W1.3 + W1.6 / W2.2 + W2.4: compares the live photo with the card photo and the person's newest history photos.
 * History photos whose bytes were purged (retention) are skipped.
 */
export function compareFacesHandler(ports: {
  faceCheck: FaceCheckPort;
  photos: PhotoStore;
  history: HistoryPhotoIndex;
  maxHistoryPhotos?: number;
}) {
  return async (effect: z.infer<typeof compareFacesEffectSchema>): Promise<EffectOutcome> => {
    const live = await ports.photos.get(effect.livePhotoId);
    const card = await ports.photos.get(effect.cardPhotoId);
    if (live === undefined || card === undefined) throw new Error('the case photos are missing');
    const entries = await ports.history.list(effect.personKey, {
      kind: effect.historyKind,
      limit: ports.maxHistoryPhotos ?? DEFAULT_MAX_HISTORY_PHOTOS,
    });
    const history: Uint8Array[] = [];
    const historyPhotoIds: string[] = [];
    for (const entry of entries) {
      const photo = await ports.photos.get(entry.photoId);
      if (photo === undefined) continue;
      history.push(photo.bytes);
      historyPhotoIds.push(entry.photoId);
    }
    const result = faceCheckResultSchema.parse(
      await ports.faceCheck.compare({ live: live.bytes, card: card.bytes, history }),
    );
    const event = { type: 'faces-compared', result, historyPhotoIds };
    return { result: { outcome: result.outcome, history: historyPhotoIds.length }, event };
  };
}

/** Idempotent on the photo id: a re-run after a crash adds nothing twice. */
export function addHistoryPhotoHandler(history: HistoryPhotoIndex) {
  return async (
    effect: z.infer<typeof addHistoryPhotoEffectSchema>,
    { caseId }: EffectContext,
  ): Promise<EffectOutcome> => {
    await history.add({
      personKey: effect.personKey,
      photoId: effect.photoId,
      kind: effect.kind,
      capturedAt: effect.capturedAt,
      caseId,
    });
    return { result: { added: effect.photoId } };
  };
}
