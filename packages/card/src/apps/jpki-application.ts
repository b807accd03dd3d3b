import { errorForStatus } from '../apdu/status-words.js';
import { type HashAlgorithm, hashToDigestInfo, unwrapDigestInfo } from '../digest-info.js';
import { CardError } from '../errors.js';
import { encodeAuthPin, encodeSignPassword } from '../inputs.js';
import { JPKI_EF } from './aids.js';
import type { CardSession } from './card-session.js';
import { changePin, type LockGuardOptions, type PinStatus, readPinStatus, verifyPin } from './pins.js';

export type JpkiKey = 'auth' | 'sign';
export type JpkiCertificateName = 'auth' | 'sign' | 'authCa' | 'signCa';

const CERTIFICATE_EF: Record<JpkiCertificateName, number> = {
  auth: JPKI_EF.authCertificate,
  sign: JPKI_EF.signCertificate,
  authCa: JPKI_EF.authCaCertificate,
  signCa: JPKI_EF.signCaCertificate,
};

const KEY_EF: Record<JpkiKey, number> = { auth: JPKI_EF.authKey, sign: JPKI_EF.signKey };

/** RSA-2048 PKCS#1 v1.5 leaves 245 bytes for the DigestInfo. */
const MAX_DIGEST_INFO = 245;

export type TokenKind = 'my-number-card' | 'juki-card' | 'smartphone' | 'unknown';

export interface JpkiToken {
  readonly token: string;
  readonly kind: TokenKind;
}

const TOKEN_KINDS: Record<string, TokenKind> = {
  JPKIAPICCTOKEN2: 'my-number-card',
  JPKIAPICCTOKEN: 'juki-card',
  JPKIAPGPSETOKEN: 'smartphone',
};

/**
 * One JPKI key of the card as a signer: the shape `@mynakit/jpki`'s `JpkiSigner` expects (CMS, raw signatures).
 * The key's PIN must have been verified in the session before either method needs it.
 */
export interface JpkiCardSigner {
  readonly key: JpkiKey;
  /** The key's certificate (DER); reading the sign certificate already needs the signing password. */
  certificate(): Promise<Uint8Array>;
  /** COMPUTE DIGITAL SIGNATURE over a host-built DigestInfo (see `JpkiApplication.signDigestInfo`). */
  signDigestInfo(digestInfo: Uint8Array): Promise<Uint8Array>;
}

/**
 * 公的個人認証AP: the two certificates, their CA certificates, the two PINs and signing.
 * The signing certificate holds the basic four, so the card returns it only after the signing password.
 */
export class JpkiApplication {
  constructor(private readonly session: CardSession) {}

  /** The token EF: tells a My Number Card from a 住基カード or a smartphone's secure element. */
  async readToken(): Promise<JpkiToken> {
    await this.session.selectApplication('jpki');
    const raw = await this.session.readFixed(JPKI_EF.token, 32);
    // Padding differs between sources (spaces, NULs, FFs): strip all of them.
    let end = raw.length;
    while (end > 0 && (raw[end - 1] === 0x20 || raw[end - 1] === 0x00 || raw[end - 1] === 0xff)) end--;
    const token = new TextDecoder('ascii').decode(raw.subarray(0, end));
    return { token, kind: TOKEN_KINDS[token] ?? 'unknown' };
  }

  /**
   * Read a certificate as DER. `sign` needs `verifySignPassword` first (else SECURITY_STATUS_NOT_SATISFIED).
   * FILE_NOT_FOUND when the card holds no such certificate (a child under 15 has no signing certificate).
   */
  async readCertificate(name: JpkiCertificateName): Promise<Uint8Array> {
    await this.session.selectApplication('jpki');
    const der = await this.session.readTlvFile(CERTIFICATE_EF[name]);
    if (der === null) {
      throw new CardError('FILE_NOT_FOUND', `the card holds no ${name} certificate`, {
        details: { certificate: name },
      });
    }
    if (der[0] !== 0x30) {
      throw new CardError('MALFORMED_RESPONSE', `the ${name} certificate EF does not hold a DER certificate`);
    }
    return der;
  }

  async pinStatus(pin: 'authPin' | 'signPassword'): Promise<PinStatus> {
    return readPinStatus(this.session, pin);
  }

  /** VERIFY the 4-digit user-authentication PIN, behind the lock guard. */
  async verifyAuthPin(pin: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'authPin', encodeAuthPin(pin), guard);
  }

  /** VERIFY the 6–16 character signing password (upper-cased), behind the lock guard. */
  async verifySignPassword(password: string, guard?: LockGuardOptions): Promise<void> {
    await verifyPin(this.session, 'signPassword', encodeSignPassword(password), guard);
  }

  async changeAuthPin(current: string, next: string, guard?: LockGuardOptions): Promise<void> {
    await changePin(this.session, 'authPin', encodeAuthPin(current), encodeAuthPin(next), guard);
  }

  async changeSignPassword(current: string, next: string, guard?: LockGuardOptions): Promise<void> {
    await changePin(
      this.session,
      'signPassword',
      encodeSignPassword(current),
      encodeSignPassword(next),
      guard,
    );
  }

  /**
   * COMPUTE DIGITAL SIGNATURE over a DigestInfo with the given key; the card adds the PKCS#1 v1.5 padding.
   * The key's PIN must have been verified in this session (else SECURITY_STATUS_NOT_SATISFIED).
   */
  async signDigestInfo(key: JpkiKey, digestInfo: Uint8Array): Promise<Uint8Array> {
    unwrapDigestInfo(digestInfo); // refuses anything that is not a DigestInfo before it reaches the card
    if (digestInfo.length > MAX_DIGEST_INFO) {
      throw new CardError(
        'INVALID_INPUT',
        `a DigestInfo of ${digestInfo.length} bytes does not fit RSA-2048`,
      );
    }
    await this.session.selectApplication('jpki');
    await this.session.selectFile(KEY_EF[key]);
    const response = await this.session.transmit({
      cla: 0x80,
      ins: 0x2a,
      p1: 0x00,
      p2: 0x80,
      data: digestInfo,
      le: 256,
    });
    if (response.sw !== 0x9000) throw errorForStatus(response.sw, `signature with the ${key} key`);
    if (response.data.length !== 256) {
      throw new CardError(
        'MALFORMED_RESPONSE',
        `the card returned a ${response.data.length}-byte signature`,
        {
          details: { length: response.data.length },
        },
      );
    }
    return response.data;
  }

  /**
   * The `key` as a signer for `createCmsSignedData` and friends. It does not verify any PIN: the caller verifies the
   * auth PIN or signing password first (else SECURITY_STATUS_NOT_SATISFIED on use).
   */
  signer(key: JpkiKey): JpkiCardSigner {
    if (key !== 'auth' && key !== 'sign') {
      throw new CardError('INVALID_INPUT', "key must be 'auth' or 'sign'", { details: { field: 'key' } });
    }
    return {
      key,
      certificate: () => this.readCertificate(key),
      signDigestInfo: (digestInfo) => this.signDigestInfo(key, digestInfo),
    };
  }

  /** Hash `data` on the host, wrap the hash in a DigestInfo and have the card sign it. */
  async sign(key: JpkiKey, data: Uint8Array, algorithm: HashAlgorithm = 'SHA-256'): Promise<Uint8Array> {
    return this.signDigestInfo(key, await hashToDigestInfo(algorithm, data));
  }
}
