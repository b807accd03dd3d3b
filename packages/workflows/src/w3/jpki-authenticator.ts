import type { EkycVerifier, RevocationOutcome } from '@mynakit/jpki';
import type { ApplicantAuthenticator, ApplicantAuthResponse, ApplicantChallenge } from './ports.js';
import type { ApplicantEvidence } from './w3-workflow.js';

/**
 * W3.1 over @mynakit/jpki: the login flow of `EkycVerifier` (single-use challenge, signature, chain, revocation,
 * fail-closed). Give it an `EkycVerifier` of its own (its own challenge store), so a W4 login challenge cannot be
 * spent on a W3 application and the reverse; in a multi-process server that store must be shared (a durable
 * `ChallengeStore`).
 */
export class JpkiApplicantAuthenticator implements ApplicantAuthenticator {
  constructor(
    private readonly verifier: EkycVerifier,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async challenge(): Promise<ApplicantChallenge> {
    const started = await this.verifier.startLogin();
    return { challengeId: started.challengeId, challenge: started.toBeSigned, expiresAt: started.expiresAt };
  }

  async authenticate(response: ApplicantAuthResponse): Promise<ApplicantEvidence> {
    const verified = await this.verifier.verifyLogin(response);
    const verifiedAt = this.clock().toISOString();
    return {
      method: 'jpki-auth-signature',
      certificateSerial: verified.serialNumber,
      certificateNotAfter: verified.notAfter.toISOString(),
      verifiedAt,
      revocation: { status: 'good', ...decidingAnswer(verified.revocation, verifiedAt) },
    };
  }
}

/**
 * Source and times of the answer that cleared the certificate: the last evidence entry (RevocationChecker puts the
 * deciding answer last). Another RevocationPort may keep other shapes; then only the check time is known.
 */
function decidingAnswer(
  revocation: RevocationOutcome,
  fallbackAt: string,
): { source: 'ocsp' | 'crl' | 'other'; checkedAt: string; issuedAt?: string } {
  const last = revocation.evidence.at(-1);
  if (typeof last !== 'object' || last === null) return { source: 'other', checkedAt: fallbackAt };
  const entry = last as Record<string, unknown>;
  const source = entry.source === 'ocsp' || entry.source === 'crl' ? entry.source : 'other';
  const checkedAt = entry.checkedAt instanceof Date ? entry.checkedAt.toISOString() : fallbackAt;
  const issued = source === 'ocsp' ? entry.producedAt : entry.thisUpdate;
  return {
    source,
    checkedAt,
    ...(issued instanceof Date && { issuedAt: issued.toISOString() }),
  };
}
