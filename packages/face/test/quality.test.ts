import { describe, expect, it } from 'vitest';
import { FaceError } from '../src/errors.js';
import {
  assertQuality,
  assessQuality,
  cropStatistics,
  eyeOpenness,
  interEyeDistance,
  type QualityMeasures,
  qualityThresholdsSchema,
} from '../src/quality.js';

const good: QualityMeasures = {
  faceCount: 1,
  interEyePx: 80,
  faceWidthPx: 300,
  faceHeightPx: 300,
  yawDeg: 3,
  pitchDeg: -4,
  rollDeg: 1,
  eyeOpenness: 0.3,
  sharpness: 150,
  meanLuminance: 120,
  darkFraction: 0,
  brightFraction: 0.01,
};

const codes = (m: Partial<QualityMeasures>, t = {}) => assessQuality({ ...good, ...m }, t).map((f) => f.code);

describe('assessQuality', () => {
  it('passes a good capture and rejects each bad measure with its own reason', () => {
    expect(assessQuality(good)).toEqual([]);
    expect(codes({ faceCount: 0 })).toEqual(['NO_FACE']);
    expect(codes({ faceCount: 2 })).toEqual(['MULTIPLE_FACES']);
    expect(codes({ interEyePx: 10 })).toEqual(['FACE_TOO_SMALL']);
    expect(codes({ yawDeg: -45 })).toEqual(['POSE_NOT_FRONTAL']);
    expect(codes({ pitchDeg: 40 })).toEqual(['POSE_NOT_FRONTAL']);
    expect(codes({ rollDeg: 30 })).toEqual(['POSE_NOT_FRONTAL']);
    expect(codes({ eyeOpenness: 0.05 })).toEqual(['EYES_CLOSED']);
    expect(codes({ sharpness: 2 })).toEqual(['TOO_BLURRY']);
    expect(codes({ meanLuminance: 20 })).toEqual(['BAD_EXPOSURE']);
    expect(codes({ meanLuminance: 240 })).toEqual(['BAD_EXPOSURE']);
    expect(codes({ brightFraction: 0.5 })).toEqual(['BAD_EXPOSURE']);
    expect(codes({ faceCount: 3, interEyePx: 5, sharpness: 1 })).toEqual([
      'MULTIPLE_FACES',
      'FACE_TOO_SMALL',
      'TOO_BLURRY',
    ]);
  });

  it('carries the measured value and the threshold, and honours configured thresholds', () => {
    const [small] = assessQuality({ ...good, interEyePx: 25.456 }, { minInterEyePx: 40 });
    expect(small).toMatchObject({
      code: 'FACE_TOO_SMALL',
      details: { interEyePx: 25.46, minInterEyePx: 40 },
    });
    const [pose] = assessQuality({ ...good, yawDeg: 12 }, { maxYawDeg: 10 });
    expect(pose).toMatchObject({ code: 'POSE_NOT_FRONTAL', details: { yawDeg: 12, maxYawDeg: 10 } });
    expect(pose?.details).not.toHaveProperty('pitchDeg');
    const [dark] = assessQuality({ ...good, meanLuminance: 30, darkFraction: 0.4 });
    expect(dark?.message).toMatch(/dark/);
    expect(codes({ interEyePx: 25 }, { minInterEyePx: 20 })).toEqual([]);
    expect(() => qualityThresholdsSchema.parse({ maxClippedFraction: 2 })).toThrow();
  });

  it('assertQuality throws the first failure as a FaceError listing all of them', () => {
    expect(() => assertQuality(good)).not.toThrow();
    let caught: unknown;
    try {
      assertQuality({ ...good, faceCount: 2, sharpness: 1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FaceError);
    expect(caught).toMatchObject({
      code: 'MULTIPLE_FACES',
      details: { faceCount: 2, failures: 'MULTIPLE_FACES,TOO_BLURRY' },
    });
    const revived = FaceError.fromJSON(JSON.parse(JSON.stringify(caught)));
    expect(revived).toBeInstanceOf(FaceError);
    expect(revived.code).toBe('MULTIPLE_FACES');
  });
});

/** An RGB crop (0–1 floats) from a grey function of (x, y). */
function crop(size: number, f: (x: number, y: number) => number): Float32Array {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = f(x, y) / 255;
      out.set([v, v, v], (y * size + x) * 3);
    }
  }
  return out;
}

describe('cropStatistics', () => {
  it('scores fine detail sharper than the same pattern blurred, and flat as zero', () => {
    const sharp = cropStatistics(
      crop(64, (x, y) => (((x >> 2) + (y >> 2)) % 2 ? 200 : 60)),
      64,
      64,
    );
    const soft = cropStatistics(
      crop(64, (x, y) => 130 + 70 * Math.sin((x * Math.PI) / 16) * Math.sin((y * Math.PI) / 16)),
      64,
      64,
    );
    const flat = cropStatistics(
      crop(64, () => 128),
      64,
      64,
    );
    expect(sharp.sharpness).toBeGreaterThan(soft.sharpness * 10);
    expect(flat.sharpness).toBe(0);
    expect(flat.meanLuminance).toBeCloseTo(128, 3);
  });

  it('measures exposure: mean level and clipped fractions', () => {
    const dark = cropStatistics(
      crop(50, () => 3),
      50,
      50,
    );
    expect(dark).toMatchObject({ darkFraction: 1, brightFraction: 0 });
    const blown = cropStatistics(
      crop(50, (x) => (x < 25 ? 255 : 128)),
      50,
      50,
    );
    expect(blown.brightFraction).toBeGreaterThan(0.3);
    expect(blown.brightFraction).toBeLessThan(0.7);
    expect(blown.meanLuminance).toBeGreaterThan(128);
  });
});

describe('interEyeDistance', () => {
  it('measures between the mesh eye centres and is NaN without a mesh', () => {
    const mesh: number[][] = Array.from({ length: 468 }, () => [0, 0, 0]);
    mesh[33] = [100, 200, 0];
    mesh[133] = [140, 200, 0];
    mesh[362] = [200, 230, 0];
    mesh[263] = [240, 230, 0];
    expect(interEyeDistance(mesh)).toBeCloseTo(Math.hypot(100, 30), 6);
    expect(interEyeDistance([])).toBeNaN();
  });

  it('measures eye openness as lid gap over eye width, the less open eye counting', () => {
    const mesh: number[][] = Array.from({ length: 468 }, () => [0, 0, 0]);
    // Right eye 40 px wide, lids 12 px apart; left eye 40 px wide, lids 4 px apart (closing).
    Object.assign(mesh, { 33: [100, 200], 133: [140, 200], 159: [120, 194], 145: [120, 206] });
    Object.assign(mesh, { 362: [200, 200], 263: [240, 200], 386: [220, 198], 374: [220, 202] });
    expect(eyeOpenness(mesh)).toBeCloseTo(0.1, 6);
    mesh[374] = [220, 210];
    expect(eyeOpenness(mesh)).toBeCloseTo(0.3, 6);
    expect(eyeOpenness([])).toBeNaN();
  });
});
