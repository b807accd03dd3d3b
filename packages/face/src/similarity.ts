import { z } from 'zod';
import { createEmbedding, type FaceEmbedding, invalidEmbedding } from './embedding.js';
import { FaceError } from './errors.js';

/**
 * Two embeddings that cannot be compared: a different model, preprocessing or length. A cosine between vectors
 * from different models is a number with no meaning, and a threshold calibrated for one says nothing about the
 * other, so this is an error rather than a low score. Code `INVALID_INPUT`, `details.reason` `EMBEDDING_MISMATCH`.
 */
function mismatch(message: string, a: string | number, b: string | number): FaceError {
  return new FaceError('INVALID_INPUT', message, { details: { reason: 'EMBEDDING_MISMATCH', a, b } });
}

/**
 * Throws a `FaceError` (`INVALID_INPUT`, reason `EMBEDDING_MISMATCH`) unless `a` and `b` come from the same
 * model, the same preprocessing and have the same length.
 */
export function assertComparable(a: FaceEmbedding, b: FaceEmbedding): void {
  if (a.model !== b.model) {
    throw mismatch('embeddings come from different models', a.model, b.model);
  }
  if (a.preprocessing !== b.preprocessing) {
    throw mismatch('embeddings come from different preprocessing versions', a.preprocessing, b.preprocessing);
  }
  if (a.vector.length !== b.vector.length) {
    throw mismatch('embeddings have different lengths', a.vector.length, b.vector.length);
  }
}

/**
 * Cosine similarity in [-1, 1]. Embeddings are unit vectors already, but the norms are divided out anyway (in
 * double precision) so a hand-built or deserialised vector off unit length by float rounding still scores right.
 */
export function cosineSimilarity(a: FaceEmbedding, b: FaceEmbedding): number {
  assertComparable(a, b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.vector.length; i++) {
    const x = a.vector[i] as number;
    const y = b.vector[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const cos = dot / Math.sqrt(na * nb);
  return Math.max(-1, Math.min(1, cos));
}

/**
 * The wire form of an embedding (reception records, history stores): the float32 vector as little-endian bytes
 * in base64, with its model and preprocessing tags. Base64 of float32 keeps the exact bits (decimal JSON would not)
 * at a third of the size of a number array.
 */
export const embeddingSchema = z.object({
  model: z.string().min(1),
  preprocessing: z.string().min(1),
  dimensions: z.number().int().positive(),
  /** base64 of `dimensions` little-endian IEEE 754 float32 values. */
  vector: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
});

export type SerializedEmbedding = z.infer<typeof embeddingSchema>;

export function serializeEmbedding(embedding: FaceEmbedding): SerializedEmbedding {
  const bytes = new Uint8Array(embedding.vector.length * 4);
  const view = new DataView(bytes.buffer);
  embedding.vector.forEach((value, i) => {
    view.setFloat32(i * 4, value, true);
  });
  return {
    model: embedding.model,
    preprocessing: embedding.preprocessing,
    dimensions: embedding.vector.length,
    vector: toBase64(bytes),
  };
}

/** Stored embeddings are unit vectors; anything further off than float32 rounding is corrupt or not ours. */
const UNIT_TOLERANCE = 1e-4;

/** Parses and validates a serialised embedding; the result is bit-identical to what was serialised. */
export function deserializeEmbedding(value: unknown): FaceEmbedding {
  const json = embeddingSchema.parse(value);
  const bytes = fromBase64(json.vector);
  if (bytes.length !== json.dimensions * 4) {
    throw invalidEmbedding(`expected ${json.dimensions * 4} vector bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(json.dimensions);
  let sumSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = view.getFloat32(i * 4, true);
    vector[i] = v;
    sumSquares += v * v;
  }
  if (!Number.isFinite(sumSquares) || Math.abs(Math.sqrt(sumSquares) - 1) > UNIT_TOLERANCE) {
    throw invalidEmbedding('a stored embedding must be a finite unit vector');
  }
  // createEmbedding validates again; its re-normalisation is skipped so the stored bits come back unchanged.
  createEmbedding(vector, json.model, json.preprocessing);
  return { vector, model: json.model, preprocessing: json.preprocessing };
}

// btoa/atob exist in browsers and in Node ≥ 16, so no Buffer (this module must bundle for a browser).
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw invalidEmbedding(`embedding vector is not valid base64: ${String(cause)}`);
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
