import type { FaceResult } from '@vladmandic/human';
import { type CropStatistics, eyeOpenness, interEyeDistance, type QualityMeasures } from './quality.js';

// Browser-safe: turns one Human face result into the box and quality measures, for both engines.

/** A face box in original-image pixels (after EXIF rotation). */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The largest face by box area: the one a booth capture is about. */
export function largestFace(faces: readonly FaceResult[]): FaceResult | undefined {
  let best: FaceResult | undefined;
  for (const face of faces) {
    if (!best || face.box[2] * face.box[3] > best.box[2] * best.box[3]) best = face;
  }
  return best;
}

/** Box and quality measures of `face`; `scale` maps analysis pixels to original-image pixels. */
export function measureFace(
  face: FaceResult,
  faceCount: number,
  stats: CropStatistics,
  scale: number,
): { box: FaceBox; quality: QualityMeasures } {
  const [bx, by, bw, bh] = face.box;
  const eyes = interEyeDistance(face.mesh);
  const openness = eyeOpenness(face.mesh);
  const angle = face.rotation?.angle;
  const degrees = (radians: number | undefined) => ((radians ?? 0) * 180) / Math.PI;
  const quality: QualityMeasures = {
    faceCount,
    // Without a mesh, estimate from the box (eye centres sit ~40 % of the face width apart).
    interEyePx: (Number.isFinite(eyes) ? eyes : bw * 0.4) * scale,
    faceWidthPx: bw * scale,
    faceHeightPx: bh * scale,
    yawDeg: degrees(angle?.yaw),
    pitchDeg: degrees(angle?.pitch),
    rollDeg: degrees(angle?.roll),
    // Without a mesh there is no lid measure: count the eyes as open rather than fail the capture.
    eyeOpenness: Number.isFinite(openness) ? openness : 1,
    ...stats,
  };
  return { box: { x: bx * scale, y: by * scale, width: bw * scale, height: bh * scale }, quality };
}
