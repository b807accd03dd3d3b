import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assessQuality,
  FACE_EMBEDDING_MODEL,
  FACE_EMBEDDING_PREPROCESSING,
  type FaceAnalysis,
  FaceEngine,
  FaceError,
  type FaceErrorCode,
} from '../src/index.js';
import { extractCodestream } from '../src/jpeg2000.js';
import { cosineSimilarity } from '../src/similarity.js';
import { cardPhoto, cropAround, maskRegion, samplePhoto } from './support/images.js';

// One engine for the whole file: loading Human and its models is the slow part.
let engine: FaceEngine;
beforeAll(async () => {
  engine = await FaceEngine.create({ backend: 'wasm' });
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

async function rejection(promise: Promise<unknown>): Promise<FaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FaceError);
  return error as FaceError;
}

const failureCodes = (a: FaceAnalysis): FaceErrorCode[] => assessQuality(a.quality).map((f) => f.code);

describe('FaceEngine', () => {
  it('finds every face in the group photos and embeds the largest', async () => {
    for (const n of [1, 2, 3, 4, 5, 6] as const) {
      const a = await engine.analyze(samplePhoto(n));
      expect(a.faces, `sample${n}`).toBeGreaterThanOrEqual(3);
      expect(failureCodes(a)).toContain('MULTIPLE_FACES');
      expect(a.image.format).toBe('jpeg');
      // The box is in original-image pixels (the photos are wider than the 1024 px analysis size).
      expect(a.image.width).toBeGreaterThan(1024);
      expect(a.box.x).toBeGreaterThanOrEqual(0);
      expect(a.box.x + a.box.width).toBeLessThanOrEqual(a.image.width + 1);
      expect(a.box.y + a.box.height).toBeLessThanOrEqual(a.image.height + 1);
      expect(a.quality.interEyePx).toBeGreaterThan(a.box.width * 0.1);
      expect(a.quality.interEyePx).toBeLessThan(a.box.width * 0.6);
      expect(failureCodes(a)).not.toContain('EYES_CLOSED'); // everyone in these photos has open eyes
      const { vector, model, preprocessing } = a.embedding;
      expect([model, preprocessing]).toEqual([FACE_EMBEDDING_MODEL, FACE_EMBEDDING_PREPROCESSING]);
      expect(vector.length).toBe(1024);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 4);
      expect(a.antispoof).toBeGreaterThanOrEqual(0);
      expect(a.antispoof).toBeLessThanOrEqual(1);
      expect(a.liveness).toBeGreaterThanOrEqual(0);
      expect(a.liveness).toBeLessThanOrEqual(1);
      for (const ms of Object.values(a.timings)) expect(ms).toBeGreaterThan(0);
    }
  }, 30_000);

  it('scores transformed photos of one face above different people, card JPEG 2000 included', async () => {
    let worstGenuine = 1;
    let bestImpostor = -1;
    for (const n of [1, 2, 6] as const) {
      const photo = samplePhoto(n);
      const reference = await engine.analyze(photo);
      const crop = await cropAround(photo, reference.box, 0.6);
      const card = await cardPhoto(crop);
      // The chip photo: 240×320 monochrome JPEG 2000 of a few KB.
      expect(card.length).toBeGreaterThan(3000);
      expect(card.length).toBeLessThan(9000);
      const variants = [
        crop,
        await sharp(crop).resize({ width: 260 }).jpeg({ quality: 70 }).toBuffer(),
        await sharp(crop).modulate({ brightness: 1.25 }).jpeg().toBuffer(),
        await sharp(crop).linear(0.7, 0).jpeg().toBuffer(),
        card,
        extractCodestream(card), // the same photo as a raw .j2k codestream
      ];
      const genuine: number[] = [];
      for (const bytes of variants) {
        const a = await engine.analyze(bytes);
        genuine.push(cosineSimilarity(reference.embedding, a.embedding));
      }
      // Impostors: the other people in the same photo (certainly different people), found by masking the
      // faces already seen so the next-largest becomes the primary face.
      const impostors: number[] = [];
      let masked = await maskRegion(photo, reference.box);
      for (let i = 0; i < 2; i++) {
        const other = await engine.analyze(masked);
        impostors.push(cosineSimilarity(reference.embedding, other.embedding));
        masked = await maskRegion(masked, other.box);
      }
      expect(Math.min(...genuine), `sample${n}`).toBeGreaterThan(Math.max(...impostors));
      worstGenuine = Math.min(worstGenuine, ...genuine);
      bestImpostor = Math.max(bestImpostor, ...impostors);
    }
    expect(worstGenuine).toBeGreaterThan(bestImpostor);
  }, 40_000);

  it('passes a single, sharp, frontal, well-lit face through every gate', async () => {
    const photo = samplePhoto(1);
    const reference = await engine.analyze(photo);
    const single = await engine.analyze(await cropAround(photo, reference.box, 0.5));
    expect(single.faces).toBe(1);
    expect(assessQuality(single.quality)).toEqual([]);
  });

  it('gives every bad input its typed reason', async () => {
    const corrupt = await rejection(engine.analyze(new Uint8Array(4096).fill(0x5a)));
    expect(corrupt.code).toBe('UNSUPPORTED_FORMAT');
    const jpeg = Buffer.from(samplePhoto(2));
    const truncated = await rejection(engine.analyze(jpeg.subarray(0, jpeg.length >> 1)));
    expect(truncated.code).toBe('IMAGE_CORRUPT');
    const grey = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const none = await rejection(engine.analyze(grey));
    expect(none.code).toBe('NO_FACE');
    expect(none.details).toMatchObject({ faceCount: 0 });
    // The engine keeps working after failures.
    await expect(engine.analyze(samplePhoto(3))).resolves.toMatchObject({ faces: expect.any(Number) });
  }, 20_000);

  it('refuses bad options and a second tfjs backend in the same thread', async () => {
    expect(await rejection(FaceEngine.create({ backend: 'webgl' as 'cpu' }))).toMatchObject({
      code: 'INVALID_INPUT',
    });
    // tfjs has one backend per thread: other backends belong in a FacePool worker.
    expect(await rejection(FaceEngine.create({ backend: 'cpu' }))).toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
    });
  });

  it('reports a tiny face as FACE_TOO_SMALL with the measured distance', async () => {
    const photo = samplePhoto(1);
    const reference = await engine.analyze(photo);
    const crop = await cropAround(photo, reference.box, 0.6);
    let seen = 0;
    for (const width of [150, 120, 100]) {
      const face = await sharp(crop).resize({ width }).toBuffer();
      const scene = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#78828c' } })
        .composite([{ input: face, left: 260, top: 160 }])
        .jpeg()
        .toBuffer();
      const result = await engine.analyze(scene).catch((e: unknown) => e);
      if (result instanceof FaceError) {
        expect(result.code).toBe('NO_FACE'); // too small to detect at all is also an answer
        continue;
      }
      const [failure] = assessQuality((result as FaceAnalysis).quality).filter(
        (f) => f.code === 'FACE_TOO_SMALL',
      );
      expect(failure?.details.interEyePx).toBeLessThan(failure?.details.minInterEyePx ?? 0);
      seen++;
    }
    expect(seen).toBeGreaterThan(0);
  }, 20_000);

  it('reports blur and bad exposure on an otherwise usable face', async () => {
    const photo = samplePhoto(1);
    const reference = await engine.analyze(photo);
    const crop = await cropAround(photo, reference.box, 0.5);
    const blurred = await engine.analyze(await sharp(crop).blur(6).jpeg().toBuffer());
    expect(failureCodes(blurred)).toContain('TOO_BLURRY');
    const dark = await engine.analyze(await sharp(crop).linear(0.3, 0).jpeg().toBuffer());
    expect(failureCodes(dark)).toContain('BAD_EXPOSURE');
    const bright = await engine.analyze(await sharp(crop).linear(2.2, 60).jpeg().toBuffer());
    expect(failureCodes(bright)).toContain('BAD_EXPOSURE');
  }, 20_000);
});
