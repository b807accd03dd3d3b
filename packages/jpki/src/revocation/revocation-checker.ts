import type { JpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto, signatureHashOf, verifyRsaSignature } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import type { TrustStore } from '../trust-store.js';
import { CrlCache, type CrlSource } from './crl-cache.js';
import { type CheckOcspOptions, checkOcsp } from './ocsp-client.js';
import {
  type CertificateInput,
  checkerOptionsSchema,
  type FetchLike,
  ocspOptionsSchema,
  parseOptions,
  type RevocationEvidence,
  type RevocationReasonName,
  toCertificate,
} from './types.js';

export type RevocationSource = 'ocsp' | 'crl';

export interface RevocationCheckerOptions {
  /** Finds the issuer when `check` is called without one (the root whose key signed the certificate). */
  trustStore?: TrustStore;
  /** OCSP responder (a URL, or one per issuer) and the per-request options of `checkOcsp`. */
  ocsp?: { url: string | ((issuer: JpkiCertificate) => string) } & Omit<
    CheckOcspOptions,
    'certificate' | 'issuer' | 'url' | 'at' | 'fetch' | 'crypto'
  >;
  /** CRL source (URL or loader), or a ready `CrlCache` to share between checkers. */
  crl?: CrlSource | { cache: CrlCache };
  /** Sources in the order they are asked; default OCSP first, CRL as fallback. */
  order?: readonly RevocationSource[];
  /**
   * Default false (fail closed): when no source answers trustworthily, `check` throws REVOCATION_UNDETERMINED.
   * With true it returns `{ status: 'unknown', undetermined: true }` instead — only for flows that may proceed.
   */
  failOpen?: boolean;
  fetch?: FetchLike;
  /** Time source (CRL cache and default check time); default the system clock. */
  clock?: () => Date;
  crypto?: JpkiCrypto;
  /** Network timeout per request; default 10 s for OCSP, 30 s for CRLs. */
  timeoutMs?: number;
  /**
   * Reuse a verified OCSP answer for the same certificate until its nextUpdate (J-LIS refreshes every 15 min).
   * Default false: every check asks the responder, as eKYC flows that must see a revocation at once want.
   */
  cacheOcspAnswers?: boolean;
}

export interface RevocationAttemptError {
  source: RevocationSource;
  code: string;
  message: string;
}

export interface RevocationCheckResult {
  status: 'good' | 'revoked' | 'unknown';
  reason?: RevocationReasonName;
  revokedAt?: Date;
  /** The source whose answer decided, null when undetermined. */
  source: RevocationSource | null;
  /** Every trustworthy answer received (the deciding one last), for retention. */
  evidence: RevocationEvidence[];
  /** Sources that failed before the decision (e.g. OCSP_UNAVAILABLE before a CRL answer). */
  errors: RevocationAttemptError[];
  /** True only with `failOpen` when no source answered. */
  undetermined?: boolean;
}

function attemptError(source: RevocationSource, error: unknown): RevocationAttemptError {
  if (error instanceof JpkiError) return { source, code: error.code, message: error.message };
  return { source, code: 'ERROR', message: error instanceof Error ? error.name : 'non-error thrown' };
}

/**
 * Revocation policy: asks OCSP, then the CRL (or the configured order), keeps the evidence of every answer and
 * fails closed. An OCSP `unknown` is an answer but not a decision, so the next source is still asked.
 */
export class RevocationChecker {
  readonly #options: RevocationCheckerOptions;
  readonly #crl: CrlCache | undefined;
  readonly #order: readonly RevocationSource[];
  /** Verified OCSP decisions by issuer key + serial, each usable until its nextUpdate. */
  readonly #ocspAnswers = new Map<string, { until: number; result: RevocationCheckResult }>();

