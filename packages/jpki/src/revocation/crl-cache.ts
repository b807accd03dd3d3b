import { toHex } from '../bytes.js';
import type { JpkiCertificate } from '../certificate.js';
import type { JpkiCrypto } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import { DEFAULT_CRL_SKEW_MS, fetchCrl, loadCrl, type VerifiedCrl } from './crl-client.js';
import { type CertificateInput, type FetchLike, toCertificate } from './types.js';

/**
 * Where an issuer's CRL comes from: a URL (or one per issuer — JPKI has one root per certificate type, and the
 * CA certificates carry only a directoryName distribution point), or a loader returning the DER.
 */
export type CrlSource =
  | { url: string | ((issuer: JpkiCertificate) => string) }
  | { load: (issuer: JpkiCertificate) => Promise<Uint8Array> };

export interface CrlCacheOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
  /** Time source for expiry decisions; default the system clock. */
  clock?: () => Date;
  /** Grace after nextUpdate during which a cached CRL still serves if a refetch fails; default 15 minutes. */
  clockSkewMs?: number;
  crypto?: JpkiCrypto;
}

interface Slot {
  crl: VerifiedCrl;
  url: string | null;
}

/**
 * Keeps one verified CRL per issuer until its nextUpdate, then fetches a new one. A CRL that is already past its
 * nextUpdate (beyond the skew) is CRL_STALE: revocation checks fail closed rather than trust old data.
 */
export class CrlCache {
  readonly #source: CrlSource;
  readonly #options: CrlCacheOptions;
  readonly #slots = new Map<string, Slot>();
  readonly #pending = new Map<string, Promise<Slot>>();

  constructor(source: CrlSource, options: CrlCacheOptions = {}) {
    if (!('url' in source) && !('load' in source))
      throw new JpkiError('INVALID_INPUT', 'a CRL source needs a url or a load function');
    this.#source = source;
    this.#options = options;
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }

  /** Issuers are keyed by key and name: root generations share their DN. */
  static #key(issuer: JpkiCertificate): string {
    return `${issuer.subject}|${toHex(issuer.publicKey)}`;
  }

  /** A fresh, verified CRL for `issuer` at `at` (default the clock's now), from the cache when still current. */
  async get(issuerInput: CertificateInput, at?: Date): Promise<{ crl: VerifiedCrl; url: string | null }> {
    const issuer = toCertificate(issuerInput);
    const when = at ?? this.#now();
    const key = CrlCache.#key(issuer);
    const cached = this.#slots.get(key);
    const skew = this.#options.clockSkewMs ?? DEFAULT_CRL_SKEW_MS;
    // Refetch once nextUpdate has passed; the skew only serves as grace when the refetch fails.
    if (
      cached?.crl.nextUpdate &&
      when.getTime() <= cached.crl.nextUpdate.getTime() &&
      cached.crl.isFresh(when, skew)
    )
      return cached;
    let slot: Slot;
    try {
      slot = await this.#fetch(key, issuer, when);
    } catch (error) {
      if (cached?.crl.isFresh(when, skew)) return cached;
      throw error;
    }
    this.#slots.set(key, slot);
    return slot;
  }

  /** Lookup shorthand: the entry for `serial` in the issuer's current CRL, or null when not revoked. */
  async lookup(serial: string, issuer: CertificateInput, at?: Date) {
    const { crl, url } = await this.get(issuer, at);
    return { entry: crl.lookup(serial), crl, url };
  }

  /** Drops the cached CRL of one issuer (or all). */
  invalidate(issuer?: CertificateInput): void {
    if (issuer === undefined) this.#slots.clear();
    else this.#slots.delete(CrlCache.#key(toCertificate(issuer)));
  }

  #fetch(key: string, issuer: JpkiCertificate, at: Date): Promise<Slot> {
    // Concurrent checks against one issuer share a single download.
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#download(issuer, at).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #download(issuer: JpkiCertificate, at: Date): Promise<Slot> {
    const o = this.#options;
    const loadOptions = {
      at,
      ...(o.clockSkewMs !== undefined && { clockSkewMs: o.clockSkewMs }),
      ...(o.crypto && { crypto: o.crypto }),
    };
    const source = this.#source;
    if ('load' in source) {
      let der: Uint8Array;
      try {
        der = await source.load(issuer);
      } catch (cause) {
        if (cause instanceof JpkiError) throw cause;
        throw new JpkiError('CRL_UNAVAILABLE', 'the CRL loader failed', { cause });
      }
      return { crl: await loadCrl(der, issuer, loadOptions), url: null };
    }
    const url = typeof source.url === 'function' ? source.url(issuer) : source.url;
    const crl = await fetchCrl(url, issuer, {
      ...loadOptions,
      ...(o.fetch && { fetch: o.fetch }),
      ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }),
    });
    return { crl, url };
  }
}
