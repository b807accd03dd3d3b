export {
  type Challenge,
  ChallengeIssuer,
  type ChallengeIssuerOptions,
  type ChallengeStore,
  MemoryChallengeStore,
} from './challenges.js';
export {
  EkycVerifier,
  type EkycVerifierOptions,
  type IdentityEvidence,
  type IdentityResult,
  identityEvidenceSchema,
  type LoginResult,
  type SignedResponse,
  type StatusCheckResult,
  type StatusMeaning,
} from './ekyc-verifier.js';
export { HttpLatestBasicFourPort } from './latest-basic-four-http.js';
export type {
  LatestBasicFourPort,
  LatestBasicFourResult,
  RevocationOutcome,
  RevocationPort,
} from './ports.js';
