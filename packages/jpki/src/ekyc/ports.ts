import type { JpkiCertificate } from '../certificate.js';

/** What eKYC needs of revocation: the RevocationChecker of this package fits, so does a PF operator's API. */
export interface RevocationPort {
  check(certificate: JpkiCertificate, issuer: JpkiCertificate, at?: Date): Promise<RevocationOutcome>;
}

export interface RevocationOutcome {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly reason?: string;
  readonly revokedAt?: Date;
  /** Source, times, responder and raw response of every answer consulted: kept with the eKYC record. */
  readonly evidence: readonly unknown[];
}

/** The latest-basic-four service (最新の利用者情報提供) as J-LIS, through a PF operator, offers it. */
export interface LatestBasicFourPort {
  latestBasicFour(signSerialHex: string, verifier: string): Promise<LatestBasicFourResult>;
}

export type LatestBasicFourResult =
  | { status: 'no-consent' }
  | { status: 'unchanged' }
  | {
      status: 'updated';
      basicFour: { name: string; address: string; birthDate: string; sex: string };
      newSignSerial: string;
    };
