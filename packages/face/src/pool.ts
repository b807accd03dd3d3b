import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { createEmbedding } from './embedding.js';
import type { FaceAnalysis, FaceEngineOptionsInput } from './engine.js';
import { FaceError } from './errors.js';
import type { PoolRequest, PoolResponse, WireAnalysis } from './pool-protocol.js';
import { faceBackends } from './runtime.js';

export const facePoolOptionsSchema = z.object({
  /** Worker threads, each with its own engine (≈ 250–500 MB each with the wasm heap). */
  size: z.number().int().min(1).max(32).default(2),
  /** Requests allowed to wait while every worker is busy; beyond that `analyze` rejects with QUEUE_FULL. */
  maxQueue: z.number().int().min(0).default(16),
  backend: z.enum(faceBackends).default('wasm'),
  softSignals: z.boolean().default(true),
  limits: z
    .object({
      maxBytes: z.number().int().positive().optional(),
      maxDimension: z.number().int().positive().optional(),
      maxPixels: z.number().int().positive().optional(),
      maxAnalysisSide: z.number().int().min(64).optional(),
    })
    .optional(),
});

export type FacePoolOptionsInput = z.input<typeof facePoolOptionsSchema>;

interface Job {
  readonly id: number;
  readonly bytes: ArrayBuffer;
  readonly resolve: (analysis: FaceAnalysis) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  exited: boolean;
  job: Job | undefined;
}

/**
 * Runs FaceEngines in worker threads: one wasm instance can use one core, so throughput on N cores needs N
 * engines. The queue is bounded so a burst cannot pile up unbounded memory; `close()` lets running jobs finish.
 */
export class FacePool {
  readonly #engineOptions: FaceEngineOptionsInput;
  readonly #maxQueue: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: FaceError) => void;
  #failure: FaceError | undefined;
  #closing: Promise<void> | undefined;
  #nextId = 1;

  constructor(options: FacePoolOptionsInput = {}) {
    const parsed = facePoolOptionsSchema.safeParse(options);
    if (!parsed.success)
      throw new FaceError('INVALID_INPUT', 'invalid face pool options', { cause: parsed.error });
    const { size, maxQueue, backend, softSignals, limits } = parsed.data;
    this.#maxQueue = maxQueue;
    this.#engineOptions = { backend, softSignals, ...(limits !== undefined && { limits }) };
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => undefined); // surfaced through ready() and analyze()
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  /** Creates a pool and waits until every worker has loaded its models. */
  static async create(options: FacePoolOptionsInput = {}): Promise<FacePool> {
    const pool = new FacePool(options);
    try {
      await pool.ready();
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Resolves when every worker is ready; rejects with ENGINE_UNAVAILABLE if one could not load. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Requests waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Analyses one image in a worker; resolves with the same result as FaceEngine.analyze. The bytes are copied
   * once into a buffer that is transferred to the worker, so the caller's array stays usable.
   */
  analyze(bytes: Uint8Array): Promise<FaceAnalysis> {
    if (this.#closing) return Promise.reject(new FaceError('POOL_CLOSED', 'the face pool is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    if (!(bytes instanceof Uint8Array)) {
      return Promise.reject(new FaceError('INVALID_INPUT', 'image bytes must be a Uint8Array'));
    }
    const idle = this.#slots.some((s) => s.ready && !s.job);
    if (!idle && this.#queue.length >= this.#maxQueue) {
      return Promise.reject(
        new FaceError('QUEUE_FULL', 'the face pool queue is full: try again later', {
          details: { queued: this.#queue.length, maxQueue: this.#maxQueue },
        }),
      );
    }
    return new Promise<FaceAnalysis>((resolve, reject) => {
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      this.#queue.push({ id: this.#nextId++, bytes: copy.buffer, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops accepting work, rejects queued requests with POOL_CLOSED, lets running ones finish, ends the workers. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const job of this.#queue.splice(0))
      job.reject(new FaceError('POOL_CLOSED', 'the face pool was closed'));
    this.#rejectReady(new FaceError('POOL_CLOSED', 'the face pool was closed'));
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.exited) return;
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        if (slot.job)
          await Promise.race([new Promise((resolve) => slot.worker.once('message', resolve)), exited]);
        if (slot.exited) return;
        if (slot.ready) slot.worker.postMessage({ type: 'close' } satisfies PoolRequest);
        else await slot.worker.terminate();
        // A worker that does not exit promptly after closing its engine is terminated.
        const timer = setTimeout(() => void slot.worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #spawn(): Slot {
    const worker = startWorker({ engine: this.#engineOptions });
    const slot: Slot = { worker, ready: false, exited: false, job: undefined };
    worker.on('message', (message: PoolResponse) => this.#onMessage(slot, message));
    worker.on('error', (error) => this.#onCrash(slot, error));
    worker.on('exit', (code) => {
      slot.exited = true;
      this.#onCrash(slot, new Error(`face worker exited with code ${code}`));
    });
    return slot;
  }

  #onMessage(slot: Slot, message: PoolResponse): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        if (this.#slots.every((s) => s.ready)) this.#resolveReady();
        this.#dispatch();
        return;
      case 'init-error':
        this.#fail(revive(message.error, 'ENGINE_UNAVAILABLE'));
        return;
      case 'result':
      case 'error': {
        const job = slot.job;
        slot.job = undefined;
        if (job && job.id === message.id) {
          if (message.type === 'result') job.resolve(fromWire(message.analysis));
          else job.reject(revive(message.error, 'ENGINE_FAILED'));
        }
        this.#dispatch();
        return;
      }
    }
  }

  /** A worker died after starting: fail its job and replace it. A worker that never started fails the pool. */
  #onCrash(slot: Slot, error: unknown): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0 || this.#closing || this.#failure) return;
    const job = slot.job;
    slot.job = undefined;
    job?.reject(new FaceError('ENGINE_FAILED', 'the face worker stopped', { cause: error }));
    if (!slot.ready) {
      this.#fail(new FaceError('ENGINE_UNAVAILABLE', 'a face worker could not start', { cause: error }));
      return;
    }
    void slot.worker.terminate();
    this.#slots[index] = this.#spawn();
  }

  #fail(error: FaceError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#rejectReady(error);
    for (const job of this.#queue.splice(0)) job.reject(error);
    for (const slot of this.#slots) void slot.worker.terminate();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ type: 'analyze', id: job.id, bytes: job.bytes } satisfies PoolRequest, [
        job.bytes,
      ]);
    }
  }
}

function revive(serialized: unknown, fallback: 'ENGINE_FAILED' | 'ENGINE_UNAVAILABLE'): FaceError {
  try {
    return FaceError.fromJSON(serialized);
  } catch (cause) {
    return new FaceError(fallback, 'the face worker reported an unknown error', { cause });
  }
}

function fromWire(wire: WireAnalysis): FaceAnalysis {
  const { embedding, ...rest } = wire;
  return { ...rest, embedding: createEmbedding(embedding.vector, embedding.model, embedding.preprocessing) };
}

/**
 * Starts `pool-worker`. From the built package it is a sibling `.js` file; when running from TypeScript sources
 * (tests, development) the worker registers tsx first and resolves workspace packages to their sources.
 */
function startWorker(data: { engine: FaceEngineOptionsInput }): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./pool-worker.js', import.meta.url), { workerData: data });
  }
  const target = new URL('./pool-worker.ts', import.meta.url).href;
  // require.resolve gives tsx's CommonJS build of the API; the worker imports its ESM twin beside it.
  const tsxApi = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(tsxApi).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { eval: true, workerData: data, execArgv: ['--conditions', '@mynakit/source'] });
}
