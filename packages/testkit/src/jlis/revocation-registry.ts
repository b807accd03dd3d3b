import { z } from 'zod';
import type { JpkiCaType, JpkiHierarchy } from '../ca/jpki-names.js';

/** The RFC 5280 CRLReason values J-LIS lists in its CPS §4.9.9 (jpki-pki.md §3.3), in code order. */
export const crlReasons = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
] as const;

export type CrlReason = (typeof crlReasons)[number];

/** CRLReason ENUMERATED value of each reason (RFC 5280 §5.3.1); 7 is unused by the standard. */
export const crlReasonCode: Readonly<Record<CrlReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
};

/** Which root a registry belongs to: all generations share one DN, so the generation is part of the key. */
export interface RevocationCaKey {
  type: JpkiCaType;
  hierarchy: JpkiHierarchy;
  generation: number;
}

export interface RevocationEntry {
  /** Normalised serial: lowercase hex, minimal, even length (`normalizeSerialHex`). */
  serial: string;
  reason: CrlReason;
  revokedAt: Date;
}

const caKeySchema = z.object({
  type: z.enum(['sign', 'auth']),
  hierarchy: z.enum(['production-like', 'test']),
  generation: z.number().int().positive(),
});

/** Persisted form of one registry (`RevocationRegistry.toJSON`). */
export const revocationRegistrySchema = z.object({
  ca: caKeySchema,
  /** The cRLNumber of the last CRL issued for this CA (0 = none yet). */
  lastCrlNumber: z.number().int().nonnegative(),
  entries: z.array(
    z.object({
      serial: z.string().regex(/^([0-9a-f]{2})+$/),
      reason: z.enum(crlReasons),
      revokedAt: z.iso.datetime(),
    }),
  ),
});

export type RevocationRegistryJson = z.infer<typeof revocationRegistrySchema>;

/** Persisted form of all registries (`RevocationRegistries.toJSON`). */
export const revocationRegistriesSchema = z.object({ registries: z.array(revocationRegistrySchema) });

export type RevocationRegistriesJson = z.infer<typeof revocationRegistriesSchema>;

/**
 * Canonical serial: accepts `0A:1b`, `0x0a1b`, `00a1…` (DER INTEGER content with a sign byte) and returns
 * lowercase hex without leading zero bytes, so lookups match whatever form the caller holds.
 */
export function normalizeSerialHex(serial: string): string {
  const hex = serial.trim().replace(/^0x/i, '').replace(/[\s:]/g, '').toLowerCase();
  if (hex.length === 0 || !/^[0-9a-f]+$/.test(hex)) throw new TypeError('serial must be a hex string');
  const stripped = hex.replace(/^0+/, '');
  if (stripped.length === 0) return '00';
  return stripped.length % 2 === 1 ? `0${stripped}` : stripped;
}

/** Registry key string, e.g. `production-like/sign/g3`. */
export function revocationCaKeyString(ca: RevocationCaKey): string {
  return `${ca.hierarchy}/${ca.type}/g${ca.generation}`;
}

/** Whole seconds: CRLs and OCSP responses carry no fractional seconds. */
function toSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

/** In-memory revocation state of one root generation: what the mock J-LIS CRLs and OCSP answers are built from. */
export class RevocationRegistry {
  readonly ca: RevocationCaKey;
  #entries = new Map<string, RevocationEntry>();
  #lastCrlNumber = 0;

  constructor(ca: RevocationCaKey) {
    this.ca = caKeySchema.parse({ type: ca.type, hierarchy: ca.hierarchy, generation: ca.generation });
  }

  /**
   * Revokes a serial. Re-revoking keeps the first entry, except that a certificateHold may be turned into a
   * permanent reason (RFC 5280 allows hold → other reason; J-LIS never lifts holds, so there is no un-hold).
   */
  revoke(serialHex: string, reason: CrlReason = 'unspecified', at: Date = new Date()): RevocationEntry {
    const parsedReason = z.enum(crlReasons).parse(reason);
    if (Number.isNaN(at.getTime())) throw new RangeError('revocation time is not a valid date');
    const serial = normalizeSerialHex(serialHex);
    const existing = this.#entries.get(serial);
    if (existing && !(existing.reason === 'certificateHold' && parsedReason !== 'certificateHold'))
      return existing;
    const entry: RevocationEntry = { serial, reason: parsedReason, revokedAt: toSecond(at) };
    this.#entries.set(serial, entry);
    return entry;
  }

  /** The entry for a serial (any hex form), or undefined when not revoked. */
  lookup(serialHex: string): RevocationEntry | undefined {
    return this.#entries.get(normalizeSerialHex(serialHex));
  }

  isRevoked(serialHex: string): boolean {
    return this.lookup(serialHex) !== undefined;
  }

  /** Removes an entry (test reset only: a real CA never un-revokes). Returns whether it existed. */
  remove(serialHex: string): boolean {
    return this.#entries.delete(normalizeSerialHex(serialHex));
  }

  /** All entries, oldest revocation first. */
  list(): RevocationEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime());
  }

  get size(): number {
    return this.#entries.size;
  }

  get lastCrlNumber(): number {
    return this.#lastCrlNumber;
  }

  /** Reserves the next cRLNumber (monotonically increasing per CA, RFC 5280 §5.2.3). */
  nextCrlNumber(): number {
    this.#lastCrlNumber += 1;
    return this.#lastCrlNumber;
  }

  toJSON(): RevocationRegistryJson {
    return {
      ca: { ...this.ca },
      lastCrlNumber: this.#lastCrlNumber,
      entries: this.list().map((e) => ({
        serial: e.serial,
        reason: e.reason,
        revokedAt: e.revokedAt.toISOString(),
      })),
    };
  }

  static fromJSON(json: unknown): RevocationRegistry {
    const data = revocationRegistrySchema.parse(json);
    const registry = new RevocationRegistry(data.ca);
    for (const e of data.entries) registry.revoke(e.serial, e.reason, new Date(e.revokedAt));
    registry.#lastCrlNumber = data.lastCrlNumber;
    return registry;
  }
}

/** One registry per root (type + hierarchy + generation), created on first use. */
export class RevocationRegistries {
  #byKey = new Map<string, RevocationRegistry>();

  /** The registry of a CA (a `JpkiTestCa` or just its key fields). */
  for(ca: RevocationCaKey): RevocationRegistry {
    const key = revocationCaKeyString(ca);
    let registry = this.#byKey.get(key);
    if (!registry) {
      registry = new RevocationRegistry(ca);
      this.#byKey.set(key, registry);
    }
    return registry;
  }

  /** Shorthand for `for(ca).revoke(…)`. */
  revoke(ca: RevocationCaKey, serialHex: string, reason?: CrlReason, at?: Date): RevocationEntry {
    return this.for(ca).revoke(serialHex, reason, at);
  }

  all(): RevocationRegistry[] {
    return [...this.#byKey.values()];
  }

  toJSON(): RevocationRegistriesJson {
    return { registries: this.all().map((r) => r.toJSON()) };
  }

  static fromJSON(json: unknown): RevocationRegistries {
    const data = revocationRegistriesSchema.parse(json);
    const registries = new RevocationRegistries();
    for (const r of data.registries) {
      const registry = RevocationRegistry.fromJSON(r);
      registries.#byKey.set(revocationCaKeyString(registry.ca), registry);
    }
    return registries;
  }
}
