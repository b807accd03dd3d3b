import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { FaceResult } from '@vladmandic/human';
import { z } from 'zod';
import {
  type DecodedImage,
  type DecodeLimitsInput,
  decodeImage,
  decodeLimitsSchema,
  type ImageFormat,
} from './decode.js';
import type { FaceEmbedding } from './embedding.js';
import { FaceError } from './errors.js';
import { type FaceBox, largestFace, measureFace } from './face-measures.js';
import { caffeMean, descriptorToEmbedding, faceresDescriptor } from './preprocessing.js';
import { cropStatistics, type QualityMeasures } from './quality.js';
import { type FaceBackend, type FaceRuntime, faceBackends, loadRuntime } from './runtime.js';

// The tags and the box type live in browser-safe modules shared with the browser engine; re-exported here.
export type { FaceBox } from './face-measures.js';
export { FACE_EMBEDDING_MODEL, FACE_EMBEDDING_PREPROCESSING } from './preprocessing.js';

export const faceEngineOptionsSchema = z.object({
  backend: z.enum(faceBackends).default('wasm'),
  /** Header-checked input limits and the analysis size. */
  limits: decodeLimitsSchema.prefault({}),
  /** Run Human's antispoof and liveness models (soft signals, never gates; ≈ a few ms per face). */
  softSignals: z.boolean().default(true),
});

export type FaceEngineOptionsInput = Omit<z.input<typeof faceEngineOptionsSchema>, 'limits'> & {
  limits?: DecodeLimitsInput;
};
export type FaceEngineOptions = z.output<typeof faceEngineOptionsSchema>;

export interface FaceTimings {
  readonly decodeMs: number;
  /** Detector + mesh (+ antispoof/liveness when enabled). */
  readonly detectMs: number;
  readonly embedMs: number;
}

/** The analysis of the primary (largest) face in an image. */
export interface FaceAnalysis {
  /** How many faces were found; the quality gates require exactly one. */
  readonly faces: number;
  readonly box: FaceBox;
  readonly embedding: FaceEmbedding;
  readonly quality: QualityMeasures;
  /** Human's antispoof "real" score, 0–1. A soft signal: 18 % of genuine photos score < 0.5 (face.md §2). */
  readonly antispoof?: number;
  /** Human's liveness score, 0–1. A soft signal only. */
  readonly liveness?: number;
  readonly image: { readonly format: ImageFormat; readonly width: number; readonly height: number };
  readonly timings: FaceTimings;
}

/**
 * Face detection and embedding on CPU (Human + faceres). One engine owns the thread's tfjs backend and runs one
 * image at a time; for throughput on several cores use FacePool, which owns one engine per worker thread.
 */
export class FaceEngine {
  readonly #runtime: FaceRuntime;
  readonly #options: FaceEngineOptions;
  readonly #mean: Tensor;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(runtime: FaceRuntime, options: FaceEngineOptions) {
    this.#runtime = runtime;
    this.#options = options;
    this.#mean = caffeMean(runtime.tf);
  }

  static async create(options: FaceEngineOptionsInput = {}): Promise<FaceEngine> {
    const parsed = faceEngineOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new FaceError('INVALID_INPUT', 'invalid face engine options', { cause: parsed.error });
    }
    const runtime = await loadRuntime(parsed.data.backend, parsed.data.softSignals);
    return new FaceEngine(runtime, parsed.data);
  }

  get backend(): FaceBackend {
    return this.#runtime.backend;
  }

  /**
   * Decodes, detects and embeds the largest face. Throws FaceError for unusable input (IMAGE_TOO_LARGE,
   * IMAGE_CORRUPT, UNSUPPORTED_FORMAT) and NO_FACE; every other gate is left to `assessQuality`.
   */
  analyze(bytes: Uint8Array): Promise<FaceAnalysis> {
    if (this.#closed) return Promise.reject(new FaceError('ENGINE_UNAVAILABLE', 'the face engine is closed'));
    if (!(bytes instanceof Uint8Array)) {
      return Promise.reject(new FaceError('INVALID_INPUT', 'image bytes must be a Uint8Array'));
    }
    // Human and the tfjs backend are not re-entrant: one image at a time.
    const run = this.#queue.then(() => this.#analyze(bytes));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #analyze(bytes: Uint8Array): Promise<FaceAnalysis> {
    const t0 = performance.now();
    const image = await decodeImage(bytes, this.#options.limits);
    const t1 = performance.now();
    const faces = await this.#detect(image);
    const t2 = performance.now();
    try {
      const primary = largestFace(faces);
      if (!primary?.tensor)
        throw new FaceError('NO_FACE', 'no face was found', { details: { faceCount: 0 } });
      const crop = primary.tensor as unknown as Tensor3D;
      const embedding = await this.#embed(crop);
      const [cropHeight, cropWidth] = crop.shape;
      const stats = cropStatistics((await crop.data()) as Float32Array, cropWidth, cropHeight);
      const t3 = performance.now();
      const { box, quality } = measureFace(primary, faces.length, stats, image.scale);
      return {
        faces: faces.length,
        box,
        embedding,
        quality,
        ...(this.#options.softSignals && primary.real !== undefined && { antispoof: primary.real }),
        ...(this.#options.softSignals && primary.live !== undefined && { liveness: primary.live }),
        image: { format: image.format, width: image.originalWidth, height: image.originalHeight },
        timings: { decodeMs: t1 - t0, detectMs: t2 - t1, embedMs: t3 - t2 },
      };
    } finally {
      for (const face of faces) this.#runtime.tf.dispose(face.tensor as unknown as Tensor | undefined);
    }
  }

  async #detect(image: DecodedImage): Promise<FaceResult[]> {
    const { human, tf } = this.#runtime;
    const input = tf.tensor(image.pixels, [1, image.height, image.width, 3], 'int32');
    try {
      const result = await human.detect(input as never);
      if (result.error) {
        throw new FaceError('ENGINE_FAILED', 'face detection failed', {
          details: { reason: String(result.error) },
        });
      }
      return result.face;
    } finally {
      tf.dispose(input);
    }
  }

  /** face.md §2 (with a 7 % cut per side, see CROP_MARGIN): 224², RGB→BGR, caffe mean, faceres, L2-normalise. */
  #embed(crop: Tensor3D): Promise<FaceEmbedding> {
    const { tf, faceres } = this.#runtime;
    return descriptorToEmbedding(faceresDescriptor(tf, faceres, this.#mean, crop));
  }

  /** Releases the models. The wasm heap itself is only returned when the thread ends. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    this.#mean.dispose();
    this.#runtime.faceres.dispose();
  }
}
