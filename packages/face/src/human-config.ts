import type { Config } from '@vladmandic/human';

// Browser-safe: the one Human configuration the §2 preprocessing relies on, for Node (runtime.ts) and the browser.

export interface FaceHumanConfigOptions {
  /** tfjs backend name: `wasm` or `cpu` in Node; `wasm` or `webgl` in a browser. */
  readonly backend: string;
  /** Where Human reads its models (`blazeface.json`, `facemesh.json`, …); ends with `/`. */
  readonly modelBasePath: string;
  /** Where the tfjs wasm backend reads its `.wasm` binaries; ends with `/`. */
  readonly wasmPath: string;
  /** Run Human's antispoof and liveness models (soft signals, never gates). */
  readonly softSignals: boolean;
}

/**
 * Human's configuration for face.md §2: detector with rotation and the returned crop (we run faceres on it
 * ourselves), mesh on (pose, eyes, and the crop Human aligns from it), everything else off.
 */
export function faceHumanConfig(options: FaceHumanConfigOptions): Partial<Config> {
  const { backend, modelBasePath, wasmPath, softSignals } = options;
  return {
    backend,
    wasmPath,
    modelBasePath,
    debug: false,
    // 0: never reuse the previous image's result; every call is a different person's photo.
    cacheSensitivity: 0,
    skipAllowed: false,
    warmup: 'none',
    filter: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    face: {
      enabled: true,
      // rotation: the returned crop is upright; return: we run faceres on it ourselves.
      detector: {
        rotation: true,
        return: true,
        maxDetected: 10,
        minConfidence: 0.5,
        skipFrames: 0,
        skipTime: 0,
      },
      mesh: { enabled: true },
      iris: { enabled: false },
      emotion: { enabled: false },
      // Human's own faceres pass uses a different preprocessing; we run the model ourselves (face.md §2).
      description: { enabled: false },
      antispoof: { enabled: softSignals, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: softSignals, skipFrames: 0, skipTime: 0 },
    },
  } as Partial<Config>;
}
