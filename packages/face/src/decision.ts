import { z } from 'zod';
import type { FaceEmbedding } from './embedding.js';
import { assertComparable, cosineSimilarity } from './similarity.js';

/** One comparison against one reference photo with a fixed threshold (W4.5 selfie vs card photo, a CLI compare). */
export function verify(
  live: FaceEmbedding,
  reference: FaceEmbedding,
  options: { threshold: number },
): { score: number; match: boolean } {
  const score = cosineSimilarity(live, reference);
  return { score, match: score >= options.threshold };
}

const similarity = z.number().min(-1).max(1);

/**
 * How the scores against several history photos become one `sim(live, history)`.
 * - `max`: the best history photo decides. Fewest holds for genuine users, but a single poisoned history photo
 *   (an attacker's face that slipped in) makes the attacker always pass the delta rule.
 * - `mean`: every photo counts; each photo's pull is capped by `historyInfluenceCap` (see below).
 * - `median` (default): robust to one bad photo in either direction (a poisoned one, or a blurred/odd capture),
 *   and equal to the mean for one or two photos. Template poisoning is the known attack on template update
 *   (face.md §3), so the default favours robustness over the few genuine holds `max` would save.
 */
export const historyCombineModes = ['max', 'mean', 'median'] as const;
export type HistoryCombine = (typeof historyCombineModes)[number];

export const decisionPolicySchema = z.object({
  /**
   * Absolute threshold on `sim(live, card)`: below it the outcome is `no-match`. No default: it must be
   * calibrated on the target data and model (face.md §2 found 0.55–0.60 on public sets for faceres + cosine).
   */
  cardThreshold: similarity,
  /** δ of the similarity-delta hold: `sim(live, card) − sim(live, history) ≥ δ` → hold. */
  delta: z.number().min(-2).max(2),
  historyCombine: z.enum(historyCombineModes).default('median'),
  /**
   * Optional absolute floor on the combined `sim(live, history)`: below it → hold. The proxy simulation in
   * face.md §3 held far more lookalikes than the delta rule at almost no genuine cost; it is an addition to the
   * product's delta rule, never a replacement.
   */
  historyFloor: similarity.optional(),
  /**
   * `mean` only: each history score is first clipped to within this distance of the history median, so one photo
   * can move the mean by at most `cap / n` from a robust centre. Without it one outlier controls the mean of few photos.
   */
  historyInfluenceCap: z.number().positive().max(2).default(0.1),
  /**
   * A live photo joins the history only after a match whose card score clears `cardThreshold` by this margin
   * (or after a human approval): a borderline match must not become a reference for the next comparison.
   */
  historyJoinMargin: z.number().min(0).max(2).default(0.05),
});

export type DecisionPolicyInput = z.input<typeof decisionPolicySchema>;
export type DecisionPolicy = z.output<typeof decisionPolicySchema>;

export const decisionRules = ['card-threshold', 'similarity-delta', 'history-floor', 'passed'] as const;
/** Which rule decided: the first that fired in the order card threshold → delta → floor, or `passed`. */
export type DecisionRule = (typeof decisionRules)[number];

const ruleCheckSchema = z.object({
  /** False when the rule could not run (no history photos); `notApplicableReason` says why. */
  applicable: z.boolean(),
  fired: z.boolean(),
  notApplicableReason: z.enum(['no-history', 'not-configured']).optional(),
});

/**
 * The whole decision, as the municipality review needs it (W1.5–W1.7): the outcome, every score, every threshold
 * and what each rule did. Persist it with the reception record; it holds no photo bytes and no embedding.
 */
export const faceDecisionSchema = z.object({
  outcome: z.enum(['match', 'no-match', 'hold']),
  rule: z.enum(decisionRules),
  /** Every rule that fired (the delta rule and the floor can both fire; `rule` is the first). */
  firedRules: z.array(z.enum(['card-threshold', 'similarity-delta', 'history-floor'])),
  scores: z.object({
    card: similarity,
    /** The combined `sim(live, history)`; null without history photos. */
    history: similarity.nullable(),
    /** One score per history photo, in the order given. */
    historyEach: z.array(similarity),
  }),
  /** `sim(live, card) − sim(live, history)`; null without history photos. */
  delta: z.number().nullable(),
  thresholds: z.object({
    card: similarity,
    delta: z.number(),
    historyFloor: similarity.nullable(),
    historyCombine: z.enum(historyCombineModes),
    historyInfluenceCap: z.number(),
    historyJoinMargin: z.number(),
  }),
  checks: z.object({
    cardThreshold: ruleCheckSchema,
    similarityDelta: ruleCheckSchema,
    historyFloor: ruleCheckSchema,
  }),
  model: z.string(),
  preprocessing: z.string(),
});

