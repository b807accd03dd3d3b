import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import type * as tfc from '@tensorflow/tfjs-core';
import type { Config, Human } from '@vladmandic/human';
import { FaceError } from './errors.js';
import { fuseClippedRelu } from './faceres-graph.js';
import { faceHumanConfig } from './human-config.js';

export const faceBackends = ['wasm', 'cpu'] as const;
export type FaceBackend = (typeof faceBackends)[number];

/** The tfjs namespace Human carries (core + converter + wasm backend), typed with the parts used here. */
export type Tf = typeof tfc & { loadGraphModel: typeof loadGraphModel };

/** A loaded Human instance plus our own faceres model (run with the §2 preprocessing, not Human's). */
export interface FaceRuntime {
  readonly human: Human;
  readonly tf: Tf;
  readonly faceres: GraphModel;
  readonly backend: FaceBackend;
  readonly humanVersion: string;
}

const require = createRequire(import.meta.url);

/** Human's package root. Its `exports` map hides subpaths, so the root is derived from the main entry. */
function humanRoot(): string {
  return path.resolve(path.dirname(require.resolve('@vladmandic/human')), '..');
}

/** Models are addressed with this scheme so our IO router never claims another library's URLs. */
const MODEL_SCHEME = 'mynakit-face-models://';

let routerRegistered = false;
let activeBackend: FaceBackend | undefined;

/**
 * Registers a tfjs load router that reads Human's models from disk (Node's fetch cannot read file://).
 * getModelArtifactsForJSON keeps `signature`: without it faceres silently returns an empty embedding.
 */
function registerModelRouter(tf: Tf, modelsDir: string): void {
  if (routerRegistered) return;
  routerRegistered = true;
  tf.io.registerLoadRouter((url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    // tfjs routers answer null for URLs they do not handle (its type says otherwise).
    if (typeof first !== 'string' || !first.startsWith(MODEL_SCHEME))
      return null as unknown as tfc.io.IOHandler;
    const file = path.join(modelsDir, path.basename(first.slice(MODEL_SCHEME.length)));
    return {
      load: async () => {
        const json = JSON.parse(readFileSync(file, 'utf8')) as tfc.io.ModelJSON;
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: tfc.io.WeightsManifestEntry[] = [];
          const chunks: Buffer[] = [];
          for (const group of manifest) {
            for (const p of group.paths)
              chunks.push(readFileSync(path.join(path.dirname(file), path.basename(p))));
            specs.push(...group.weights);
          }
          const all = Buffer.concat(chunks);
          const weights = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
          return [specs, weights];
        });
      },
    };
  });
}

/**
 * Loads Human (its node-wasm build, by absolute path) and faceres. tfjs keeps one global backend per thread,
 * so every engine in a thread must use the same backend; run other backends in a FacePool worker.
 */
export async function loadRuntime(backend: FaceBackend, softSignals: boolean): Promise<FaceRuntime> {
  if (activeBackend !== undefined && activeBackend !== backend) {
    throw new FaceError('ENGINE_UNAVAILABLE', 'another tfjs backend is already active in this thread', {
      details: { requested: backend, active: activeBackend },
    });
  }
  try {
    const root = humanRoot();
    const modelsDir = path.join(root, 'models');
    const humanModule = require(path.join(root, 'dist', 'human.node-wasm.js')) as {
      Human: new (config?: Partial<Config>) => Human;
    };
    if (backend === 'cpu') require('@tensorflow/tfjs-backend-cpu'); // registers the 'cpu' backend
    const wasmDir = path.join(
      path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    const human = new humanModule.Human(
      faceHumanConfig({
        backend,
        wasmPath: `${wasmDir}${path.sep}`,
        modelBasePath: MODEL_SCHEME,
        softSignals,
      }),
    );
    const tf = human.tf as Tf;
    registerModelRouter(tf, modelsDir);
    await human.load();
    if (tf.getBackend() !== backend) {
      throw new FaceError('ENGINE_UNAVAILABLE', 'the tfjs backend could not be initialised', {
        details: { requested: backend, active: tf.getBackend() },
      });
    }
    const loaded = human.models.loaded();
    for (const name of ['blazeface', 'facemesh']) {
      if (!loaded.some((m) => m.includes(name))) {
        throw new FaceError('ENGINE_UNAVAILABLE', 'a face model could not be loaded', {
          details: { model: name },
        });
      }
    }
    // faceres' Relu→Minimum→Maximum chains become Relu6 nodes: same numbers, half the time on wasm.
    const [handler] = tf.io.getLoadHandlers(`${MODEL_SCHEME}faceres.json`);
    const original = await handler!.load!();
    const { artifacts } = fuseClippedRelu(original);
    const faceres = await tf.loadGraphModel({ load: async () => artifacts });
    activeBackend = backend;
    return { human, tf, faceres, backend, humanVersion: human.version };
  } catch (cause) {
    if (cause instanceof FaceError) throw cause;
    throw new FaceError('ENGINE_UNAVAILABLE', 'the face engine could not be loaded', { cause });
  }
}
