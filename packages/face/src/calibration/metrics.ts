import type { FaceEmbedding } from '../embedding.js';
import { cosineSimilarity } from '../similarity.js';

/** One labelled photo. `identity: null` = not a single-person photo (a group shot): it takes part in no pair. */
export interface LabelledEmbedding {
  /** A name for reports (e.g. the file path); never used for pairing. */
  readonly id: string;
  readonly identity: string | null;
  readonly embedding: FaceEmbedding;
}

/** A probe built from gallery photo `source` (e.g. its card-photo simulation): never compared with that photo. */
export interface DerivedProbe extends LabelledEmbedding {
  readonly source: number;
}

export interface ScoreSets {
  genuine: number[];
  impostor: number[];
  /** Photos left out because their identity is null. */
  skipped: number;
}

/**
 * All unordered pairs of labelled photos: same identity → genuine, different → impostor. Photos with a null identity
 * are skipped entirely: a group photo's face could be anyone in it, so even calling it an impostor would be a guess.
 */
export function pairScores(samples: readonly LabelledEmbedding[]): ScoreSets {
  const usable = samples.filter((s) => s.identity !== null);
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      const a = usable[i] as LabelledEmbedding;
      const b = usable[j] as LabelledEmbedding;
      (a.identity === b.identity ? genuine : impostor).push(cosineSimilarity(a.embedding, b.embedding));
    }
  }
  return { genuine, impostor, skipped: samples.length - usable.length };
}

/**
 * Probe × gallery scores (card simulation: each photo made card-like, compared with every *other* photo).
 * A probe is never compared with the gallery photo it was made from.
 */
export function probeScores(
  probes: readonly DerivedProbe[],
  gallery: readonly LabelledEmbedding[],
): ScoreSets {
  const genuine: number[] = [];
  const impostor: number[] = [];
  let skipped = 0;
  for (const probe of probes) {
    if (probe.identity === null) {
      skipped++;
      continue;
    }
    gallery.forEach((photo, j) => {
      if (j === probe.source || photo.identity === null) return;
      (photo.identity === probe.identity ? genuine : impostor).push(
        cosineSimilarity(probe.embedding, photo.embedding),
      );
    });
  }
  return { genuine, impostor, skipped: skipped + gallery.filter((g) => g.identity === null).length };
}

/** Decision convention throughout: `score ≥ threshold` accepts. */
export interface RocPoint {
  threshold: number;
  /** False accept rate: impostor scores ≥ threshold / impostor count. */
  far: number;
  /** False reject rate: genuine scores < threshold / genuine count. */
  frr: number;
}

export interface OperatingPoint extends RocPoint {
  targetFar: number;
  /**
   * False when there are fewer impostor pairs than 1 / targetFar: the point is then set by the single highest
   * impostor scores and says little about the target rate.
   */
  reliable: boolean;
}