export type FaceDecision = z.infer<typeof faceDecisionSchema>;

export interface DecisionInput {
  live: FaceEmbedding;
  card: FaceEmbedding;
  /** Earlier booth photos (renewal) or registered photos (registration) of the card holder; may be empty. */
  history: readonly FaceEmbedding[];
}

/**
 * The server's face check (W1.3, W1.6, W1.7, W2.5):
 * 1. `sim(live, card) < cardThreshold` → `no-match`;
 * 2. with history: `sim(live, card) − sim(live, history) ≥ δ` → `hold` (the rule exactly as specified);
 * 3. with history and a floor: `sim(live, history) < historyFloor` → `hold`;
 * 4. otherwise `match`.
 * Without history photos rules 2 and 3 cannot fire; the result says so (`applicable: false, 'no-history'`).
 * Throws a `FaceError` (`INVALID_INPUT`, reason `EMBEDDING_MISMATCH`) if any embedding comes from another model
 * or preprocessing than the live one.
 */
export function decide(input: DecisionInput, policyInput: DecisionPolicyInput): FaceDecision {
  const policy = decisionPolicySchema.parse(policyInput);
  const { live, card, history } = input;
  assertComparable(live, card);
  for (const photo of history) assertComparable(live, photo);

  const cardScore = cosineSimilarity(live, card);
  const historyEach = history.map((photo) => cosineSimilarity(live, photo));
  const historyScore =
    historyEach.length === 0
      ? null
      : combineHistoryScores(historyEach, policy.historyCombine, policy.historyInfluenceCap);
  const delta = historyScore === null ? null : cardScore - historyScore;

  const cardFired = cardScore < policy.cardThreshold;
  const deltaFired = delta !== null && delta >= policy.delta;
  const floor = policy.historyFloor ?? null;
  const floorFired = historyScore !== null && floor !== null && historyScore < floor;

  const firedRules: FaceDecision['firedRules'] = [];
  if (cardFired) firedRules.push('card-threshold');
  if (deltaFired) firedRules.push('similarity-delta');
  if (floorFired) firedRules.push('history-floor');
  const rule: DecisionRule = firedRules[0] ?? 'passed';
  const outcome = cardFired ? 'no-match' : deltaFired || floorFired ? 'hold' : 'match';

  const noHistory = historyScore === null;
  return {
    outcome,
    rule,
    firedRules,
    scores: { card: cardScore, history: historyScore, historyEach },
    delta,
    thresholds: {
      card: policy.cardThreshold,
      delta: policy.delta,
      historyFloor: floor,
      historyCombine: policy.historyCombine,
      historyInfluenceCap: policy.historyInfluenceCap,
      historyJoinMargin: policy.historyJoinMargin,
    },
    checks: {
      cardThreshold: { applicable: true, fired: cardFired },
      similarityDelta: noHistory
        ? { applicable: false, fired: false, notApplicableReason: 'no-history' }
        : { applicable: true, fired: deltaFired },
      historyFloor:
        floor === null
          ? { applicable: false, fired: false, notApplicableReason: 'not-configured' }
          : noHistory
            ? { applicable: false, fired: false, notApplicableReason: 'no-history' }
            : { applicable: true, fired: floorFired },
    },
    model: live.model,
    preprocessing: live.preprocessing,
  };
}

/** Combines per-photo history scores (non-empty) into one; exported for tests and for review tooling. */
export function combineHistoryScores(
  scores: readonly number[],
  mode: HistoryCombine,
  influenceCap = 0.1,
): number {
  if (scores.length === 0) throw new RangeError('no history scores to combine');
  switch (mode) {
    case 'max':
      return Math.max(...scores);
    case 'median':
      return median(scores);
    case 'mean': {
      // Winsorise around the median so no single photo moves the mean by more than cap / n from it.
      const centre = median(scores);
      const clipped = scores.map((s) => Math.min(centre + influenceCap, Math.max(centre - influenceCap, s)));
      return clipped.reduce((sum, s) => sum + s, 0) / clipped.length;
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Anti-poisoning (face.md §3): may this live photo join the person's history? Only after a human approved it
 * at review, or after a confident automatic match — outcome `match` with the card score at least
 * `historyJoinMargin` above the card threshold. A held or rejected capture never joins on its own; otherwise an
 * attacker could drift the history toward their face one borderline capture at a time.
 */
export function shouldJoinHistory(decision: FaceDecision, review?: { approved: boolean }): boolean {
  if (review !== undefined) return review.approved;
  return (
    decision.outcome === 'match' &&
    decision.scores.card >= decision.thresholds.card + decision.thresholds.historyJoinMargin
  );
}
