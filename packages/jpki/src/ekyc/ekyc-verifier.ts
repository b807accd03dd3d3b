import type { HashAlgorithm } from '@mynakit/card';
import { z } from 'zod';
import { type JpkiCertificate, parseJpkiCertificate } from '../certificate.js';
import { validateChain } from '../chain.js';
import { defaultCrypto, type JpkiCrypto, verifyRsaSignature } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import type { JpkiRootType, TrustStore } from '../trust-store.js';
import { type Challenge, ChallengeIssuer, type ChallengeStore, MemoryChallengeStore } from './challenges.js';
import type { RevocationOutcome, RevocationPort } from './ports.js';

export interface EkycVerifierOptions {
  trustStore: TrustStore;
  revocation: RevocationPort;
  /** Where challenges wait for their signature; default in memory (one process). */
  challenges?: ChallengeStore;
  challengeTtlMs?: number;
  allowTestHierarchy?: boolean;
  clock?: () => Date;
  crypto?: JpkiCrypto;
}

export interface SignedResponse {
  readonly challengeId: string;
  /** DER certificate read from the card (auth for login, sign for identity verification). */
  readonly certificate: Uint8Array;
  /** The card's PKCS#1 v1.5 signature over the challenge's `toBeSigned` bytes. */
  readonly signature: Uint8Array;
  readonly hash?: Exclude<HashAlgorithm, 'SHA-1'>;
}

export interface LoginResult {
  /** Stable per card certificate: issuer root key + serial. Bind it to the customer's account. */
  readonly accountKey: string;
  readonly serialNumber: string;
  readonly notAfter: Date;
  readonly revocation: RevocationOutcome;
}

/** What the act on criminal proceeds asks a business to keep for 7 years after a JPKI identity check. */
export const identityEvidenceSchema = z.object({
  verifiedAt: z.iso.datetime(),
  retainUntil: z.iso.datetime(),
  certificate: z.base64(),
  rootSha256: z.string(),
  signedData: z.base64(),
  signature: z.base64(),
  hash: z.enum(['SHA-256', 'SHA-384', 'SHA-512']),
  serialNumber: z.string(),
  revocation: z.object({ status: z.enum(['good', 'revoked', 'unknown']), evidence: z.array(z.unknown()) }),
});
export type IdentityEvidence = z.infer<typeof identityEvidenceSchema>;

export interface IdentityResult {
  readonly basicFour: NonNullable<JpkiCertificate['basicFour']>;
  readonly serialNumber: string;
  readonly evidence: IdentityEvidence;
}

export type StatusMeaning =
  | 'valid'
  | 'basic-four-changed'
  | 'renewed'
  | 'lost-or-compromised'
  | 'ended'
  | 'revoked-other'
  | 'expired';

export interface StatusCheckResult {
  readonly status: 'valid' | 'revoked' | 'expired';
  readonly meaning: StatusMeaning;
  readonly revocation?: RevocationOutcome;
}

const RETENTION_YEARS = 7;
const LOGIN = 'login';
const IDENTITY = 'identity';

/**
 * JPKI eKYC on the server: single-use challenges, login with the user-authentication certificate, identity
 * verification with the signing certificate (transaction data the business chose, plus a nonce), and the later
 * status re-check (現況確認). Every step fails closed: no trustworthy revocation answer, no success.
 */
export class EkycVerifier {
  private readonly challenges: ChallengeIssuer;
  private readonly crypto: JpkiCrypto;

