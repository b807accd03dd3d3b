import { z } from 'zod';
import { WorkflowError } from '../engine/errors.js';
import type { CaseSnapshot, WorkflowRuntime } from '../engine/runtime.js';
import type { PhotoStore } from '../privacy/photo-store.js';
import { sha256Hex } from '../privacy/photo-store.js';
import { type Keyring, sealContext } from '../privacy/sealed-box.js';
import { fromBase64, toBase64, toBase64Url } from './base64.js';
import { type BoothCaseInput, idempotencyKeySchema, livePhotoTypeSchema } from './booth-case.js';
import { CaseServiceError } from './errors.js';
import { type CardHolder, cardHolderSchema, personKey } from './person-key.js';
import type { CardCertificates } from './ports.js';

// What a booth sends (W1.1 renewal application, W2.1 registration request) and how a service turns it into a case:
// photos into the encrypted PhotoStore, the basic four and the certificates sealed, a pseudonymous person key.

const certificateDerSchema = z.base64().min(4).max(16_384);

/** `POST /w1/renewals` body; binary as base64. */
export const boothApplicationSchema = z.strictObject({
  certificates: z.strictObject({ auth: certificateDerSchema, sign: certificateDerSchema.nullable() }),
  /** The basic four from the 券面事項入力補助AP. */
  holder: cardHolderSchema,
  /** The chip photo from the 券面AP (JPEG 2000). */
  cardPhoto: z
    .base64()
    .min(4)
    .max(256 * 1024),
  livePhoto: z
    .base64()
    .min(4)
    .max(16 * 1024 * 1024),
  livePhotoType: livePhotoTypeSchema,
  /** When the booth took the live photo; defaults to the time the server received it. */
  capturedAt: z.iso.datetime({ offset: true }).optional(),
});
export type BoothApplication = z.infer<typeof boothApplicationSchema>;
export type BoothApplicationInput = z.input<typeof boothApplicationSchema>;

/** `POST /w2/registrations` body: the capture date-time is part of the registration (W2.1). */
export const registrationRequestSchema = boothApplicationSchema.extend({
  capturedAt: z.iso.datetime({ offset: true }),
});
export type RegistrationRequest = z.infer<typeof registrationRequestSchema>;
export type RegistrationRequestInput = z.input<typeof registrationRequestSchema>;

/** `{prefix}-` + base64url(SHA-256(boothId ':' idempotencyKey)): a retried POST lands on the same case. */
export async function boothCaseId(prefix: string, boothId: string, idempotencyKey: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(`${boothId}:${idempotencyKey}`),
  );
  return `${prefix}-${toBase64Url(new Uint8Array(digest))}`;
}

const holderContext = (workflow: string, caseId: string) => sealContext(workflow, caseId, 'holder');
const certificatesContext = (workflow: string, caseId: string) =>
  sealContext(workflow, caseId, 'certificates');

