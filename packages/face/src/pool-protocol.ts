import type { SerializedError } from '@mynakit/card';
import type { FaceAnalysis } from './engine.js';

/** Messages between FacePool and its workers. Image bytes and embedding vectors are transferred, not copied. */
export type PoolRequest = { type: 'analyze'; id: number; bytes: ArrayBuffer } | { type: 'close' };

/** An analysis with its embedding as plain fields (a structured-cloneable shape). */
export type WireAnalysis = Omit<FaceAnalysis, 'embedding'> & {
  embedding: { vector: Float32Array; model: string; preprocessing: string };
};

export type PoolResponse =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; analysis: WireAnalysis }
  | { type: 'error'; id: number; error: SerializedError };
