import type { GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import type * as tfc from '@tensorflow/tfjs-core';
import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { FaceResult, Human, Input } from '@vladmandic/human';
import type { FaceEmbedding } from './embedding.js';
import { FaceError } from './errors.js';
import { type FaceBox, largestFace, measureFace } from './face-measures.js';
import { caffeMean, descriptorToEmbedding, faceresDescriptor } from './preprocessing.js';
import { cropStatistics, type QualityMeasures } from './quality.js';

/** The tfjs namespace Human's ESM build carries as `human.tf` (core + converter + its backends). */
type HumanTf = typeof tfc & { loadGraphModel: typeof loadGraphModel };

export interface BrowserFaceEngineOptions {
  /**
   * Where faceres' `model.json` is served. Defaults to `faceres.json` under Human's `modelBasePath` (Human's
   * npm package ships it in `models/` beside blazeface and facemesh).
   */
  readonly faceresUrl?: string;
}

/** One face as the browser engine sees it; lengths are in the input's pixels. */
export interface BrowserFaceAnalysis {
  /** How many faces were in the input; the quality gates require exactly one. */
  readonly faces: number;
  readonly box: FaceBox;
  /** Tagged like the Node engine's, so browser and Node embeddings compare (face.md §2). */
  readonly embedding: FaceEmbedding;
  readonly quality: QualityMeasures;
  /** Human's antispoof "real" score, 0–1, when its config enables antispoof. A soft signal only. */
  readonly antispoof?: number;
  /** Human's liveness score, 0–1, when its config enables liveness. A soft signal only. */
  readonly liveness?: number;
  readonly timings: { readonly detectMs: number; readonly embedMs: number };
}

export interface BrowserFaceEngine {
  /** The tfjs backend Human runs on (`wasm`, `webgl`, …). */
  readonly backend: string;
  /** Detects and embeds the largest face; throws `FaceError` `NO_FACE` when there is none. */
  analyze(input: Input): Promise<BrowserFaceAnalysis>;
  /** Every face in the input, largest first (e.g. to pick one out of a group photo); empty when there is none. */
  analyzeAll(input: Input): Promise<BrowserFaceAnalysis[]>;
  /** Releases faceres and the engine's tensors; the Human instance stays the app's. */
  close(): void;
}

/**
 * Settings the §2 preprocessing depends on. Without the rotated, returned crop and the mesh, the crop differs from
 * the Node engine's and the embeddings would carry the right tags with the wrong meaning; a non-zero cache
 * sensitivity lets Human return the previous image's faces.
 */
function checkConfig(human: Human): void {
  const { face, cacheSensitivity } = human.config;
  const wrong: string[] = [];
  if (face.enabled === false) wrong.push('face.enabled');
  if (face.detector?.rotation !== true) wrong.push('face.detector.rotation');
  if (face.detector?.return !== true) wrong.push('face.detector.return');
  if (face.mesh?.enabled !== true) wrong.push('face.mesh.enabled');
  if (cacheSensitivity !== 0) wrong.push('cacheSensitivity');
  if (wrong.length > 0) {
    throw new FaceError(
      'INVALID_INPUT',
      'the Human configuration does not give the face crop the embedding needs',
      {
        details: { reason: 'HUMAN_CONFIG', settings: wrong.join(',') },
      },
    );
  }
}

/**
 * A face engine on a Human instance the app created from Human's ESM build (WebGL or WASM backend). Configure Human
 * with `faceHumanConfig` (or the same face settings); this engine loads faceres itself and runs the face.md §2
 * preprocessing on Human's crop with `human.tf`, exactly as the Node `FaceEngine` does.
 */
export async function createBrowserFaceEngine(
  human: Human,
  options: BrowserFaceEngineOptions = {},
): Promise<BrowserFaceEngine> {
  checkConfig(human);
  const tf = human.tf as HumanTf;
  let faceres: GraphModel;
  try {
    await human.load();
    faceres = await tf.loadGraphModel(options.faceresUrl ?? `${human.config.modelBasePath}faceres.json`);
  } catch (cause) {
    throw new FaceError('ENGINE_UNAVAILABLE', 'the face models could not be loaded', { cause });
  }
  const mean = caffeMean(tf);
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function embedFace(
    face: FaceResult,
    faceCount: number,
    detectMs: number,
  ): Promise<BrowserFaceAnalysis> {
    const crop = face.tensor as unknown as Tensor3D | undefined;
    if (!crop) throw new FaceError('ENGINE_FAILED', 'Human returned a face without its crop');
    const t0 = performance.now();
    const embedding = await descriptorToEmbedding(faceresDescriptor(tf, faceres, mean, crop));
    const [cropHeight, cropWidth] = crop.shape;
    const stats = cropStatistics((await crop.data()) as Float32Array, cropWidth, cropHeight);
    const { box, quality } = measureFace(face, faceCount, stats, 1);
    return {
      faces: faceCount,
      box,
      embedding,
      quality,
      ...(face.real !== undefined && { antispoof: face.real }),
      ...(face.live !== undefined && { liveness: face.live }),
      timings: { detectMs, embedMs: performance.now() - t0 },
    };
  }

  async function run(input: Input, all: boolean): Promise<BrowserFaceAnalysis[]> {
    const t0 = performance.now();
    const result = await human.detect(input);
    const detectMs = performance.now() - t0;
    const faces = result.face;
    try {
      if (result.error) {
        throw new FaceError('ENGINE_FAILED', 'face detection failed', {
          details: { reason: String(result.error) },
        });
      }
      const ordered = all
        ? [...faces].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
        : [largestFace(faces)].filter((f) => f !== undefined);
      const analyses: BrowserFaceAnalysis[] = [];
      for (const face of ordered) analyses.push(await embedFace(face, faces.length, detectMs));
      return analyses;
    } finally {
      for (const face of faces) tf.dispose(face.tensor as unknown as Tensor | undefined);
    }
  }

  // Human and the tfjs backend are not re-entrant: one input at a time.
  function enqueue(input: Input, all: boolean): Promise<BrowserFaceAnalysis[]> {
    if (closed) return Promise.reject(new FaceError('ENGINE_UNAVAILABLE', 'the face engine is closed'));
    const next = queue.then(() => run(input, all));
    queue = next.catch(() => undefined);
    return next;
  }

  return {
    backend: tf.getBackend(),
    async analyze(input) {
      const [primary] = await enqueue(input, false);
      if (!primary) throw new FaceError('NO_FACE', 'no face was found', { details: { faceCount: 0 } });
      return primary;
    },
    analyzeAll: (input) => enqueue(input, true),
    close() {
      if (closed) return;
      closed = true;
      void queue.then(() => {
        mean.dispose();
        faceres.dispose();
      });
    },
  };
}
