import { JpkiError } from '@mynakit/jpki';
import type {
  ApplicantAuthenticator,
  ApplicantAuthResponse,
  ApplicantChallenge,
} from '../../src/w3/ports.js';
import type { ApplicantEvidence } from '../../src/w3/w3-workflow.js';

/**
 * A fake W3.1 authenticator: a "certificate" is the bytes of its serial (hex text), a "signature" is the challenge
 * with every byte XORed with the serial's first byte. It keeps the rules of the real one: single-use challenges,
 * signature checked against the certificate, revocation checked, fail-closed.
 */
export class FakeApplicantAuthenticator implements ApplicantAuthenticator {
  private readonly open = new Map<string, Uint8Array>();
  readonly revoked = new Set<string>();
  revocationDown = false;
  authenticated = 0;

  constructor(private readonly clock: () => Date) {}

  async challenge(): Promise<ApplicantChallenge> {
    const challengeId = globalThis.crypto.randomUUID();
    const challenge = globalThis.crypto.getRandomValues(new Uint8Array(32));
    this.open.set(challengeId, challenge);
    return { challengeId, challenge, expiresAt: new Date(this.clock().getTime() + 5 * 60_000) };
  }

  async authenticate(response: ApplicantAuthResponse): Promise<ApplicantEvidence> {
    const challenge = this.open.get(response.challengeId);
    this.open.delete(response.challengeId);
    if (challenge === undefined) throw new JpkiError('CHALLENGE_INVALID', 'unknown or used challenge');
    const serial = new TextDecoder().decode(response.certificate);
    if (!/^[0-9a-f]{2,64}$/.test(serial)) throw new JpkiError('MALFORMED_CERTIFICATE', 'not a certificate');
    const expected = fakeSign(serial, challenge);
    if (expected.length !== response.signature.length || expected.some((b, i) => b !== response.signature[i]))
      throw new JpkiError('SIGNATURE_INVALID', 'the signature does not match');
    if (this.revocationDown) throw new JpkiError('REVOCATION_UNDETERMINED', 'no revocation answer');
    if (this.revoked.has(serial)) throw new JpkiError('CERTIFICATE_REVOKED', 'the certificate is revoked');
    this.authenticated++;
    const now = this.clock().toISOString();
    return {
      method: 'jpki-auth-signature',
      certificateSerial: serial,
      certificateNotAfter: '2030-01-01T00:00:00.000Z',
      verifiedAt: now,
      revocation: { status: 'good', source: 'ocsp', checkedAt: now, issuedAt: now },
    };
  }
}

/** The fake card's signature over a challenge. */
export function fakeSign(serial: string, challenge: Uint8Array): Uint8Array {
  const key = Number.parseInt(serial.slice(0, 2), 16);
  return challenge.map((b) => b ^ key);
}

/** The device side of W3.1 with the fake card of `serial`. */
export async function fakeCardAuth(
  authenticator: ApplicantAuthenticator,
  serial: string,
): Promise<ApplicantAuthResponse> {
  const { challengeId, challenge } = await authenticator.challenge();
  return {
    challengeId,
    certificate: new TextEncoder().encode(serial),
    signature: fakeSign(serial, challenge),
  };
}
