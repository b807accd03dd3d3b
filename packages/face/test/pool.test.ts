import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceError, FacePool } from '../src/index.js';
import { cosineSimilarity } from '../src/similarity.js';
import { cardPhoto, cropAround, samplePhoto } from './support/images.js';

let pool: FacePool;
beforeAll(async () => {
  pool = await FacePool.create({ size: 2, maxQueue: 1 });
}, 60_000);
afterAll(async () => {
  await pool?.close();
});

async function settle<T>(promise: Promise<T>): Promise<T | FaceError> {
  return promise.catch((e: unknown) => {
    expect(e).toBeInstanceOf(FaceError);
    return e as FaceError;
  });
}

describe('FacePool', () => {
  it('analyses in worker threads, bounds its queue and returns the same embeddings', async () => {
    const photo = samplePhoto(4);
    // Two run, one waits, the fourth finds the queue full.
    const results = await Promise.all([1, 2, 3, 4].map(() => settle(pool.analyze(photo))));
    const full = results[3];
    expect(full).toBeInstanceOf(FaceError);
    expect(full).toMatchObject({ code: 'QUEUE_FULL', details: { maxQueue: 1 } });
    const ok = results.slice(0, 3);
    for (const r of ok) {
      expect(r).not.toBeInstanceOf(FaceError);
      if (r instanceof FaceError) continue;
      expect(r.faces).toBeGreaterThanOrEqual(3);
      expect(r.embedding.vector).toBeInstanceOf(Float32Array);
      expect(r.embedding.vector.length).toBe(1024);
    }
    const [a, b, c] = ok as Exclude<(typeof ok)[number], FaceError>[];
    // Both workers give the same answer for the same photo.
    expect(cosineSimilarity(a!.embedding, b!.embedding)).toBeCloseTo(1, 5);
    expect(cosineSimilarity(a!.embedding, c!.embedding)).toBeCloseTo(1, 5);
    // The caller's bytes were copied, not detached by the transfer.
    expect(photo.length).toBeGreaterThan(0);
    expect(photo[0]).toBe(0xff);
    expect(pool.queued).toBe(0);
  }, 30_000);

  it('brings typed errors back across the thread boundary', async () => {
    const corrupt = await settle(pool.analyze(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5])));
    expect(corrupt).toBeInstanceOf(FaceError);
    expect((corrupt as FaceError).code).toBe('IMAGE_CORRUPT');
    const grey = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#777777' } })
      .png()
      .toBuffer();
    const none = await settle(pool.analyze(grey));
    expect(none).toMatchObject({ code: 'NO_FACE' });
  }, 20_000);

  it('refuses work once closed and rejects what was still queued', async () => {
    const local = await FacePool.create({ size: 1, maxQueue: 4 });
    const photo = samplePhoto(2);
    const running = settle(local.analyze(photo));
    const queued = settle(local.analyze(photo));
    const closing = local.close();
    expect(await queued).toMatchObject({ code: 'POOL_CLOSED' });
    expect(await running).not.toBeInstanceOf(FaceError); // the running job finishes
    await closing;
    expect(await settle(local.analyze(photo))).toMatchObject({ code: 'POOL_CLOSED' });
  }, 30_000);

  it('runs the cpu backend in a worker with the same embeddings as wasm', async () => {
    const photo = samplePhoto(1);
    const reference = await pool.analyze(photo);
    const card = await cardPhoto(await cropAround(photo, reference.box, 0.6));
    const cpu = await FacePool.create({ size: 1, backend: 'cpu', softSignals: false });
    try {
      const [onCpu, onWasm] = await Promise.all([cpu.analyze(card), pool.analyze(card)]);
      expect(onCpu.antispoof).toBeUndefined();
      expect(cosineSimilarity(onCpu.embedding, onWasm.embedding)).toBeGreaterThan(0.999);
    } finally {
      await cpu.close();
    }
  }, 60_000);
});
