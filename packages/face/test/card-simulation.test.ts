import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CARD_HEIGHT,
  CARD_WIDTH,
  cardLikePhoto,
  decodeImage,
  FaceEngine,
  readJpeg2000Header,
} from '../src/index.js';
import { cosineSimilarity } from '../src/similarity.js';
import { samplePhoto } from './support/images.js';

let engine: FaceEngine;
beforeAll(async () => {
  engine = await FaceEngine.create({ softSignals: false });
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

describe('cardLikePhoto', () => {
  it('frames the face like an ID photo in a 240×320 grey JPEG 2000 of a few KB', async () => {
    const photo = samplePhoto(2);
    const original = await engine.analyze(photo);
    const card = await cardLikePhoto(photo, original.box);
    expect(card.length).toBeGreaterThan(3_000);
    expect(card.length).toBeLessThan(9_000);
    const decoded = await decodeImage(card);
    expect(decoded).toMatchObject({ format: 'jp2', originalWidth: CARD_WIDTH, originalHeight: CARD_HEIGHT });
    // Grey: one component, as on the chip.
    expect(readJpeg2000Header(card).components).toBe(1);
    const analysis = await engine.analyze(card);
    // The face box takes most of the height (≈ 70 % by default) and sits in the horizontal middle.
    expect(analysis.box.height / CARD_HEIGHT).toBeGreaterThan(0.5);
    expect(analysis.box.height / CARD_HEIGHT).toBeLessThan(0.9);
    expect(Math.abs(analysis.box.x + analysis.box.width / 2 - CARD_WIDTH / 2)).toBeLessThan(
      CARD_WIDTH * 0.15,
    );
    // Still the same person as the photo it was made from.
    expect(cosineSimilarity(analysis.embedding, original.embedding)).toBeGreaterThan(0.6);
  }, 60_000);

  it('follows the framing and compression options', async () => {
    const photo = samplePhoto(2);
    const { box } = await engine.analyze(photo);
    const loose = await engine.analyze(await cardLikePhoto(photo, box, { faceFraction: 0.4 }));
    const tight = await engine.analyze(await cardLikePhoto(photo, box, { faceFraction: 0.8 }));
    expect(tight.box.height).toBeGreaterThan(loose.box.height * 1.5);
    const small = await cardLikePhoto(photo, box, { compressionRatio: 40 });
    const large = await cardLikePhoto(photo, box, { compressionRatio: 8 });
    expect(small.length).toBeLessThan(large.length / 2);
    await expect(cardLikePhoto(photo, box, { faceFraction: 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(cardLikePhoto(photo, box, { compressionRatio: 0.5 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  }, 60_000);
});
