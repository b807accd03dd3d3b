import { cosineSimilarity } from '@mynakit/face';
import { emit } from '../output.js';
import { openAnalyzer, readPhoto } from './face-shared.js';

/** Face-level default for a quick look; real deployments calibrate their own (`mynakit face calibrate`). */
export const DEFAULT_COMPARE_THRESHOLD = 0.55;

/** `mynakit face compare A B`: the cosine similarity of the two faces and whether it clears the threshold. */
export async function faceCompareCommand(
  a: string,
  b: string,
  options: { json?: boolean; threshold?: string },
): Promise<void> {
  const threshold = options.threshold === undefined ? DEFAULT_COMPARE_THRESHOLD : Number(options.threshold);
  if (!Number.isFinite(threshold) || threshold < -1 || threshold > 1) {
    throw new Error(`--threshold must be a number in [-1, 1], got ${options.threshold}`);
  }
  const [bytesA, bytesB] = await Promise.all([readPhoto(a), readPhoto(b)]);
  const analyzer = await openAnalyzer();
  try {
    const left = await analyzer.analyze(bytesA);
    const right = await analyzer.analyze(bytesB);
    const score = cosineSimilarity(left.embedding, right.embedding);
    emit(
      options.json ?? false,
      {
        a,
        b,
        score,
        threshold,
        match: score >= threshold,
        /** Faces found in each photo; with several, the largest one was compared. */
        faces: [left.faces ?? 1, right.faces ?? 1],
        model: left.embedding.model,
        preprocessing: left.embedding.preprocessing,
      },
      (r) =>
        [
          `similarity ${r.score.toFixed(4)} — ${r.match ? 'same person' : 'different people'} at threshold ${r.threshold}`,
          ...r.faces.flatMap((n, i) =>
            n > 1 ? [`note: ${n} faces in ${i === 0 ? r.a : r.b}; the largest was compared`] : [],
          ),
        ].join('\n'),
    );
  } finally {
    await analyzer.close();
  }
}
