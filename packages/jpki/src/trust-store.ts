import { type JpkiCertificate, parseJpkiCertificate } from './certificate.js';
import { defaultCrypto, type JpkiCrypto, sha256Hex } from './crypto-provider.js';
import { JpkiError } from './errors.js';

/** The two JPKI roots: one issues 署名用 certificates, the other 利用者証明用 ones (jpki-pki.md §1). */
export type JpkiRootType = 'sign' | 'auth';

/**
 * SHA-256 fingerprints (over the DER) of the real J-LIS roots, from the certificates J-LIS publishes at
 * jpki.go.jp/ca (jpki-pki.md §1). Pass one as `sha256Pin` when loading the matching file. The SDK does not ship
 * the certificates themselves.
 */
export const JPKI_PRODUCTION_ROOT_FINGERPRINTS = {
  sign: {
    /** signca01, serial 01, 2015-10-20 → 2025-10-19. */
    '2015': '19:64:54:05:A1:FE:14:37:74:34:BD:55:95:76:28:AC:40:38:55:7C:54:24:03:A2:24:3F:21:C7:06:FC:93:55',
    /** signca03, serial 067C6A21, 2023-07-16 → 2033-07-15. */
    '2023': 'D2:27:F6:CD:E1:1D:35:C5:25:21:78:F1:06:F8:43:D2:46:51:94:49:75:41:3B:53:9F:A2:FB:68:DB:FA:36:5F',
  },
  auth: {
    /** authca01, serial 01, 2015-10-20 → 2025-10-19. */
    '2015': '4D:CF:C4:CA:0A:AF:9F:B2:A3:08:1B:3F:0C:99:1C:32:0B:3A:CC:00:86:67:A3:41:EE:AE:C5:AF:1D:58:CA:7D',
    /** authca03, serial 06D18006, 2023-07-16 → 2033-07-15. */
    '2023': '64:11:4F:29:62:0C:24:ED:26:31:D4:64:76:A0:40:E7:EE:74:0D:95:60:89:C0:0B:03:6A:6A:81:18:C3:22:B5',
  },
} as const;

/** Lowercase hex without separators; accepts `AA:BB…`, `aabb…` or spaced forms. Throws INVALID_INPUT otherwise. */
export function normalizeSha256Fingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new JpkiError('INVALID_INPUT', 'a SHA-256 pin needs 32 hex bytes');
  return hex;
}

export interface TrustAnchor {
  type: JpkiRootType;
  certificate: JpkiCertificate;
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string;
}

export interface TrustStoreOptions {
  /** WebCrypto used for fingerprints and signatures; default `globalThis.crypto`. */
  crypto?: JpkiCrypto;
}

/**
 * Trust anchors kept apart per certificate type, so that a signing certificate can never chain to the auth root
 * (and the reverse). Several generations of a root share one DN; `candidatesFor` selects by key, not by name.
 */
export class TrustStore {
  readonly crypto: JpkiCrypto;
  private readonly anchors: Record<JpkiRootType, TrustAnchor[]> = { sign: [], auth: [] };

  constructor(options: TrustStoreOptions = {}) {
    this.crypto = options.crypto ?? defaultCrypto();
  }

  /**
   * Adds a root (DER or PEM) as an anchor for one type. With `sha256Pin`, the DER's SHA-256 must match it
   * (ROOT_PIN_MISMATCH otherwise). Adding the same certificate twice is a no-op. Whether the root is a usable CA is
   * checked when a chain uses it.
   */
  async addRoot(
    type: JpkiRootType,
    pemOrDer: Uint8Array | string,
    options: { sha256Pin?: string } = {},
  ): Promise<TrustAnchor> {
    if (type !== 'sign' && type !== 'auth')
      throw new JpkiError('INVALID_INPUT', "root type must be 'sign' or 'auth'");
    const pin = options.sha256Pin === undefined ? undefined : normalizeSha256Fingerprint(options.sha256Pin);
    const certificate = parseJpkiCertificate(pemOrDer);
    const sha256 = await sha256Hex(certificate.der, this.crypto);
    if (pin !== undefined && pin !== sha256) {
      throw new JpkiError('ROOT_PIN_MISMATCH', 'root certificate does not match its SHA-256 pin', {
        details: { type, expected: pin, actual: sha256 },
      });
    }
    const existing = this.anchors[type].find((a) => a.sha256 === sha256);
    if (existing) return existing;
    const anchor: TrustAnchor = { type, certificate, sha256 };
    this.anchors[type].push(anchor);
    return anchor;
  }

  /** The anchors of one type, in insertion order. */
  roots(type: JpkiRootType): readonly TrustAnchor[] {
    return this.anchors[type];
  }

  /**
   * Roots of `type` that may have issued `certificate`: their subject equals its issuer and, when both sides carry
   * key identifiers, their SKI equals its AKI. The caller still has to verify the signature: with several
   * generations under one DN and no AKI (the JPKI case), only the signature tells them apart.
   */
  candidatesFor(certificate: JpkiCertificate, type: JpkiRootType): TrustAnchor[] {
    const aki = certificate.authorityKeyIdentifier;
    return this.anchors[type].filter((anchor) => {
      // Name chaining always holds (RFC 5280 §6.1.3); the key identifiers only narrow it further.
      if (anchor.certificate.subject !== certificate.issuer) return false;
      const ski = anchor.certificate.subjectKeyIdentifier;
      return aki === null || ski === null || aki === ski;
    });
  }
}
