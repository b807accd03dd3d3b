import { type IdentityEvidence, identityEvidenceSchema } from '@mynakit/jpki';
import { z } from 'zod';

/** A card's user-authentication certificate bound to a customer account (W4.2). */
export interface AccountBinding {
  readonly customerId: string;
  /** The verifier's stable key for the card certificate (issuer root + serial). */
  readonly accountKey: string;
  readonly authSerial: string;
  readonly boundAt: string;
}

/** What a durable store writes and reads back for a binding (stored records are a boundary). */
export const accountBindingSchema = z.strictObject({
  customerId: z.string().min(1).max(200),
  accountKey: z.string().min(1).max(500),
  authSerial: z.string().min(1).max(200),
  boundAt: z.iso.datetime(),
});

/**
 * Where account bindings live. `bindIfAbsent` must be atomic (a unique key on `accountKey` in a database): of two
 * concurrent first logins with one card, both end up on the same customer. Production keeps them in the
 * workflow store's database; the in-memory store is for one process and tests.
 */
export interface AccountBindingStore {
  findByAccountKey(accountKey: string): Promise<AccountBinding | null>;
  /** Store the binding unless the key is bound already; returns the binding that holds afterwards. */
  bindIfAbsent(binding: AccountBinding): Promise<{ binding: AccountBinding; created: boolean }>;
}

/** The identity-verification evidence kept for a customer (W4.1), with the signing certificate for 現況確認 (W4.3). */
export interface EvidenceRecord {
  readonly id: string;
  readonly customerId: string;
  readonly verifierId: string;
  readonly evidence: IdentityEvidence;
}

/** What a durable store writes and reads back for an evidence record. */
export const evidenceRecordSchema = z.strictObject({
  id: z.string().min(1).max(200),
  customerId: z.string().min(1).max(200),
  verifierId: z.string().min(1).max(200),
  evidence: identityEvidenceSchema,
});

/**
 * Where evidence records live for their retention period (7 years after the check, `evidence.retainUntil`).
 * Production keeps them in the workflow store's database, encrypted at rest like other personal data.
 */
export interface EvidenceStore {
  /** Idempotent on `id`: a second put of the same id keeps the first record. */
  put(record: EvidenceRecord): Promise<void>;
  /** The most recent record for the customer (by `evidence.verifiedAt`), or null. */
  latestFor(customerId: string): Promise<EvidenceRecord | null>;
  /** Remove the records whose retention date has passed; returns how many went. */
  purgeExpired(now: Date): Promise<number>;
}

export class InMemoryAccountBindingStore implements AccountBindingStore {
  private readonly bindings = new Map<string, AccountBinding>();

  async findByAccountKey(accountKey: string): Promise<AccountBinding | null> {
    return this.bindings.get(accountKey) ?? null;
  }

  async bindIfAbsent(binding: AccountBinding): Promise<{ binding: AccountBinding; created: boolean }> {
    const existing = this.bindings.get(binding.accountKey);
    if (existing !== undefined) return { binding: existing, created: false };
    this.bindings.set(binding.accountKey, binding);
    return { binding, created: true };
  }
}

export class InMemoryEvidenceStore implements EvidenceStore {
  private readonly records: EvidenceRecord[] = [];

  async put(record: EvidenceRecord): Promise<void> {
    if (this.records.some((r) => r.id === record.id)) return;
    this.records.push(structuredClone(record));
  }

  async latestFor(customerId: string): Promise<EvidenceRecord | null> {
    let latest: EvidenceRecord | null = null;
    for (const record of this.records) {
      if (record.customerId !== customerId) continue;
      if (latest === null || record.evidence.verifiedAt >= latest.evidence.verifiedAt) latest = record;
    }
    return latest === null ? null : structuredClone(latest);
  }

  async purgeExpired(now: Date): Promise<number> {
    const before = this.records.length;
    const kept = this.records.filter((record) => new Date(record.evidence.retainUntil) > now);
    this.records.splice(0, this.records.length, ...kept);
    return before - kept.length;
  }
}
