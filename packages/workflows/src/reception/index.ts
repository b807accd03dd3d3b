export { dammCheckDigit, isDammValid } from './damm.js';
export {
  type AttemptThrottle,
  type RateDecision,
  type RateLimit,
  RateLimiter,
  rateLimitSchema,
  type TokenBucket,
  takeFromBucket,
} from './rate-limiter.js';
export {
  formatReceptionNumber,
  generateReceptionNumber,
  parseReceptionNumber,
  type RandomBytes,
  RECEPTION_ENTROPY_BITS,
  RECEPTION_NUMBER_LENGTH,
  RECEPTION_RANDOM_DIGITS,
  type ReceptionNumber,
  receptionNumberSchema,
} from './reception-number.js';
