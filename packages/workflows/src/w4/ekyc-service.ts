import { isValidMyNumber } from '@mynakit/card';
import type {
  EkycVerifier,
  IdentityResult,
  LatestBasicFourPort,
  LatestBasicFourResult,
  SignedResponse,
  StatusMeaning,
} from '@mynakit/jpki';
import { z } from 'zod';
import type { FaceCheckPort, FaceCheckResult } from '../checks/ports.js';
import { EkycServiceError } from './errors.js';
import type { MyNumberVault } from './my-number-vault.js';
import type { AccountBindingStore, EvidenceStore } from './stores.js';

/*
 * W4 eKYC on the business's server, over @mynakit/jpki's EkycVerifier: login with the user-authentication
 * certificate bound to an account (W4.2), identity verification with the signing certificate and its 7-year
 * evidence (W4.1), 現況確認 of the kept signing certificate (W4.3) and the latest basic four (W4.4).
 * Optional, each only when configured: a selfie match against the card's face photo (W4.5, through a FaceCheckPort)
 * and My Number collection (W4.6, only with a MyNumberVault: without one every My Number is refused unread).
 */

/** Customer ids are the business's own opaque ids: no personal data in them (they reach logs and URLs). */
export const customerIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);

/** A card's answer to a challenge, as JSON: DER certificate and PKCS#1 v1.5 signature in base64. */
export const signedResponseSchema = z
  .object({
    challengeId: z.string().min(1).max(128),
    certificate: z
      .base64()
      .min(4)
      .max(16 * 1024),
    signature: z
      .base64()
      .min(4)
      .max(4 * 1024),
    hash: z.enum(['SHA-256', 'SHA-384', 'SHA-512']).optional(),
  })
  .strict();

export const loginRequestSchema = signedResponseSchema
  .extend({ customerId: customerIdSchema.optional() })
  .strict();
export const identityStartRequestSchema = z.object({ transaction: z.string().min(1).max(1000) }).strict();
export const identityRequestSchema = signedResponseSchema.extend({ customerId: customerIdSchema }).strict();
export const customerRequestSchema = z.object({ customerId: customerIdSchema }).strict();
/** W4.5: the selfie (JPEG/PNG) and the card's chip photo (JPEG 2000, read by the app from the 券面AP), base64. */
export const selfieRequestSchema = z
  .object({
    customerId: customerIdSchema,
    selfie: z.base64().max(6 * 1024 * 1024),
    cardPhoto: z.base64().max(64 * 1024),
  })
  .strict();
/** W4.6: the My Number as read from the 券面事項入力補助AP. Checked in the service, never echoed. */
export const myNumberRequestSchema = z
  .object({ customerId: customerIdSchema, myNumber: z.string().max(32) })
  .strict();

export type SignedResponseBody = z.infer<typeof signedResponseSchema>;

export interface EkycServiceOptions {
  readonly verifier: EkycVerifier;
  readonly accounts: AccountBindingStore;
  readonly evidence: EvidenceStore;
  /** The J-LIS latest-basic-four service through a PF operator; without it `latest` fails. */
  readonly latestBasicFour?: LatestBasicFourPort;
  /** This business's id at J-LIS: the holder's consent for 新4情報 names it. */
  readonly verifierId: string;
  /** W4.5: compares a selfie with the card's face photo; without it `matchSelfie` fails. */
  readonly faceCheck?: FaceCheckPort;
  /**
   * W4.6: only a business the law allows to collect My Numbers configures a vault. Without one (the default)
   * `collectMyNumber` refuses without looking at the value.
   */
  readonly myNumberVault?: MyNumberVault;
  readonly clock?: () => Date;
}

export interface ChallengeForCard {
  readonly challengeId: string;
  /** The exact bytes the card signs. */
  readonly toBeSigned: Uint8Array;
  readonly expiresAt: Date;
}

