import { z } from 'zod';

export const rateLimitSchema = z.object({
  /** Attempts allowed in a burst. */
  capacity: z.number().int().positive(),
  /** Attempts regained per second. */
  refillPerSecond: z.number().positive(),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;

export interface RateDecision {
  readonly allowed: boolean;
  /** When the next attempt will be allowed (0 when allowed now). */
  readonly retryAfterMs: number;
}

/**
 * Takes one attempt from `key`'s allowance. The kiosk endpoint takes one per reception-number attempt, so
 * enumeration is throttled to `refillPerSecond` per kiosk. `RateLimiter` keeps buckets in memory (one process);
 * `SqliteRateLimiter` / `PostgresRateLimiter` keep them in the database, so several server processes share one
 * allowance instead of multiplying it.
 */
export interface AttemptThrottle {
  take(key: string): RateDecision | Promise<RateDecision>;
}

export interface TokenBucket {
  readonly tokens: number;
  /** Epoch milliseconds of the last update. */
  readonly at: number;
}

/** The token-bucket arithmetic every throttle shares: the bucket after one attempt at `now`, and the decision. */
export function takeFromBucket(
  limit: RateLimit,
  bucket: TokenBucket | undefined,
  now: number,
): { bucket: TokenBucket; decision: RateDecision } {
  const current = bucket ?? { tokens: limit.capacity, at: now };
  // A clock that went backwards refills nothing (never a negative elapsed time).
  const elapsed = Math.max(0, now - current.at);
  const refilled = Math.min(limit.capacity, current.tokens + (elapsed / 1000) * limit.refillPerSecond);
  if (refilled >= 1)
    return { bucket: { tokens: refilled - 1, at: now }, decision: { allowed: true, retryAfterMs: 0 } };
  return {
    bucket: { tokens: refilled, at: now },
    decision: { allowed: false, retryAfterMs: Math.ceil(((1 - refilled) / limit.refillPerSecond) * 1000) },
  };
}

/** A token bucket per key, in memory: for one process (several processes each get the full allowance). */
export class RateLimiter implements AttemptThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly limit: RateLimit;

  constructor(
    limit: RateLimit,
    private readonly clock: () => number = Date.now,
  ) {
    this.limit = rateLimitSchema.parse(limit);
  }

  take(key: string): RateDecision {
    const { bucket, decision } = takeFromBucket(this.limit, this.buckets.get(key), this.clock());
    this.buckets.set(key, bucket);
    return decision;
  }

  /** Drop full buckets (they carry no information), so the map does not grow with every client ever seen. */
  prune(): void {
    const now = this.clock();
    for (const [key, bucket] of this.buckets) {
      const refilled = bucket.tokens + ((now - bucket.at) / 1000) * this.limit.refillPerSecond;
      if (refilled >= this.limit.capacity) this.buckets.delete(key);
    }
  }
}