export async function openHolder(
  keyring: Keyring,
  workflow: string,
  caseId: string,
  sealed: string,
): Promise<CardHolder> {
  const bytes = await keyring.open(fromBase64(sealed), holderContext(workflow, caseId));
  return cardHolderSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

const sealedCertificatesSchema = z.strictObject({ auth: z.base64(), sign: z.base64().nullable() });

export async function openCertificates(
  keyring: Keyring,
  workflow: string,
  caseId: string,
  sealed: string,
): Promise<CardCertificates> {
  const bytes = await keyring.open(fromBase64(sealed), certificatesContext(workflow, caseId));
  const parsed = sealedCertificatesSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
  return { auth: fromBase64(parsed.auth), sign: parsed.sign === null ? null : fromBase64(parsed.sign) };
}

export interface BoothCaseStarter {
  readonly runtime: WorkflowRuntime;
  readonly photos: PhotoStore;
  readonly keyring: Keyring;
  /** Secret outside the database for `personKey`. */
  readonly pepper: Uint8Array;
  readonly clock: () => Date;
}

/** What the booth-facing services (W1 renewals, W2 registrations) are constructed with. */
export interface BoothCaseServiceOptions {
  readonly runtime: WorkflowRuntime;
  /** Encrypted store for the live and card photos. */
  readonly photos: PhotoStore;
  /** Seals the basic four and the certificates kept in the case. */
  readonly keyring: Keyring;
  /** Secret kept outside the database for `personKey`. */
  readonly pepper: Uint8Array;
  readonly clock?: () => Date;
  /** How long a held case waits for a reviewer (default 7 days). */
  readonly reviewTimeoutMs?: number;
}

/**
 * Starts (or finds again) the case of a booth request. A retry with the same Idempotency-Key returns the existing
 * case; the same key with another body is IDEMPOTENCY_CONFLICT. Photos are stored before the case starts; when a
 * concurrent retry wins the start, ours are deleted again.
 */
export async function startBoothCase(
  deps: BoothCaseStarter,
  options: {
    readonly workflow: string;
    readonly prefix: string;
    readonly boothId: string;
    readonly idempotencyKey: string;
    readonly request: BoothApplication;
    /** The workflow input beyond the common fields (timeouts). */
    readonly extra: (common: BoothCaseInput) => unknown;
    readonly reviewTimeoutMs: number;
  },
): Promise<CaseSnapshot> {
  const { workflow, boothId, request } = options;
  const idempotencyKey = idempotencyKeySchema.parse(options.idempotencyKey);
  const caseId = await boothCaseId(options.prefix, boothId, idempotencyKey);
  const requestDigest = await digestRequest(request);
  const existing = await findOwn(deps.runtime, workflow, caseId, boothId, requestDigest);
  if (existing !== null) return existing;

  const now = deps.clock();
  const capturedAt = request.capturedAt === undefined ? now : new Date(request.capturedAt);
  const live = await deps.photos.put({
    kind: 'live',
    caseId,
    capturedAt,
    bytes: fromBase64(request.livePhoto),
  });
  const card = await deps.photos.put({
    kind: 'card',
    caseId,
    capturedAt: now,
    bytes: fromBase64(request.cardPhoto),
  });
  const encoder = new TextEncoder();
  const holderSealed = await deps.keyring.seal(
    encoder.encode(JSON.stringify(request.holder)),
    holderContext(workflow, caseId),
  );
  const certificatesSealed = await deps.keyring.seal(
    encoder.encode(JSON.stringify(request.certificates)),
    certificatesContext(workflow, caseId),
  );
  const common: BoothCaseInput = {
    boothId,
    personKey: await personKey(request.holder, deps.pepper),
    holderSealed: toBase64(holderSealed),
    certificatesSealed: toBase64(certificatesSealed),
    livePhotoId: live.id,
    livePhotoType: request.livePhotoType,
    cardPhotoId: card.id,
    capturedAt: capturedAt.toISOString(),
    requestDigest,
    reviewTimeoutMs: options.reviewTimeoutMs,
  };
  try {
    return await deps.runtime.start(workflow, caseId, options.extra(common));
  } catch (error) {
    if (!(error instanceof WorkflowError && error.code === 'CASE_EXISTS')) throw error;
    await deps.photos.delete(live.id);
    await deps.photos.delete(card.id);
    const raced = await findOwn(deps.runtime, workflow, caseId, boothId, requestDigest);
    if (raced === null) throw error;
    return raced;
  }
}

/** The booth's own case of this workflow, or CASE_NOT_FOUND (another booth's case looks like an unknown one). */
export async function loadOwnCase(
  runtime: WorkflowRuntime,
  workflow: string,
  caseId: string,
  boothId: string,
): Promise<CaseSnapshot> {
  const snapshot = await runtime.getCase(caseId);
  const owner = (snapshot?.state as { boothId?: unknown } | undefined)?.boothId;
  if (snapshot === null || snapshot.workflow !== workflow || owner !== boothId) {
    throw new CaseServiceError('CASE_NOT_FOUND', 'no such case', { details: { caseId } });
  }
  return snapshot;
}

async function findOwn(
  runtime: WorkflowRuntime,
  workflow: string,
  caseId: string,
  boothId: string,
  requestDigest: string,
): Promise<CaseSnapshot | null> {
  const snapshot = await runtime.getCase(caseId);
  if (snapshot === null) return null;
  const state = snapshot.state as { boothId?: unknown; requestDigest?: unknown };
  // The case id is derived from the booth id, so another owner means a hash collision: treat it as a conflict too.
  if (snapshot.workflow !== workflow || state.boothId !== boothId || state.requestDigest !== requestDigest) {
    throw new CaseServiceError('IDEMPOTENCY_CONFLICT', 'the Idempotency-Key was used for another request', {
      details: { caseId },
    });
  }
  return snapshot;
}

/** Over every field in a fixed order, so that key order in the JSON body does not matter. */
async function digestRequest(request: BoothApplication): Promise<string> {
  const parts = [
    request.certificates.auth,
    request.certificates.sign ?? '',
    request.holder.name,
    request.holder.address,
    request.holder.birthDate,
    request.holder.sex,
    request.cardPhoto,
    request.livePhoto,
    request.livePhotoType,
    request.capturedAt === undefined ? '' : new Date(request.capturedAt).toISOString(),
  ];
  return sha256Hex(new TextEncoder().encode(JSON.stringify(parts)));
}
