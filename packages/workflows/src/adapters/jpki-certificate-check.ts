import {
  type JpkiCertificate,
  JpkiError,
  parseJpkiCertificate,
  type RevocationCheckResult,
  type TrustStore,
  validateChain,
} from '@mynakit/jpki';
import type {
  CardCertificates,
  CertificateCheckPort,
  CertificateCheckResult,
  CertificateEvidence,
} from '../checks/ports.js';

/** What the check needs of revocation: @mynakit/jpki's RevocationChecker (OCSP first, CRL fallback, fail closed). */
export interface CertificateRevocationSource {
  check(certificate: JpkiCertificate, issuer: JpkiCertificate, at?: Date): Promise<RevocationCheckResult>;
}

export interface JpkiCertificateCheckOptions {
  /** The J-LIS roots (both types) the card's certificates must chain to. */
  readonly trustStore: TrustStore;
  /** Use a fail-closed RevocationChecker (the default `failOpen: false`): undetermined must throw, not pass. */
  readonly revocation: CertificateRevocationSource;
  /** Accept the J-LIS test hierarchy (JPKI-TEST roots). Default false. */
  readonly allowTestHierarchy?: boolean;
  readonly clock?: () => Date;
}

type CertificateType = 'auth' | 'sign';

/**
 * W1.2 / W2.2 over @mynakit/jpki: each certificate read from the card (auth, and sign when present) must chain to a
 * trusted J-LIS root, be within its validity period and not be revoked. A definite "no" (revoked, expired, untrusted,
 * wrong profile) resolves `valid: false` with the JpkiErrorCode as the reason; an undeterminable revocation status
 * (J-LIS unreachable, OCSP `unknown` and no CRL answer) rejects, so the outbox retries.
 */
export class JpkiCertificateCheck implements CertificateCheckPort {
  constructor(private readonly options: JpkiCertificateCheckOptions) {}

  async check(certificates: CardCertificates): Promise<CertificateCheckResult> {
    const at = this.options.clock?.() ?? new Date();
    const queue: { type: CertificateType; der: Uint8Array }[] = [{ type: 'auth', der: certificates.auth }];
    if (certificates.sign !== null) queue.push({ type: 'sign', der: certificates.sign });

    const evidence: CertificateEvidence[] = [];
    let reason: string | undefined;
    for (const { type, der } of queue) {
      if (reason !== undefined) {
        // A definite failure decided already: the rest is listed as not checked (when it parses at all).
        const line = notChecked(type, der);
        if (line) evidence.push(line);
        continue;
      }
      const outcome = await this.#checkOne(type, der, at);
      if (outcome.evidence) evidence.push(outcome.evidence);
      reason = outcome.reason;
    }
    return {
      valid: reason === undefined,
      ...(reason !== undefined && { reason }),
      checkedAt: at.toISOString(),
      certificates: evidence,
    };
  }

  async #checkOne(
    type: CertificateType,
    der: Uint8Array,
    at: Date,
  ): Promise<{ evidence?: CertificateEvidence; reason?: string }> {
    let chain: Awaited<ReturnType<typeof validateChain>>;
    try {
      chain = await validateChain(der, {
        trustStore: this.options.trustStore,
        type,
        at,
        ...(this.options.allowTestHierarchy !== undefined && {
          allowTestHierarchy: this.options.allowTestHierarchy,
        }),
      });
    } catch (error) {
      if (!(error instanceof JpkiError) || error.code === 'INVALID_INPUT') throw error;
      const line = notChecked(type, der);
      return { ...(line && { evidence: line }), reason: error.code };
    }
    const { leaf, root } = chain;
    // Throws REVOCATION_UNDETERMINED when no source answers: the caller's outbox retries.
    const revocation = await this.options.revocation.check(leaf, root.certificate, at);
    if (revocation.status === 'unknown') {
      throw new JpkiError('REVOCATION_UNDETERMINED', 'J-LIS does not know this certificate', {
        details: { type, serialNumber: leaf.serialNumber },
      });
    }
    const decisive = revocation.evidence.at(-1);
    const producedAt = decisive?.source === 'ocsp' ? decisive.producedAt : decisive?.thisUpdate;
    const line: CertificateEvidence = {
      type,
      serial: leaf.serialNumber.toUpperCase(),
      notAfter: leaf.notAfter.toISOString(),
      status: revocation.status,
      source: revocation.source ?? 'none',
      ...(producedAt !== undefined && { producedAt: producedAt.toISOString() }),
    };
    return revocation.status === 'revoked'
      ? { evidence: line, reason: 'CERTIFICATE_REVOKED' }
      : { evidence: line };
  }
}

function notChecked(type: CertificateType, der: Uint8Array): CertificateEvidence | undefined {
  let certificate: JpkiCertificate;
  try {
    certificate = parseJpkiCertificate(der);
  } catch {
    return undefined;
  }
  return {
    type,
    serial: certificate.serialNumber.toUpperCase(),
    notAfter: certificate.notAfter.toISOString(),
    status: 'not-checked',
    source: 'none',
  };
}
