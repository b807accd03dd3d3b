import { describe, expect, it } from 'vitest';
import {
  combineHistoryScores,
  decide,
  decisionPolicySchema,
  faceDecisionSchema,
  shouldJoinHistory,
  verify,
} from '../src/decision.js';
import { createEmbedding, type FaceEmbedding } from '../src/embedding.js';
import {
  cosineSimilarity,
  deserializeEmbedding,
  embeddingSchema,
  serializeEmbedding,
} from '../src/similarity.js';

const MODEL = 'test-model@1';
const PREP = 'test-prep@1';
const N = 64;

/**
 * ±1 vectors of length 64 (unit after scaling by 1/8, exactly representable). Two such vectors with `k` differing
 * signs have cosine exactly 1 − 2k/64, so every score below is a multiple of 1/32 with no rounding at all.
 */
function signed(flips: Iterable<number>, model = MODEL, prep = PREP): FaceEmbedding {
  const raw = new Array<number>(N).fill(1);
  for (const i of flips) raw[i] = -1;
  return createEmbedding(raw, model, prep);
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** An embedding whose cosine with `live` (no flips) is exactly `1 − 2k/64`, using flips at distinct offsets. */
const atCos = (k: number, offset = 0) => signed(range(offset, offset + k));
const cos = (k: number) => 1 - (2 * k) / N;

const live = signed([]);
const MISMATCH = expect.objectContaining({
  name: 'FaceError',
  code: 'INVALID_INPUT',
  details: expect.objectContaining({ reason: 'EMBEDDING_MISMATCH' }),
});

describe('embeddings and cosine similarity', () => {
  it('normalises and scores constructed vectors exactly', () => {
    const e = createEmbedding([3, 4], MODEL, PREP);
    expect(Array.from(e.vector)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(cosineSimilarity(live, atCos(8))).toBe(0.75);
    expect(cosineSimilarity(live, atCos(32))).toBe(0);
    expect(cosineSimilarity(live, atCos(64))).toBe(-1);
  });

  it('refuses a zero, empty or non-finite vector', () => {
    expect(() => createEmbedding([0, 0, 0], MODEL, PREP)).toThrow(/zero/);
    expect(() => createEmbedding([0, 0, 0], MODEL, PREP)).toThrow(
      expect.objectContaining({ name: 'FaceError', code: 'INVALID_INPUT' }),
    );
    expect(() => createEmbedding([1], '', PREP)).toThrow();
    expect(() => createEmbedding([], MODEL, PREP)).toThrow();
    expect(() => createEmbedding([1, Number.NaN], MODEL, PREP)).toThrow();
  });

  it('copies its input so later edits of the raw array change nothing', () => {
    const raw = new Float32Array([1, 0]);
    const e = createEmbedding(raw, MODEL, PREP);
    raw[0] = 0;
    raw[1] = 1;
    expect(Array.from(e.vector)).toEqual([1, 0]);
  });

  it('refuses to compare embeddings of different model, preprocessing or length', () => {
    const otherModel = signed([], 'other-model@1');
    const otherPrep = signed([], MODEL, 'other-prep@2');
    expect(() => cosineSimilarity(live, otherModel)).toThrow(MISMATCH);
    expect(() => cosineSimilarity(live, otherPrep)).toThrow(MISMATCH);
    expect(() => cosineSimilarity(live, createEmbedding([1, 2], MODEL, PREP))).toThrow(MISMATCH);
    expect(() =>
      decide({ live, card: atCos(4), history: [otherPrep] }, { cardThreshold: 0.5, delta: 0.1 }),
    ).toThrow(MISMATCH);
  });

  it('serialises to base64 float32 with tags and back bit for bit', () => {
    const raw = Array.from({ length: 1024 }, (_, i) => Math.sin(i * 0.37) + 1.1);
    const e = createEmbedding(raw, 'faceres@3.3.6', 'crop10-224-bgr-caffe@1');
    const json = JSON.parse(JSON.stringify(serializeEmbedding(e)));
    expect(embeddingSchema.parse(json)).toEqual(json);
    expect(json.dimensions).toBe(1024);
    const back = deserializeEmbedding(json);
    expect(back.model).toBe(e.model);
    expect(back.preprocessing).toBe(e.preprocessing);
    expect(Buffer.from(back.vector.buffer).equals(Buffer.from(e.vector.buffer))).toBe(true);
    expect(cosineSimilarity(back, e)).toBeCloseTo(1, 12);
  });

  it('rejects stored embeddings with a wrong length, a non-unit vector or missing tags', () => {
    const json = serializeEmbedding(atCos(3));
    expect(() => deserializeEmbedding({ ...json, dimensions: 63 })).toThrow();
    const twice = new Float32Array(N).fill(0.25); // norm 2
    const bad = serializeEmbedding({ vector: twice, model: MODEL, preprocessing: PREP });
    expect(() => deserializeEmbedding(bad)).toThrow(/unit/);
    expect(() => deserializeEmbedding({ ...json, model: '' })).toThrow();
    expect(() => deserializeEmbedding({ ...json, vector: 'not base64!' })).toThrow();
  });
});

describe('verify', () => {
  it('matches at or above the threshold', () => {
    expect(verify(live, atCos(8), { threshold: 0.75 })).toEqual({ score: 0.75, match: true });
    expect(verify(live, atCos(9), { threshold: 0.75 })).toEqual({ score: cos(9), match: false });
  });
});

describe('decide: the similarity-delta hold', () => {
  const policy = { cardThreshold: 0.5, delta: 0.25 };

  it('holds when sim(card) − sim(history) equals δ exactly, and matches just below it', () => {
    // card 0.875 (k=4), history 0.625 (k=12): difference 0.25 = δ.
    const atBoundary = decide({ live, card: atCos(4), history: [atCos(12, 20)] }, policy);
    expect(atBoundary.scores).toEqual({ card: 0.875, history: 0.625, historyEach: [0.625] });
    expect(atBoundary.delta).toBe(0.25);
    expect(atBoundary.outcome).toBe('hold');
    expect(atBoundary.rule).toBe('similarity-delta');
    expect(atBoundary.checks.similarityDelta).toEqual({ applicable: true, fired: true });

    // history 0.65625 (k=11): difference 0.21875 < δ.
    const below = decide({ live, card: atCos(4), history: [atCos(11, 20)] }, policy);
    expect(below.delta).toBe(0.21875);
    expect(below.outcome).toBe('match');
    expect(below.rule).toBe('passed');
    expect(below.firedRules).toEqual([]);
  });

  it('uses the configured δ', () => {
    const input = { live, card: atCos(4), history: [atCos(12, 20)] };
    expect(decide(input, { ...policy, delta: 0.3 }).outcome).toBe('match');
    expect(decide(input, { ...policy, delta: 0.2 }).outcome).toBe('hold');
  });

  it('fires when the live photo resembles history more than the card only if δ ≤ a negative difference', () => {
    const input = { live, card: atCos(10), history: [atCos(2, 30)] }; // 0.6875 − 0.9375 = −0.25
    expect(decide(input, policy).delta).toBe(-0.25);
    expect(decide(input, policy).outcome).toBe('match');
    expect(decide(input, { ...policy, delta: -0.25 }).outcome).toBe('hold');
  });

  it('below the card threshold is no-match, whatever the history says', () => {
    const d = decide({ live, card: atCos(17), history: [atCos(30, 10)] }, policy); // card 0.46875
    expect(d.outcome).toBe('no-match');
    expect(d.rule).toBe('card-threshold');
    // The delta rule still ran (0.46875 − 0.0625 ≥ δ), so the review sees that it would have fired too.
    expect(d.firedRules).toEqual(['card-threshold', 'similarity-delta']);
    const atThreshold = decide({ live, card: atCos(16), history: [] }, policy); // card exactly 0.5
    expect(atThreshold.outcome).toBe('match');
  });

  it('without history the delta rule cannot fire and the result says so', () => {
    const d = decide({ live, card: atCos(2), history: [] }, { ...policy, historyFloor: 0.9 });
    expect(d.outcome).toBe('match');
    expect(d.scores.history).toBeNull();
    expect(d.scores.historyEach).toEqual([]);
    expect(d.delta).toBeNull();
    expect(d.checks.similarityDelta).toEqual({
      applicable: false,
      fired: false,
      notApplicableReason: 'no-history',
    });
    expect(d.checks.historyFloor).toEqual({
      applicable: false,
      fired: false,
      notApplicableReason: 'no-history',
    });
  });

  it('the history floor holds on its own when the delta rule does not fire', () => {
    // card 0.625, history 0.5: difference 0.125 < δ, but history below the 0.55 floor.
    const input = { live, card: atCos(12), history: [atCos(16, 30)] };
    expect(decide(input, policy).outcome).toBe('match');
    expect(decide(input, policy).checks.historyFloor.notApplicableReason).toBe('not-configured');
    const floored = decide(input, { ...policy, historyFloor: 0.55 });
    expect(floored.outcome).toBe('hold');
    expect(floored.rule).toBe('history-floor');
    expect(floored.thresholds.historyFloor).toBe(0.55);
    // At the floor exactly: not below, no hold.
    expect(decide(input, { ...policy, historyFloor: 0.5 }).outcome).toBe('match');
  });

  it('reports both rules when delta and floor fire together', () => {
    const d = decide({ live, card: atCos(2), history: [atCos(20, 30)] }, { ...policy, historyFloor: 0.5 });
    expect(d.firedRules).toEqual(['similarity-delta', 'history-floor']);
    expect(d.rule).toBe('similarity-delta');
    expect(d.outcome).toBe('hold');
  });

  describe('combining several history photos', () => {
    // History scores 0.875, 0.75, 0.375 (k = 4, 8, 20); card 0.9375 (k = 2).
    const history = [atCos(4, 0), atCos(8, 10), atCos(20, 30)];
    const input = { live, card: atCos(2), history };

    it('max takes the best history photo', () => {
      const d = decide(input, { ...policy, historyCombine: 'max' });
      expect(d.scores.historyEach).toEqual([0.875, 0.75, 0.375]);
      expect(d.scores.history).toBe(0.875);
      expect(d.delta).toBe(0.0625);
      expect(d.outcome).toBe('match');
    });

    it('median (the default) takes the middle one', () => {
      const d = decide(input, policy);
      expect(d.thresholds.historyCombine).toBe('median');
      expect(d.scores.history).toBe(0.75);
      expect(d.delta).toBe(0.1875);
      expect(d.outcome).toBe('match');
      expect(combineHistoryScores([0.25, 0.75, 0.5, 1], 'median')).toBe(0.625);
    });

    it('mean clips each photo to the cap around the median before averaging', () => {
      // Median 0.75, cap 0.125: 0.875 stays, 0.375 is clipped to 0.625 → mean (0.875 + 0.75 + 0.625) / 3 = 0.75.
      const capped = decide(input, { ...policy, historyCombine: 'mean', historyInfluenceCap: 0.125 });
      expect(capped.scores.history).toBe(0.75);
      expect(capped.outcome).toBe('match');
      // With a cap wide enough the plain mean comes back: 2 / 3, difference 0.9375 − 0.6667 ≥ 0.25 → hold.
      const plain = decide(input, { ...policy, historyCombine: 'mean', historyInfluenceCap: 2 });
      expect(plain.scores.history).toBeCloseTo(2 / 3, 12);
      expect(plain.outcome).toBe('hold');
    });

    it('one poisoned history photo moves max all the way, median not at all, capped mean a little', () => {
      // Genuine history around 0.5 (k=16); the attacker slipped in a photo of themselves (score 1).
      const poisoned = [atCos(16, 0), atCos(16, 20), atCos(16, 40), signed([])];
      const card = atCos(4); // 0.875: lookalike of the card photo
      const byMode = (mode: 'max' | 'mean' | 'median') =>
        decide(
          { live, card, history: poisoned },
          { ...policy, historyCombine: mode, historyInfluenceCap: 0.1 },
        );
      expect(byMode('max').outcome).toBe('match');
      expect(byMode('median').outcome).toBe('hold');
      expect(byMode('mean').scores.history).toBeCloseTo(0.5 + 0.1 / 4, 12);
      expect(byMode('mean').outcome).toBe('hold');
    });
  });

  it('carries everything the review needs and validates against its schema', () => {
    const d = decide(
      { live, card: atCos(4), history: [atCos(12, 20), atCos(8, 40)] },
      { ...policy, historyFloor: 0.4 },
    );
    expect(faceDecisionSchema.parse(JSON.parse(JSON.stringify(d)))).toEqual(d);
    expect(d.thresholds).toEqual({
      card: 0.5,
      delta: 0.25,
      historyFloor: 0.4,
      historyCombine: 'median',
      historyInfluenceCap: 0.1,
      historyJoinMargin: 0.05,
    });
    expect(d.model).toBe(MODEL);
    expect(d.preprocessing).toBe(PREP);
  });

  it('validates the policy', () => {
    expect(() => decisionPolicySchema.parse({ delta: 0.1 })).toThrow();
    expect(() => decisionPolicySchema.parse({ cardThreshold: 1.5, delta: 0.1 })).toThrow();
    expect(() =>
      decisionPolicySchema.parse({ cardThreshold: 0.5, delta: 0.1, historyCombine: 'min' }),
    ).toThrow();
    expect(() =>
      decide({ live, card: live, history: [] }, { cardThreshold: 0.5, delta: Number.NaN }),
    ).toThrow();
  });
});

describe('shouldJoinHistory', () => {
  const policy = { cardThreshold: 0.5, delta: 0.25, historyJoinMargin: 0.0625 };

  it('admits a confident match only', () => {
    expect(shouldJoinHistory(decide({ live, card: atCos(12), history: [] }, policy))).toBe(true); // 0.625
    // 0.5625 = threshold + margin exactly: still confident.
    expect(shouldJoinHistory(decide({ live, card: atCos(14), history: [] }, policy))).toBe(true);
    // 0.53125 matches, but within the margin: not confident.
    const borderline = decide({ live, card: atCos(15), history: [] }, policy);
    expect(borderline.outcome).toBe('match');
    expect(shouldJoinHistory(borderline)).toBe(false);
  });

  it('never admits a held or rejected capture on its own, but follows a human decision', () => {
    const held = decide({ live, card: atCos(2), history: [atCos(20, 30)] }, policy);
    expect(held.outcome).toBe('hold');
    expect(shouldJoinHistory(held)).toBe(false);
    expect(shouldJoinHistory(held, { approved: true })).toBe(true);
    const noMatch = decide({ live, card: atCos(30), history: [] }, policy);
    expect(shouldJoinHistory(noMatch)).toBe(false);
    const confident = decide({ live, card: atCos(2), history: [] }, policy);
    expect(shouldJoinHistory(confident, { approved: false })).toBe(false);
  });
});
