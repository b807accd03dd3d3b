import { FaceError } from './errors.js';

/**
 * A face embedding: an L2-normalised vector tagged with the model and preprocessing that produced it.
 * The tags matter because scores from different models or crops are not comparable (face.md §2),
 * so similarity refuses to mix them.
 */
export interface FaceEmbedding {
  readonly vector: Float32Array;
  /** Model identifier and version, e.g. `human-faceres@3.3.6`. */
  readonly model: string;
  /** Preprocessing identifier and version (detector, alignment, crop, colour handling). */
  readonly preprocessing: string;
}

/** A vector that cannot be an embedding (empty, zero, non-finite, corrupt) or missing tags: `INVALID_INPUT`. */
export function invalidEmbedding(message: string): FaceError {
  return new FaceError('INVALID_INPUT', message, { details: { reason: 'INVALID_EMBEDDING' } });
}

/**
 * Copies `raw` into a fresh Float32Array scaled to unit length. The copy keeps callers from mutating
 * an embedding after the fact; normalising here means cosine similarity is a plain dot product.
 */
export function createEmbedding(
  raw: Float32Array | number[],
  model: string,
  preprocessing: string,
): FaceEmbedding {
  if (model.length === 0 || preprocessing.length === 0) {
    throw invalidEmbedding('an embedding needs a model and a preprocessing tag');
  }
  if (raw.length === 0) throw invalidEmbedding('an embedding vector cannot be empty');
  let sumSquares = 0;
  for (const value of raw) {
    if (!Number.isFinite(value)) throw invalidEmbedding('an embedding vector must be finite');
    sumSquares += value * value;
  }
  const norm = Math.sqrt(sumSquares);
  if (norm === 0) throw invalidEmbedding('a zero vector has no direction and cannot be an embedding');
  const vector = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) vector[i] = (raw[i] as number) / norm;
  return { vector, model, preprocessing };
}