export interface LoginOutcome {
  readonly customerId: string;
  readonly accountKey: string;
  readonly authSerial: string;
  /** True when this login created the binding; false when the card was already bound. */
  readonly newlyBound: boolean;
  readonly certificateNotAfter: Date;
}

export interface IdentityOutcome {
  readonly customerId: string;
  readonly evidenceId: string;
  readonly basicFour: IdentityResult['basicFour'];
  readonly signSerial: string;
  readonly retainUntil: string;
}

export interface RecheckOutcome {
  readonly customerId: string;
  readonly signSerial: string;
  readonly checkedAt: string;
  readonly status: 'valid' | 'revoked' | 'expired';
  readonly meaning: StatusMeaning;
  readonly reason?: string;
  readonly revokedAt?: string;
}

export interface SelfieOutcome {
  readonly customerId: string;
  /** `match`, `no-match` or `unusable` (the selfie failed a quality gate); no history, so never `hold`. */
  readonly outcome: FaceCheckResult['outcome'];
  readonly score: number | null;
  readonly threshold: number | null;
  readonly qualityFailures: readonly string[];
  readonly checkedAt: string;
}

export type LatestOutcome = {
  readonly customerId: string;
  readonly signSerial: string;
} & LatestBasicFourResult;

export function decodeSignedResponse(body: SignedResponseBody): SignedResponse {
  return {
    challengeId: body.challengeId,
    certificate: fromBase64(body.certificate),
    signature: fromBase64(body.signature),
    ...(body.hash !== undefined && { hash: body.hash }),
  };
}

export class EkycService {
  constructor(private readonly options: EkycServiceOptions) {}

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  startLogin(): Promise<ChallengeForCard> {
    return this.options.verifier.startLogin();
  }

  /**
   * W4.2: verify the login signature (chain, revocation, single-use challenge) and bind the card's account key.
   * A known card logs into its bound customer; a new one is bound to `customerId` (an existing account the caller
   * authenticated otherwise) or to a fresh id. A renewed certificate has a new serial, hence a new account key: the
   * caller binds it to the existing customer by passing `customerId` after another authentication.
   */
  async login(response: SignedResponse, options: { customerId?: string } = {}): Promise<LoginOutcome> {
    const result = await this.options.verifier.verifyLogin(response);
    const existing = await this.options.accounts.findByAccountKey(result.accountKey);
    const { binding, created } =
      existing !== null
        ? { binding: existing, created: false }
        : await this.options.accounts.bindIfAbsent({
            customerId: options.customerId ?? globalThis.crypto.randomUUID(),
            accountKey: result.accountKey,
            authSerial: result.serialNumber,
            boundAt: this.now().toISOString(),
          });
    if (options.customerId !== undefined && binding.customerId !== options.customerId) {
      throw new EkycServiceError('ACCOUNT_CONFLICT', 'this card is bound to another account');
    }
    return {
      customerId: binding.customerId,
      accountKey: binding.accountKey,
      authSerial: result.serialNumber,
      newlyBound: created,
      certificateNotAfter: result.notAfter,
    };
  }

  /** W4.1: the card will sign `transaction` (what the business asks the holder to agree to) plus a nonce. */
  startIdentity(transaction: string): Promise<ChallengeForCard> {
    return this.options.verifier.startIdentityVerification(transaction);
  }

  /**
   * W4.1: verify the signing-certificate signature and keep the evidence (certificate, signed data, signature,
   * revocation answers) until its retention date; the certificate it holds is what 現況確認 re-checks (W4.3).
   */
  async verifyIdentity(response: SignedResponse, options: { customerId: string }): Promise<IdentityOutcome> {
    const customerId = customerIdSchema.parse(options.customerId);
    const result = await this.options.verifier.verifyIdentity(response);
    const evidenceId = globalThis.crypto.randomUUID();
    // Durable before acknowledged: the caller sees success only once the evidence is stored.
    await this.options.evidence.put({
      id: evidenceId,
      customerId,
      verifierId: this.options.verifierId,
      evidence: result.evidence,
    });
    return {
      customerId,
      evidenceId,
      basicFour: result.basicFour,
      signSerial: result.serialNumber,
      retainUntil: result.evidence.retainUntil,
    };
  }

