// @mynakit/face/browser — the browser-safe part of the face package: no node: imports, no sharp, no worker_threads.
// The app loads Human's ESM build itself (WebGL or WASM backend) and hands the instance to createBrowserFaceEngine;
// embeddings made here carry the Node engine's tags and compare with them.

export {
  type BrowserFaceAnalysis,
  type BrowserFaceEngine,
  type BrowserFaceEngineOptions,
  createBrowserFaceEngine,
} from './browser-engine.js';
export {
  type CalibrationMetrics,
  computeMetrics,
  type DerivedProbe,
  type LabelledEmbedding,
  type OperatingPoint,
  pairScores,
  probeScores,
  type RocPoint,
  type ScoreSets,
  type ScoreSummary,
} from './calibration/metrics.js';
export {
  combineHistoryScores,
  type DecisionInput,
  type DecisionPolicy,
  type DecisionPolicyInput,
  type DecisionRule,
  decide,
  decisionPolicySchema,
  decisionRules,
  type FaceDecision,
  faceDecisionSchema,
  type HistoryCombine,
  historyCombineModes,
  shouldJoinHistory,
  verify,
} from './decision.js';
export { createEmbedding, type FaceEmbedding } from './embedding.js';
export {
  FaceError,
  type FaceErrorCode,
  faceErrorCodes,
  isFaceErrorCode,
  type QualityFailureCode,
  qualityFailureCodes,
} from './errors.js';
export type { FaceBox } from './face-measures.js';
export { type FaceHumanConfigOptions, faceHumanConfig } from './human-config.js';
export { FACE_EMBEDDING_MODEL, FACE_EMBEDDING_PREPROCESSING } from './preprocessing.js';
export {
  assertQuality,
  assessQuality,
  type QualityFailure,
  type QualityMeasures,
  type QualityThresholds,
  type QualityThresholdsInput,
  qualityThresholdsSchema,
} from './quality.js';
export {
  assertComparable,
  cosineSimilarity,
  deserializeEmbedding,
  embeddingSchema,
  type SerializedEmbedding,
  serializeEmbedding,
} from './similarity.js';
