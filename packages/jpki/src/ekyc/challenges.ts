import { JpkiError } from '../errors.js';

export interface Challenge {
  readonly id: string;
  /** The exact bytes the card must sign: built around a random nonce, so a signature cannot be replayed. */
  readonly toBeSigned: Uint8Array;
  readonly purpose: string;
  readonly expiresAt: Date;
}

/**
 * Where single-use challenges live. `consume` must be atomic: of two concurrent calls with one id, exactly
 * one gets the challenge (a durable implementation uses a conditional delete in its database).
 */
export interface ChallengeStore {
  put(challenge: Challenge): Promise<void>;
  /** Remove and return the challenge, or null when it does not exist (never issued, or already used). */
  take(id: string): Promise<Challenge | null>;
}

/** A ChallengeStore in memory, for one server process and for tests. */
export class MemoryChallengeStore implements ChallengeStore {
  private readonly challenges = new Map<string, Challenge>();

  async put(challenge: Challenge): Promise<void> {
    this.challenges.set(challenge.id, challenge);
  }

  async take(id: string): Promise<Challenge | null> {
    const challenge = this.challenges.get(id) ?? null;
    this.challenges.delete(id);
    return challenge;
  }
}

export interface ChallengeIssuerOptions {
  store: ChallengeStore;
  /** How long a challenge may wait for its signature; default 5 minutes. */
  ttlMs?: number;
  clock?: () => Date;
}

const DEFAULT_TTL_MS = 5 * 60_000;

/** Issues and redeems single-use, expiring challenges for card signatures. */
export class ChallengeIssuer {
  constructor(private readonly options: ChallengeIssuerOptions) {}

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  /** A new challenge; `toBeSigned` turns its 32-byte random nonce into the bytes the card will sign. */
  async issue(purpose: string, toBeSigned: (nonce: Uint8Array) => Uint8Array): Promise<Challenge> {
    const nonce = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const id = base64Url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
    const expiresAt = new Date(this.now().getTime() + (this.options.ttlMs ?? DEFAULT_TTL_MS));
    const challenge = { id, toBeSigned: toBeSigned(nonce), purpose, expiresAt };
    await this.options.store.put(challenge);
    return challenge;
  }

  /** Take the challenge for good: unknown, already used, expired or issued for another purpose → CHALLENGE_INVALID. */
  async redeem(id: string, purpose: string): Promise<Challenge> {
    const challenge = await this.options.store.take(id);
    if (challenge === null)
      throw new JpkiError('CHALLENGE_INVALID', 'the challenge is unknown or was already used');
    if (challenge.purpose !== purpose) {
      throw new JpkiError('CHALLENGE_INVALID', 'the challenge was issued for another purpose');
    }
    if (challenge.expiresAt.getTime() <= this.now().getTime()) {
      throw new JpkiError('CHALLENGE_INVALID', 'the challenge has expired', {
        details: { expiredAt: challenge.expiresAt.toISOString() },
      });
    }
    return challenge;
  }
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
