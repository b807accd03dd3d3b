import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, shouldJoinHistory } from '../src/decision.js';
import { FaceEngine } from '../src/engine.js';
import { cosineSimilarity, deserializeEmbedding, serializeEmbedding } from '../src/similarity.js';
import { cardPhoto, cropAround, samplePhoto } from './support/images.js';

/**
 * The decision on real embeddings (face-api's demo photos). Genuine pairs are one face under realistic changes
 * (crop, scale, brightness, the card's grey JPEG 2000); the impostor is the largest face of another photo.
 */
describe('decide on real photos', () => {
  let engine: FaceEngine;
  beforeAll(async () => {
    engine = await FaceEngine.create({ softSignals: false });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('matches the same face, rejects another, and holds when the history is not the live face', async () => {
    const photoA = samplePhoto(1);
    const photoB = samplePhoto(2);
    const a = await engine.analyze(photoA);
    const b = await engine.analyze(photoB);
    const faceA = await cropAround(photoA, a.box, 0.6);
    const embed = async (bytes: Uint8Array) => (await engine.analyze(bytes)).embedding;

    const card = await embed(await cardPhoto(faceA));
    const live = await embed(await sharp(faceA).resize({ width: 320 }).jpeg({ quality: 85 }).toBuffer());
    const history = [await embed(await sharp(faceA).modulate({ brightness: 1.2 }).jpeg().toBuffer())];
    const policy = { cardThreshold: 0.55, delta: 0.25 };

    const genuine = decide({ live, card, history }, policy);
    expect(genuine.outcome).toBe('match');
    expect(genuine.delta).not.toBeNull();
    expect(genuine.delta as number).toBeLessThan(policy.delta);
    // Same face, well above the threshold: a confident match may join the history.
    expect(shouldJoinHistory(genuine)).toBe(true);

    const impostor = decide({ live: b.embedding, card, history }, policy);
    expect(impostor.scores.card).toBeLessThan(genuine.scores.card);
    expect(impostor.outcome).toBe('no-match');

    // The live face resembles the card but not the history (someone else's photos): the delta rule holds.
    const held = decide({ live, card, history: [b.embedding] }, policy);
    expect(held.scores.history as number).toBeLessThan(genuine.scores.history as number);
    expect(held.outcome).toBe('hold');
    expect(held.rule).toBe('similarity-delta');
    expect(shouldJoinHistory(held)).toBe(false);

    const stored = deserializeEmbedding(JSON.parse(JSON.stringify(serializeEmbedding(live))));
    expect(cosineSimilarity(stored, card)).toBe(cosineSimilarity(live, card));
  }, 120_000);
});
