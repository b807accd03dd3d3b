import { FacePool } from '@mynakit/face';
import { faceCheckResultSchema } from '@mynakit/workflows';
import { FacePoolFaceCheck } from '@mynakit/workflows/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPhotoOf, faceFreePhoto, portraitPhoto, samplePhoto } from './support/faces.js';

/** FacePoolFaceCheck on real photos (face-api's demo photos), one FacePool for the file (W1.3, W1.6–7). */
describe('FacePoolFaceCheck (real photos)', () => {
  let pool: FacePool;
  let check: FacePoolFaceCheck;
  let live: Uint8Array;
  let card: Uint8Array;
  let someoneElse: Uint8Array;

  beforeAll(async () => {
    pool = await FacePool.create({ size: 1, softSignals: false });
    check = new FacePoolFaceCheck({
      analyzer: pool,
      policy: { cardThreshold: 0.55, delta: 0.15, historyFloor: 0.45 },
    });
    live = await portraitPhoto(1, pool);
    card = await cardPhotoOf(samplePhoto(1), pool);
    someoneElse = await portraitPhoto(2, pool);
  }, 120_000);

  afterAll(async () => {
    await pool?.close();
  });

  it('matches the live photo with the card photo of the same person', async () => {
    const result = await check.compare({ live, card, history: [] });
    expect(faceCheckResultSchema.parse(result)).toEqual(result);
    expect(result.outcome).toBe('match');
    expect(result.qualityFailures).toEqual([]);
    expect(result.decision?.scores.card).toBeGreaterThan(0.55);
    expect(result.decision?.checks.similarityDelta).toMatchObject({ applicable: false });
  });

  it('holds when the history photo is someone else (similarity delta); a history photo without a face is skipped', async () => {
    const result = await check.compare({ live, card, history: [someoneElse, await faceFreePhoto()] });
    expect(result.outcome).toBe('hold');
    expect(result.decision?.firedRules).toContain('similarity-delta');
    expect(result.decision?.scores.historyEach).toHaveLength(1);
  });

  it('calls a live photo without a face, or with several, unusable', async () => {
    const noFace = await check.compare({ live: await faceFreePhoto(), card, history: [] });
    expect(noFace).toMatchObject({ outcome: 'unusable', qualityFailures: ['NO_FACE'] });
    expect(noFace.decision).toBeUndefined();
    const group = await check.compare({ live: samplePhoto(3), card, history: [] });
    expect(group).toMatchObject({ outcome: 'unusable', qualityFailures: ['MULTIPLE_FACES'] });
  });

  it('says no-match for another person, and holds without a decision when the card photo shows no face', async () => {
    const other = await check.compare({ live: someoneElse, card, history: [] });
    expect(other.outcome).toBe('no-match');
    expect(other.decision?.firedRules).toEqual(['card-threshold']);
    const blankCard = await check.compare({ live, card: await faceFreePhoto(), history: [] });
    expect(blankCard).toMatchObject({ outcome: 'hold', qualityFailures: [] });
    expect(blankCard.decision).toBeUndefined();
  });
});
