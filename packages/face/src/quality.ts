import { z } from 'zod';
import { FaceError, type QualityFailureCode } from './errors.js';

/** What the engine measured on the primary (largest) face. Lengths are in original-image pixels. */
export interface QualityMeasures {
  /** Faces found in the image. */
  readonly faceCount: number;
  /** Distance between the eye centres (mesh eye corners). */
  readonly interEyePx: number;
  /** Face box size. */
  readonly faceWidthPx: number;
  readonly faceHeightPx: number;
  /** Head pose from the face mesh, in degrees; 0/0/0 is frontal. */
  readonly yawDeg: number;
  readonly pitchDeg: number;
  readonly rollDeg: number;
  /**
   * Eye aspect ratio (lid gap / eye width) of the less open eye, from the mesh. Open eyes measured 0.21–0.55 on
   * face-api's group photos (smiles included); 1 when there is no mesh to measure.
   */
  readonly eyeOpenness: number;
  /** Variance of the Laplacian of the grey face crop (fixed crop size, so comparable across images). */
  readonly sharpness: number;
  /** Mean grey level of the face crop, 0–255. */
  readonly meanLuminance: number;
  /** Fractions of face-crop pixels crushed to black / blown to white. */
  readonly darkFraction: number;
  readonly brightFraction: number;
}

/**
 * Gate thresholds. Defaults are lenient starting points measured on ordinary photos (face.md §4); a booth
 * should tune them on its own camera and lighting.
 */
export const qualityThresholdsSchema = z.object({
  minInterEyePx: z.number().nonnegative().default(30),
  maxYawDeg: z.number().positive().default(30),
  maxPitchDeg: z.number().positive().default(30),
  maxRollDeg: z.number().positive().default(25),
  /** Below this eye aspect ratio the eyes count as closed. Not yet checked against closed-eye photos. */
  minEyeOpenness: z.number().nonnegative().default(0.12),
  minSharpness: z.number().nonnegative().default(20),
  minMeanLuminance: z.number().min(0).max(255).default(50),
  maxMeanLuminance: z.number().min(0).max(255).default(215),
  /** Largest accepted fraction of the face crop that is crushed or blown. */
  maxClippedFraction: z.number().min(0).max(1).default(0.25),
});

export type QualityThresholdsInput = z.input<typeof qualityThresholdsSchema>;
export type QualityThresholds = z.output<typeof qualityThresholdsSchema>;

/** One failed gate: a typed reason a booth can show, with what was measured and the limit it broke. */
export interface QualityFailure {
  readonly code: QualityFailureCode;
  readonly message: string;
  readonly details: Record<string, number>;
}

/** Runs every gate; an empty list means the capture is usable. Soft signals (antispoof, liveness) are not gates. */
export function assessQuality(
  measures: QualityMeasures,
  thresholdsInput: QualityThresholdsInput = {},
): QualityFailure[] {
  const t = qualityThresholdsSchema.parse(thresholdsInput);
  const failures: QualityFailure[] = [];
  const fail = (code: QualityFailureCode, message: string, details: Record<string, number>) =>
    failures.push({ code, message, details });
  if (measures.faceCount === 0) {
    fail('NO_FACE', 'no face was found', { faceCount: 0 });
    return failures; // nothing else can be measured
  }
  if (measures.faceCount > 1) {
    fail('MULTIPLE_FACES', 'more than one face is in the image', {
      faceCount: measures.faceCount,
      maxFaces: 1,
    });
  }
  if (measures.interEyePx < t.minInterEyePx) {
    fail('FACE_TOO_SMALL', 'the face is too small: move closer', {
      interEyePx: round(measures.interEyePx),
      minInterEyePx: t.minInterEyePx,
    });
  }
  const pose: [string, number, number][] = [
    ['yawDeg', measures.yawDeg, t.maxYawDeg],
    ['pitchDeg', measures.pitchDeg, t.maxPitchDeg],
    ['rollDeg', measures.rollDeg, t.maxRollDeg],
  ];
  const offPose = pose.filter(([, value, max]) => Math.abs(value) > max);
  if (offPose.length > 0) {
    const details: Record<string, number> = {};
    for (const [name, value, max] of offPose) {
      details[name] = round(value);
      details[`max${name[0]!.toUpperCase()}${name.slice(1)}`] = max;
    }
    fail('POSE_NOT_FRONTAL', 'the head is turned or tilted: look straight at the camera', details);
  }
  if (measures.eyeOpenness < t.minEyeOpenness) {
    fail('EYES_CLOSED', 'the eyes look closed: open your eyes', {
      eyeOpenness: round(measures.eyeOpenness),
      minEyeOpenness: t.minEyeOpenness,
    });
  }
  if (measures.sharpness < t.minSharpness) {
    fail('TOO_BLURRY', 'the face is blurred: hold still', {
      sharpness: round(measures.sharpness),
      minSharpness: t.minSharpness,
    });
  }
  const clipped = measures.darkFraction + measures.brightFraction;
  if (
    measures.meanLuminance < t.minMeanLuminance ||
    measures.meanLuminance > t.maxMeanLuminance ||
    clipped > t.maxClippedFraction
  ) {
    fail(
      'BAD_EXPOSURE',
      measures.meanLuminance < t.minMeanLuminance || measures.darkFraction > measures.brightFraction
        ? 'the face is too dark'
        : 'the face is too bright',
      {
        meanLuminance: round(measures.meanLuminance),
        minMeanLuminance: t.minMeanLuminance,
        maxMeanLuminance: t.maxMeanLuminance,
        clippedFraction: round(clipped),
        maxClippedFraction: t.maxClippedFraction,
      },
    );
  }
  return failures;
}