export interface ScoreSummary {
  count: number;
  min: number;
  p01: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface CalibrationMetrics {
  genuine: ScoreSummary;
  impostor: ScoreSummary;
  /** Equal error rate, linearly interpolated between the two ROC points where FAR − FRR changes sign. */
  eer: number;
  /** Where FAR = FRR; when that holds over an interval of thresholds, its middle. */
  eerThreshold: number;
  /** Lowest threshold with FAR ≤ 1 % and the FRR there. */
  atFar1: OperatingPoint;
  /** Lowest threshold with FAR ≤ 0.1 % and the FRR there. */
  atFar01: OperatingPoint;
  suggestedThresholds: {
    /** Balances both errors on this data. */
    eer: number;
    /** For a booth: strict on impostors (FAR ≤ 1 %). */
    far1: number;
    /** Stricter still (FAR ≤ 0.1 %); check `atFar01.reliable`. */
    far01: number;
  };
  /** One point per distinct score, plus one above every score (FAR = 0, FRR = 1), in increasing threshold. */
  roc: RocPoint[];
}

/** ROC points, EER and operating points from genuine and impostor score lists (each non-empty). */
export function computeMetrics(scores: {
  genuine: readonly number[];
  impostor: readonly number[];
}): CalibrationMetrics {
  const genuine = [...scores.genuine].sort((a, b) => a - b);
  const impostor = [...scores.impostor].sort((a, b) => a - b);
  if (genuine.length === 0 || impostor.length === 0) {
    throw new RangeError('calibration needs at least one genuine and one impostor score');
  }
  for (const s of [...genuine, ...impostor]) {
    if (!Number.isFinite(s)) throw new RangeError('scores must be finite numbers');
  }
  const roc = rocPoints(genuine, impostor);
  const { eer, eerThreshold } = equalErrorRate(roc);
  const atFar1 = operatingPoint(roc, 0.01, impostor.length);
  const atFar01 = operatingPoint(roc, 0.001, impostor.length);
  return {
    genuine: summarise(genuine),
    impostor: summarise(impostor),
    eer,
    eerThreshold,
    atFar1,
    atFar01,
    suggestedThresholds: { eer: eerThreshold, far1: atFar1.threshold, far01: atFar01.threshold },
    roc,
  };
}

function rocPoints(genuine: readonly number[], impostor: readonly number[]): RocPoint[] {
  const all = [...genuine, ...impostor].sort((a, b) => a - b);
  const thresholds: number[] = [];
  for (const s of all) if (thresholds[thresholds.length - 1] !== s) thresholds.push(s);
  thresholds.push(nextUp(all[all.length - 1] as number));
  // Both lists are sorted: walk them once with two cursors counting scores below the threshold.
  let g = 0;
  let i = 0;
  return thresholds.map((threshold) => {
    while (g < genuine.length && (genuine[g] as number) < threshold) g++;
    while (i < impostor.length && (impostor[i] as number) < threshold) i++;
    return { threshold, far: (impostor.length - i) / impostor.length, frr: g / genuine.length };
  });
}

function equalErrorRate(roc: readonly RocPoint[]): { eer: number; eerThreshold: number } {
  // FAR − FRR starts ≥ 0 (lowest threshold: FRR = 0) and ends < 0 (above all: FAR = 0, FRR = 1).
  for (let k = 0; k < roc.length; k++) {
    const p = roc[k] as RocPoint;
    const d = p.far - p.frr;
    if (d === 0) {
      // FAR = FRR over every threshold in (previous point, last point with d = 0]: suggest the middle of that
      // interval (for separable scores, halfway between the highest impostor and the lowest genuine score).
      let last = k;
      while (last + 1 < roc.length && (roc[last + 1] as RocPoint).far === (roc[last + 1] as RocPoint).frr)
        last++;
      const low = (roc[k - 1] ?? p).threshold;
      return { eer: p.far, eerThreshold: (low + (roc[last] as RocPoint).threshold) / 2 };
    }
    const q = roc[k + 1];
    if (d > 0 && q !== undefined && q.far - q.frr < 0) {
      const alpha = d / (d - (q.far - q.frr));
      return {
        eer: p.far + alpha * (q.far - p.far),
        eerThreshold: p.threshold + alpha * (q.threshold - p.threshold),
      };
    }
  }
  throw new Error('unreachable: FAR − FRR never changed sign');
}

function operatingPoint(roc: readonly RocPoint[], targetFar: number, impostorCount: number): OperatingPoint {
  // FAR falls as the threshold rises, so the first point meeting the target has the lowest FRR; the last point
  // (above every score) always meets it.
  const point = roc.find((p) => p.far <= targetFar) as RocPoint;
  return { ...point, targetFar, reliable: impostorCount * targetFar >= 1 };
}

function summarise(sorted: readonly number[]): ScoreSummary {
  return {
    count: sorted.length,
    min: sorted[0] as number,
    p01: quantile(sorted, 0.01),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((sum, s) => sum + s, 0) / sorted.length,
  };
}

/** Linear-interpolated quantile of a sorted list (the common "type 7" definition). */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

/** The smallest double above `x`, so "above every score" is a real threshold and not an infinity in JSON. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}