  constructor(options: RevocationCheckerOptions) {
    parseOptions(
      checkerOptionsSchema,
      { order: options.order, failOpen: options.failOpen, timeoutMs: options.timeoutMs },
      'revocation checker options',
    );
    if (options.ocsp) parseOptions(ocspOptionsSchema, { ...options.ocsp, url: undefined }, 'OCSP options');
    this.#options = options;
    this.#order = options.order ?? ['ocsp', 'crl'];
    if (!this.#order.some((s) => (s === 'ocsp' ? options.ocsp : options.crl)))
      throw new JpkiError('INVALID_INPUT', 'configure at least one revocation source');
    const crl = options.crl;
    if (crl)
      this.#crl =
        'cache' in crl
          ? crl.cache
          : new CrlCache(crl, {
              ...(options.fetch && { fetch: options.fetch }),
              ...(options.clock && { clock: options.clock }),
              ...(options.crypto && { crypto: options.crypto }),
              ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
            });
  }

  /**
   * The revocation status of `certificate` at `at` (default now). `issuer` may be left out when a trust store
   * was given. Throws REVOCATION_UNDETERMINED (details: the failed sources' codes) when no source answers.
   */
  async check(
    certificateInput: CertificateInput,
    issuerInput?: CertificateInput,
    at?: Date,
  ): Promise<RevocationCheckResult> {
    const o = this.#options;
    const crypto = o.crypto ?? defaultCrypto();
    const when = at ?? o.clock?.() ?? new Date();
    const certificate = toCertificate(certificateInput);
    const issuer =
      issuerInput === undefined ? await this.#findIssuer(certificate, crypto) : toCertificate(issuerInput);
    // A wrong issuer would make its CRL say "not listed" about a certificate it never issued.
    await assertIssued(certificate, issuer, crypto);

    const evidence: RevocationEvidence[] = [];
    const errors: RevocationAttemptError[] = [];
    let sawUnknown = false;
    for (const source of this.#order) {
      try {
        if (source === 'ocsp' && o.ocsp) {
          const cacheKey = `${issuer.subjectKeyIdentifier ?? issuer.subject}|${certificate.serialNumber}`;
          const cached = o.cacheOcspAnswers ? this.#ocspAnswers.get(cacheKey) : undefined;
          if (cached && when.getTime() < cached.until) return cached.result;
          const { url, ...rest } = o.ocsp;
          const result = await checkOcsp({
            ...rest,
            ...(o.timeoutMs !== undefined && rest.timeoutMs === undefined && { timeoutMs: o.timeoutMs }),
            url: typeof url === 'function' ? url(issuer) : url,
            certificate,
            issuer,
            at: when,
            crypto,
            ...(o.fetch && { fetch: o.fetch }),
          });
          evidence.push(result.evidence);
          if (result.status === 'unknown') {
            sawUnknown = true;
            continue;
          }
          const decided: RevocationCheckResult =
            result.status === 'revoked'
              ? {
                  status: 'revoked',
                  reason: result.reason,
                  revokedAt: result.revokedAt,
                  source,
                  evidence,
                  errors,
                }
              : { status: 'good', source, evidence, errors };
          const nextUpdate = result.evidence.nextUpdate;
          if (o.cacheOcspAnswers && nextUpdate)
            this.#ocspAnswers.set(cacheKey, { until: nextUpdate.getTime(), result: decided });
          return decided;
        }
        if (source === 'crl' && this.#crl) {
          const { entry, crl, url } = await this.#crl.lookup(certificate.serialNumber, issuer, when);
          evidence.push(crl.evidence(when, url));
          return entry
            ? {
                status: 'revoked',
                reason: entry.reason,
                revokedAt: entry.revokedAt,
                source,
                evidence,
                errors,
              }
            : { status: 'good', source, evidence, errors };
        }
      } catch (error) {
        errors.push(attemptError(source, error));
      }
    }
    if (sawUnknown) return { status: 'unknown', source: 'ocsp', evidence, errors };
    if (o.failOpen) return { status: 'unknown', source: null, evidence, errors, undetermined: true };
    const details: Record<string, string> = {
      attempts: errors.map((e) => `${e.source}:${e.code}`).join(' '),
    };
    for (const e of errors) details[e.source] = e.code;
    throw new JpkiError('REVOCATION_UNDETERMINED', 'no revocation source gave a trustworthy answer', {
      details,
    });
  }

  async #findIssuer(certificate: JpkiCertificate, crypto: JpkiCrypto): Promise<JpkiCertificate> {
    const store = this.#options.trustStore;
    if (!store) throw new JpkiError('INVALID_INPUT', 'pass the issuer or configure a trust store');
    for (const type of ['sign', 'auth'] as const) {
      for (const anchor of store.candidatesFor(certificate, type)) {
        if (await issuedBy(certificate, anchor.certificate, crypto)) return anchor.certificate;
      }
    }
    throw new JpkiError('UNTRUSTED_ROOT', 'no trusted root issued this certificate', {
      details: { serialNumber: certificate.serialNumber },
    });
  }
}

async function issuedBy(certificate: JpkiCertificate, issuer: JpkiCertificate, crypto: JpkiCrypto) {
  const hash = signatureHashOf(certificate.signatureAlgorithm);
  if (hash === undefined || certificate.issuer !== issuer.subject) return false;
  try {
    return await verifyRsaSignature(
      issuer.publicKey,
      hash,
      certificate.signatureValue,
      certificate.tbsCertificate,
      crypto,
    );
  } catch {
    return false;
  }
}

async function assertIssued(certificate: JpkiCertificate, issuer: JpkiCertificate, crypto: JpkiCrypto) {
  if (!(await issuedBy(certificate, issuer, crypto)))
    throw new JpkiError('SIGNATURE_INVALID', 'the certificate was not issued by the given issuer', {
      details: { serialNumber: certificate.serialNumber },
    });
}
