// @mynakit/face — the main entry is Node-only for now (sharp, worker_threads, Human's node-wasm build).
// embedding/similarity/decision stay free of node: imports so a browser entry can re-export them later.
// Exports are explicit and kept sorted by module (biome orders them): add new ones in their module's block.
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
export { type ScoreHistogramOptions, scoreHistogramSvg } from './calibration/svg.js';
export { CARD_HEIGHT, CARD_WIDTH, type CardPhotoOptions, cardLikePhoto } from './card-simulation.js';
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
export {
  type DecodedImage,
  type DecodeLimits,
  type DecodeLimitsInput,
  decodeImage,
  decodeLimitsSchema,
  type ImageFormat,
  imageFormats,
  sniffFormat,
} from './decode.js';
export { createEmbedding, type FaceEmbedding } from './embedding.js';
export {
  FACE_EMBEDDING_MODEL,
  FACE_EMBEDDING_PREPROCESSING,
  type FaceAnalysis,
  type FaceBox,
  FaceEngine,
  type FaceEngineOptions,
  type FaceEngineOptionsInput,
  type FaceTimings,
  faceEngineOptionsSchema,
} from './engine.js';
export {
  FaceError,
  type FaceErrorCode,
  faceErrorCodes,
  isFaceErrorCode,
  type QualityFailureCode,
  qualityFailureCodes,
} from './errors.js';
export { type Jpeg2000Header, readJpeg2000Header } from './jpeg2000.js';
export { FacePool, type FacePoolOptionsInput, facePoolOptionsSchema } from './pool.js';
export {
  assertQuality,
  assessQuality,
  type CropStatistics,
  cropStatistics,
  eyeOpenness,
  interEyeDistance,
  type QualityFailure,
  type QualityMeasures,
  type QualityThresholds,
  type QualityThresholdsInput,
  qualityThresholdsSchema,
} from './quality.js';
export { type FaceBackend, faceBackends } from './runtime.js';
export {
  assertComparable,
  cosineSimilarity,
  deserializeEmbedding,
  embeddingSchema,
  type SerializedEmbedding,
  serializeEmbedding,
} from './similarity.js';
