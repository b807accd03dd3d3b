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
 * A token bucket per key (a kiosk id, a client address): the kiosk endpoint takes one token per reception-number
 * attempt, so enumeration is throttled to `refillPerSecond` per kiosk. In memory, per process: several server
 * processes each keep their own buckets, which multiplies the allowance by the process count (state it when sizing).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly limit: RateLimit;

  constructor(
    limit: RateLimit,
    private readonly clock: () => number = Date.now,
  ) {
    this.limit = rateLimitSchema.parse(limit);
  }

  take(key: string): RateDecision {
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.capacity, at: now };
    const refilled = Math.min(
      this.limit.capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * this.limit.refillPerSecond,
    );
    if (refilled >= 1) {
      this.buckets.set(key, { tokens: refilled - 1, at: now });
      return { allowed: true, retryAfterMs: 0 };
    }
    this.buckets.set(key, { tokens: refilled, at: now });
    return { allowed: false, retryAfterMs: Math.ceil(((1 - refilled) / this.limit.refillPerSecond) * 1000) };
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
