import { parentPort, workerData } from 'node:worker_threads';
import { FaceEngine, type FaceEngineOptionsInput } from './engine.js';
import { FaceError } from './errors.js';
import type { PoolRequest, PoolResponse } from './pool-protocol.js';

/**
 * A FacePool worker: owns one FaceEngine (its own wasm instance and tfjs backend) and answers one request at a
 * time. Errors cross the thread boundary as serialised FaceErrors so their codes survive.
 */
const port = parentPort;
if (!port) throw new Error('pool-worker must run in a worker thread');

const options = (workerData as { engine: FaceEngineOptionsInput }).engine;

function post(message: PoolResponse, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function toFaceError(error: unknown): FaceError {
  if (error instanceof FaceError) return error;
  return new FaceError('ENGINE_FAILED', 'the face engine failed', { cause: error });
}

try {
  const engine = await FaceEngine.create(options);
  port.on('message', async (request: PoolRequest) => {
    if (request.type === 'close') {
      await engine.close();
      port.close();
      return;
    }
    try {
      const analysis = await engine.analyze(new Uint8Array(request.bytes));
      const { embedding, ...rest } = analysis;
      const vector = embedding.vector;
      post(
        {
          type: 'result',
          id: request.id,
          analysis: {
            ...rest,
            embedding: { vector, model: embedding.model, preprocessing: embedding.preprocessing },
          },
        },
        [vector.buffer as ArrayBuffer],
      );
    } catch (error) {
      post({ type: 'error', id: request.id, error: toFaceError(error).toJSON() });
    }
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', error: toFaceError(error).toJSON() });
}