/** Throws the first failed gate as a FaceError (all failed codes listed in details.failures). */
export function assertQuality(measures: QualityMeasures, thresholds: QualityThresholdsInput = {}): void {
  const failures = assessQuality(measures, thresholds);
  const first = failures[0];
  if (!first) return;
  throw new FaceError(first.code, first.message, {
    details: { ...first.details, failures: failures.map((f) => f.code).join(',') },
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Grey-level statistics of a face crop, for the sharpness and exposure gates. */
export interface CropStatistics {
  readonly sharpness: number;
  readonly meanLuminance: number;
  readonly darkFraction: number;
  readonly brightFraction: number;
}

/** Margins of the upright face crop left out of the statistics: they hold hair and background, not skin. */
const INNER = { left: 0.2, right: 0.8, top: 0.2, bottom: 0.85 };

/**
 * Measures an RGB face crop (row-major, values 0–1 as Human returns them). Sharpness is the variance of the
 * 4-neighbour Laplacian over the inner face region; exposure is the mean grey level and clipped fractions there.
 */
export function cropStatistics(rgb: Float32Array, width: number, height: number): CropStatistics {
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = 255 * (0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!);
  }
  const x0 = Math.max(1, Math.floor(width * INNER.left));
  const x1 = Math.min(width - 1, Math.ceil(width * INNER.right));
  const y0 = Math.max(1, Math.floor(height * INNER.top));
  const y1 = Math.min(height - 1, Math.ceil(height * INNER.bottom));
  let n = 0;
  let sum = 0;
  let dark = 0;
  let bright = 0;
  let lapSum = 0;
  let lapSq = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      const v = grey[i]!;
      sum += v;
      if (v <= 8) dark++;
      if (v >= 247) bright++;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - width]! + grey[i + width]! - 4 * v;
      lapSum += lap;
      lapSq += lap * lap;
      n++;
    }
  }
  if (n === 0) return { sharpness: 0, meanLuminance: 0, darkFraction: 0, brightFraction: 0 };
  const lapMean = lapSum / n;
  return {
    sharpness: lapSq / n - lapMean * lapMean,
    meanLuminance: sum / n,
    darkFraction: dark / n,
    brightFraction: bright / n,
  };
}

type Point = readonly (number | undefined)[];

/** Face-mesh (468-point) eye corner indices: subject's right eye 33/133, left eye 362/263. */
const EYE_CORNERS = { right: [33, 133], left: [362, 263] } as const;

/**
 * Eye aspect ratio of the less open eye: lid gap (159–145, 386–374) over eye width (33–133, 263–362).
 * NaN without a mesh.
 */
export function eyeOpenness(mesh: readonly Point[]): number {
  const dist = (a: number, b: number): number => {
    const p = mesh[a];
    const q = mesh[b];
    if (!p || !q) return Number.NaN;
    return Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!);
  };
  const right = dist(159, 145) / dist(33, 133);
  const left = dist(386, 374) / dist(263, 362);
  return Math.min(right, left);
}

/** Distance between the eye centres of a 468-point face mesh, in the mesh's pixel units; NaN without a mesh. */
export function interEyeDistance(mesh: readonly Point[]): number {
  const centre = (a: number, b: number): [number, number] | undefined => {
    const p = mesh[a];
    const q = mesh[b];
    if (!p || !q) return undefined;
    return [(p[0]! + q[0]!) / 2, (p[1]! + q[1]!) / 2];
  };
  const r = centre(EYE_CORNERS.right[0], EYE_CORNERS.right[1]);
  const l = centre(EYE_CORNERS.left[0], EYE_CORNERS.left[1]);
  if (!r || !l) return Number.NaN;
  return Math.hypot(r[0] - l[0], r[1] - l[1]);
}
