import { MynakitError, type MynakitErrorOptions } from '@mynakit/card';

/**
 * Every failure the face engine reports. Codes are stable API: a booth switches on them to show
 * "move closer" or "look straight", so they are never renamed.
 */
export const faceErrorCodes = [
  // Input: checked before or while decoding.
  'IMAGE_TOO_LARGE',
  'IMAGE_CORRUPT',
  'UNSUPPORTED_FORMAT',
  // Quality gates: each one is a reason a booth can show.
  'NO_FACE',
  'MULTIPLE_FACES',
  'FACE_TOO_SMALL',
  'POSE_NOT_FRONTAL',
  'EYES_CLOSED',
  'TOO_BLURRY',
  'BAD_EXPOSURE',
  // Runtime.
  'ENGINE_UNAVAILABLE',
  'ENGINE_FAILED',
  'QUEUE_FULL',
  'POOL_CLOSED',
  'INVALID_INPUT',
] as const;

export type FaceErrorCode = (typeof faceErrorCodes)[number];

/** The quality-gate subset of the codes: what `assessQuality` can return. */
export const qualityFailureCodes = [
  'NO_FACE',
  'MULTIPLE_FACES',
  'FACE_TOO_SMALL',
  'POSE_NOT_FRONTAL',
  'EYES_CLOSED',
  'TOO_BLURRY',
  'BAD_EXPOSURE',
] as const satisfies readonly FaceErrorCode[];

export type QualityFailureCode = (typeof qualityFailureCodes)[number];

/** An error from the face engine. Details carry measured values and thresholds, never image bytes. */
export class FaceError extends MynakitError<FaceErrorCode> {
  constructor(code: FaceErrorCode, message: string, options: MynakitErrorOptions = {}) {
    super(code, message, options);
    this.name = 'FaceError';
  }

  /** Revives a serialised FaceError (e.g. one that crossed a worker boundary) with its code intact. */
  static override fromJSON(value: unknown): FaceError {
    const revived = MynakitError.fromJSON(value);
    if (!isFaceErrorCode(revived.code)) throw new TypeError(`not a face error code: ${revived.code}`);
    return new FaceError(revived.code, revived.message, {
      details: revived.details,
      ...(revived.cause !== undefined && { cause: revived.cause }),
    });
  }
}

export function isFaceErrorCode(code: string): code is FaceErrorCode {
  return (faceErrorCodes as readonly string[]).includes(code);
}
