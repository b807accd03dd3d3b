import { CrlCache, type JpkiCertificate, RevocationChecker, TrustStore } from '@mynakit/jpki';
import { loadTrustAnchor, type ServerConfig } from './config.js';

export interface JlisClients {
  readonly trustStore: TrustStore;
  /** Fail closed: an undetermined status throws (the outbox retries), it never passes. */
  readonly revocation: RevocationChecker;
  /**
   * The same sources, but a verified OCSP answer is reused for that certificate until its nextUpdate (J-LIS: 15 min):
   * for W3.1, where every application would otherwise cost an OCSP round trip and ≈ 10 ms of CPU (BENCHMARKS.md).
   * Signature, chain and revocation are still checked for every application; eKYC (W4) keeps asking every time.
   */
  readonly applicantRevocation: RevocationChecker;
  readonly renewalUrl: string;
  readonly latestBasicFourUrl: string;
  readonly allowTestHierarchy: boolean;
}

/** Trust anchors and the revocation checker for the configured J-LIS (OCSP first, CRL by root type). */
export async function jlisClients(
  jlis: NonNullable<ServerConfig['jlis']>,
  clock: () => Date,
): Promise<JlisClients> {
  const base = jlis.url.endsWith('/') ? jlis.url : `${jlis.url}/`;
  const trustStore = new TrustStore();
  for (const type of ['sign', 'auth'] as const) {
    for (const anchor of jlis.trustAnchors[type])
      await trustStore.addRoot(type, await loadTrustAnchor(anchor));
  }
  const crlUrls = jlis.crlUrls ?? { sign: `${base}crl/sign.crl`, auth: `${base}crl/auth.crl` };
  // The issuer of a card certificate is one of the roots: its type picks the CRL.
  const typeOf = (issuer: JpkiCertificate) =>
    trustStore.roots('sign').some((anchor) => anchor.certificate.subject === issuer.subject)
      ? 'sign'
      : 'auth';
  const sources = {
    trustStore,
    ocsp: { url: jlis.ocspUrl ?? `${base}ocsp` },
    // One CRL cache for both checkers: a CRL can be tens of MB.
    crl: { cache: new CrlCache({ url: (issuer) => crlUrls[typeOf(issuer)] }, { clock }) },
    clock,
  };
  return {
    trustStore,
    revocation: new RevocationChecker(sources),
    applicantRevocation: new RevocationChecker({ ...sources, cacheOcspAnswers: true }),
    renewalUrl: base,
    latestBasicFourUrl: `${base}latest-basic-four`,
    allowTestHierarchy: jlis.allowTestHierarchy,
  };
}
