import type { GraphModel } from '@tensorflow/tfjs-converter';
import type * as tfc from '@tensorflow/tfjs-core';
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { createEmbedding, type FaceEmbedding } from './embedding.js';
import { FaceError } from './errors.js';

// Browser-safe: the Node engine (engine.ts) and the browser engine (browser-engine.ts) both embed through
// these steps, so an embedding made in either place carries the same tags and compares with the other.

/** Embedding tags (face.md §2). Scores are only comparable between embeddings with equal tags. */
export const FACE_EMBEDDING_MODEL = 'human-3.3.6/faceres';
export const FACE_EMBEDDING_PREPROCESSING = 'crop7-224-bgr-caffe-v1';

/** The ImageNet/caffe channel means in BGR order, the preprocessing faceres was trained with. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;
/**
 * Fraction cut from each side of Human's face crop before resizing to the model input. face.md §2 measured 10 %;
 * on the local labelled set (bench/face.ts) 6–8 % lowered the card-photo EER from 2.7 % to 1.6–1.8 % with the
 * photo-vs-photo EER unchanged (2.1 %), while 15 % and more were clearly worse.
 */
export const CROP_MARGIN = 0.07;
export const FACERES_SIZE = 224;
/** faceres' descriptor length. */
export const FACERES_DIMENSIONS = 1024;

/** The tfjs operations the embedding steps use; both Human builds carry them as `human.tf`. */
export type EmbeddingTf = Pick<
  typeof tfc,
  'tidy' | 'image' | 'expandDims' | 'fused' | 'neg' | 'tensor4d' | 'keep' | 'reshape' | 'tensor1d'
>;

/** Holds the caffe mean as a tensor so it is uploaded once per engine; dispose it with the engine. */
export function caffeMean(tf: EmbeddingTf): Tensor {
  return tf.tensor1d([...CAFFE_MEAN_BGR]);
}

/**
 * face.md §2 on Human's rotated face crop (values 0–1, RGB): cut CROP_MARGIN per side, 224², RGB→BGR, subtract the
 * caffe mean, faceres. Returns the raw 1024-d descriptor as a kept tensor (the caller disposes it).
 */
export function faceresDescriptor(
  tf: EmbeddingTf,
  faceres: GraphModel,
  mean: Tensor,
  crop: Tensor3D,
): Tensor {
  return tf.tidy(() => {
    const m = CROP_MARGIN;
    const resized = tf.image.cropAndResize(
      tf.expandDims<Tensor4D>(crop, 0),
      [[m, m, 1 - m, 1 - m]],
      [0],
      [FACERES_SIZE, FACERES_SIZE],
    );
    // ×255, RGB→BGR and the mean subtraction as one 1×1 convolution (a channel permutation scaled by 255, bias −mean):
    // the same numbers, but tf.reverse alone cost ≈ 4 ms per face on wasm and the fused convolution ≈ 0.5 ms.
    const filter = tf.tensor4d([0, 0, 255, 0, 255, 0, 255, 0, 0], [1, 1, 3, 3]);
    const bgr = tf.fused.conv2d({ x: resized, filter, strides: 1, pad: 'valid', bias: tf.neg(mean) });
    const outputs = faceres.execute(bgr) as Tensor[];
    const features = outputs.find((t) => t.shape.length === 2 && t.shape[1] === FACERES_DIMENSIONS);
    if (!features) throw new FaceError('ENGINE_FAILED', 'faceres returned no 1024-d descriptor');
    return tf.keep(tf.reshape(features, [-1]));
  });
}

/** Reads the descriptor, L2-normalises it and tags it; disposes the tensor. */
export async function descriptorToEmbedding(descriptor: Tensor): Promise<FaceEmbedding> {
  try {
    const raw = (await descriptor.data()) as Float32Array;
    if (raw.length !== FACERES_DIMENSIONS) {
      throw new FaceError('ENGINE_FAILED', 'faceres returned an empty descriptor');
    }
    return createEmbedding(raw, FACE_EMBEDDING_MODEL, FACE_EMBEDDING_PREPROCESSING);
  } finally {
    descriptor.dispose();
  }
}
