import {
  assessQuality,
  type DecisionPolicy,
  type DecisionPolicyInput,
  decide,
  decisionPolicySchema,
  type FaceAnalysis,
  type FaceErrorCode,
  type QualityThresholdsInput,
} from '@mynakit/face';
import type { FaceCheckInput, FaceCheckPort, FaceCheckResult } from '../checks/ports.js';

/** What the check needs of the face engine: `FacePool` (or a single `FaceEngine`) fits. */
export interface FaceAnalyzer {
  analyze(bytes: Uint8Array): Promise<Pick<FaceAnalysis, 'embedding' | 'quality'>>;
}

export interface FacePoolFaceCheckOptions {
  readonly analyzer: FaceAnalyzer;
  /** `decide`'s policy (cardThreshold, delta, historyFloor, …): calibrate it on your own photos. */
  readonly policy: DecisionPolicyInput;
  /** Quality gate thresholds for the live photo; default @mynakit/face's. */
  readonly quality?: QualityThresholdsInput;
  readonly clock?: () => Date;
}

/** Image problems that a retake fixes: the photo itself is the problem, not the engine. */
const IMAGE_FAILURES: readonly FaceErrorCode[] = [
  'NO_FACE',
  'IMAGE_CORRUPT',
  'UNSUPPORTED_FORMAT',
  'IMAGE_TOO_LARGE',
];

/** By code, not `instanceof`: a pool revives its workers' errors, and bundles may hold more than one FaceError class. */
function isImageFailure(error: unknown): error is Error & { code: FaceErrorCode } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && IMAGE_FAILURES.includes(code as FaceErrorCode);
}

/**
 * W1.3, W1.6–7 / W2.2, W2.5 over @mynakit/face. Only the live photo passes the quality gates (→ `unusable` with the
 * codes, the booth retakes): the chip photo is small and grey and would fail them by design. A history photo without
 * a usable face is skipped. A chip photo without a face gives `hold`, with no decision: a person must compare.
 * Engine failures (ENGINE_*, QUEUE_FULL, POOL_CLOSED) reject, so the outbox retries.
 */
export class FacePoolFaceCheck implements FaceCheckPort {
  readonly #policy: DecisionPolicy;

  constructor(private readonly options: FacePoolFaceCheckOptions) {
    // A bad policy is a configuration error: fail at start-up, not on the first applicant.
    this.#policy = decisionPolicySchema.parse(options.policy);
  }

  async compare(input: FaceCheckInput): Promise<FaceCheckResult> {
    const checkedAt = () => (this.options.clock?.() ?? new Date()).toISOString();
    const { analyzer } = this.options;
    let live: Awaited<ReturnType<FaceAnalyzer['analyze']>>;
    try {
      live = await analyzer.analyze(input.live);
    } catch (error) {
      if (!isImageFailure(error)) throw error;
      return { outcome: 'unusable', qualityFailures: [error.code], checkedAt: checkedAt() };
    }
    const failures = assessQuality(live.quality, this.options.quality ?? {});
    if (failures.length > 0) {
      return { outcome: 'unusable', qualityFailures: failures.map((f) => f.code), checkedAt: checkedAt() };
    }

    const optional = (bytes: Uint8Array) =>
      analyzer.analyze(bytes).catch((error: unknown) => {
        if (isImageFailure(error)) return null;
        throw error;
      });
    const [card, ...history] = await Promise.all([optional(input.card), ...input.history.map(optional)]);
    if (!card) return { outcome: 'hold', qualityFailures: [], checkedAt: checkedAt() };
    const decision = decide(
      {
        live: live.embedding,
        card: card.embedding,
        history: history.flatMap((h) => (h === null ? [] : [h.embedding])),
      },
      this.#policy,
    );
    return { outcome: decision.outcome, qualityFailures: [], decision, checkedAt: checkedAt() };
  }
}