  constructor(private readonly options: EkycVerifierOptions) {
    this.challenges = new ChallengeIssuer({
      store: options.challenges ?? new MemoryChallengeStore(),
      ...(options.challengeTtlMs !== undefined && { ttlMs: options.challengeTtlMs }),
      ...(options.clock !== undefined && { clock: options.clock }),
    });
    this.crypto = options.crypto ?? defaultCrypto();
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  /** A login challenge: the card signs `toBeSigned` (32 random bytes) with the user-authentication key. */
  async startLogin(): Promise<{ challengeId: string; toBeSigned: Uint8Array; expiresAt: Date }> {
    const challenge = await this.challenges.issue(LOGIN, (nonce) => nonce);
    return { challengeId: challenge.id, toBeSigned: challenge.toBeSigned, expiresAt: challenge.expiresAt };
  }

  async verifyLogin(response: SignedResponse): Promise<LoginResult> {
    const challenge = await this.challenges.redeem(response.challengeId, LOGIN);
    const { leaf, root } = await this.checkSigned(response, challenge, 'auth');
    const revocation = await this.requireGood(leaf, root);
    return {
      accountKey: `${root.sha256.slice(0, 16)}:${leaf.serialNumber}`,
      serialNumber: leaf.serialNumber,
      notAfter: leaf.notAfter,
      revocation,
    };
  }

  /**
   * Identity verification: the business states the transaction (e.g. "open account 123 on 2026-11-25"); the card
   * signs it with a nonce appended, so the signature is bound to this one request.
   */
  async startIdentityVerification(
    transaction: string,
  ): Promise<{ challengeId: string; toBeSigned: Uint8Array; expiresAt: Date }> {
    const challenge = await this.challenges.issue(IDENTITY, (nonce) =>
      new TextEncoder().encode(`${transaction}\nnonce:${hex(nonce)}`),
    );
    return { challengeId: challenge.id, toBeSigned: challenge.toBeSigned, expiresAt: challenge.expiresAt };
  }

  async verifyIdentity(response: SignedResponse): Promise<IdentityResult> {
    const challenge = await this.challenges.redeem(response.challengeId, IDENTITY);
    const { leaf, root, hash } = await this.checkSigned(response, challenge, 'sign');
    if (leaf.basicFour === null) {
      throw new JpkiError('WRONG_CERTIFICATE_TYPE', 'the signing certificate carries no basic four');
    }
    const revocation = await this.requireGood(leaf, root);
    const verifiedAt = this.now();
    const retainUntil = new Date(verifiedAt);
    retainUntil.setUTCFullYear(retainUntil.getUTCFullYear() + RETENTION_YEARS);
    const evidence = identityEvidenceSchema.parse({
      verifiedAt: verifiedAt.toISOString(),
      retainUntil: retainUntil.toISOString(),
      certificate: base64(leaf.der),
      rootSha256: root.sha256,
      signedData: base64(challenge.toBeSigned),
      signature: base64(response.signature),
      hash,
      serialNumber: leaf.serialNumber,
      revocation: { status: revocation.status, evidence: [...revocation.evidence] },
    });
    return { basicFour: leaf.basicFour, serialNumber: leaf.serialNumber, evidence };
  }

  /**
   * 現況確認: re-check a certificate kept from an earlier verification. A revoked signing certificate usually
   * means the basic four changed (affiliationChanged), a renewal (superseded), loss, or death.
   */
  async recheck(certificateDer: Uint8Array, type: JpkiRootType): Promise<StatusCheckResult> {
    const leaf = parseJpkiCertificate(certificateDer);
    if (leaf.notAfter.getTime() < this.now().getTime()) return { status: 'expired', meaning: 'expired' };
    const { root } = await validateChain(leaf.der, this.chainOptions(type, leaf.notBefore));
    const revocation = await this.options.revocation.check(leaf, root.certificate, this.now());
    if (revocation.status === 'good') return { status: 'valid', meaning: 'valid', revocation };
    if (revocation.status === 'unknown') {
      throw new JpkiError('REVOCATION_UNDETERMINED', 'the revocation service does not know this certificate');
    }
    return { status: 'revoked', meaning: meaningOf(revocation.reason), revocation };
  }

  private chainOptions(type: JpkiRootType, at: Date) {
    return {
      trustStore: this.options.trustStore,
      type,
      at,
      ...(this.options.allowTestHierarchy !== undefined && {
        allowTestHierarchy: this.options.allowTestHierarchy,
      }),
    };
  }

  private async checkSigned(response: SignedResponse, challenge: Challenge, type: JpkiRootType) {
    const hash = response.hash ?? 'SHA-256';
    const { leaf, root } = await validateChain(response.certificate, this.chainOptions(type, this.now()));
    const ok = await verifyRsaSignature(
      leaf.publicKey,
      hash,
      response.signature,
      challenge.toBeSigned,
      this.crypto,
    );
    if (!ok)
      throw new JpkiError(
        'SIGNATURE_INVALID',
        'the card signature does not match the challenge and certificate',
      );
    return { leaf, root, hash };
  }

  private async requireGood(leaf: JpkiCertificate, root: { certificate: JpkiCertificate; sha256: string }) {
    const revocation = await this.options.revocation.check(leaf, root.certificate, this.now());
    if (revocation.status === 'revoked') {
      throw new JpkiError('CERTIFICATE_REVOKED', 'the certificate is revoked', {
        details: { reason: revocation.reason ?? 'unspecified' },
      });
    }
    if (revocation.status !== 'good') {
      throw new JpkiError('REVOCATION_UNDETERMINED', 'the revocation service does not know this certificate');
    }
    return revocation;
  }
}

function meaningOf(reason: string | undefined): StatusMeaning {
  switch (reason) {
    case 'affiliationChanged':
      return 'basic-four-changed';
    case 'superseded':
      return 'renewed';
    case 'keyCompromise':
      return 'lost-or-compromised';
    case 'cessationOfOperation':
      return 'ended';
    default:
      return 'revoked-other';
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