  /** W4.3 現況確認: re-check the customer's latest kept signing certificate with the revocation service. */
  async recheck(customerId: string): Promise<RecheckOutcome> {
    const record = await this.requireEvidence(customerId);
    const result = await this.options.verifier.recheck(fromBase64(record.evidence.certificate), 'sign');
    return {
      customerId,
      signSerial: record.evidence.serialNumber,
      checkedAt: this.now().toISOString(),
      status: result.status,
      meaning: result.meaning,
      ...(result.revocation?.reason !== undefined && { reason: result.revocation.reason }),
      ...(result.revocation?.revokedAt !== undefined && {
        revokedAt: result.revocation.revokedAt.toISOString(),
      }),
    };
  }

  /** W4.4 新4情報: the current basic four and new signing serial, if the holder consented for this verifier. */
  async latest(customerId: string): Promise<LatestOutcome> {
    const port = this.options.latestBasicFour;
    if (port === undefined) {
      throw new EkycServiceError(
        'LATEST_BASIC_FOUR_NOT_CONFIGURED',
        'no latest-basic-four service is configured',
      );
    }
    const record = await this.requireEvidence(customerId);
    const signSerial = record.evidence.serialNumber;
    const result = await port.latestBasicFour(signSerial, this.options.verifierId);
    return { customerId, signSerial, ...result };
  }

  /**
   * W4.5: a selfie against the card's face photo (stolen-card fraud). Only for a customer whose identity was
   * verified. Neither photo is stored: the answer (scores and threshold) is the evidence the caller keeps.
   */
  async matchSelfie(input: {
    customerId: string;
    selfie: Uint8Array;
    cardPhoto: Uint8Array;
  }): Promise<SelfieOutcome> {
    const faceCheck = this.options.faceCheck;
    if (faceCheck === undefined) {
      throw new EkycServiceError('SELFIE_MATCH_NOT_CONFIGURED', 'no face check is configured');
    }
    await this.requireEvidence(input.customerId);
    const result = await faceCheck.compare({ live: input.selfie, card: input.cardPhoto, history: [] });
    return {
      customerId: input.customerId,
      outcome: result.outcome,
      score: result.decision?.scores.card ?? null,
      threshold: result.decision?.thresholds.card ?? null,
      qualityFailures: result.qualityFailures,
      checkedAt: result.checkedAt,
    };
  }

  /**
   * W4.6: keep a verified customer's My Number in the vault — only when a vault is configured. The number is
   * checked (12 digits, check digit) and never appears in an error, a log or an answer.
   */
  async collectMyNumber(input: {
    customerId: string;
    myNumber: string;
  }): Promise<{ customerId: string; stored: true }> {
    const vault = this.options.myNumberVault;
    if (vault === undefined) {
      throw new EkycServiceError('MY_NUMBER_COLLECTION_DISABLED', 'this service does not collect My Numbers');
    }
    await this.requireEvidence(input.customerId);
    if (!/^[0-9]{12}$/.test(input.myNumber) || !isValidMyNumber(input.myNumber)) {
      throw new EkycServiceError('MY_NUMBER_INVALID', 'not a valid My Number');
    }
    await vault.put(input.customerId, input.myNumber, this.now());
    return { customerId: input.customerId, stored: true };
  }

  private async requireEvidence(customerId: string) {
    const record = await this.options.evidence.latestFor(customerIdSchema.parse(customerId));
    if (record === null) {
      throw new EkycServiceError('UNKNOWN_CUSTOMER', 'no identity verification is kept for this customer', {
        details: { customerId },
      });
    }
    return record;
  }
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
