import { deterministicSerial, importSigningKey, type JpkiTestCa, skiExtension } from '../ca/jpki-ca.js';
import { buildName, jpkiOrganization } from '../ca/jpki-names.js';
import { rsaPublicKeyOf, spkiOf, testKeyOrFresh } from '../ca/test-keys.js';
import { x509 } from '../ca/x509-setup.js';

/** id-kp-OCSPSigning (RFC 6960 §4.2.2.2). */
export const id_kp_OCSPSigning = '1.3.6.1.5.5.7.3.9';
/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): clients need not check the responder certificate's revocation. */
export const id_pkix_ocsp_nocheck = '1.3.6.1.5.5.7.48.1.5';

export interface OcspResponderCertificateOptions {
  /** PKCS#8 RSA key; default the fixture key `jlis.ocsp.<hierarchy>.<type>.g<n>` (fresh per process if absent). */
  privateKeyPkcs8?: Uint8Array;
  /** Default: the CA's own validity window, so the mock works on any test date the CA covers. */
  notBefore?: Date;
  notAfter?: Date;
  /** Leave out id-pkix-ocsp-nocheck (a responder certificate clients would have to revocation-check). */
  omitNoCheck?: boolean;
  /** Leave out the OCSPSigning EKU (an unauthorised delegate, for negative tests). */
  omitOcspSigningEku?: boolean;
}

export interface OcspResponderCertificate {
  certificate: x509.X509Certificate;
  der: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  signingKey: CryptoKey;
}

/**
 * A delegated OCSP responder certificate issued by a JPKI root (jpki-pki.md §5 "OCSP"): subject
 * `C=JP, O=JPKI, OU=<the CA's OU>, CN=Mock J-LIS OCSP Responder`, critical KU digitalSignature, EKU OCSPSigning,
 * id-pkix-ocsp-nocheck, AKI = the CA's SKI, SKI. The real J-LIS responder profile is under NDA.
 */
export async function issueOcspResponderCertificate(
  ca: JpkiTestCa,
  options: OcspResponderCertificateOptions = {},
): Promise<OcspResponderCertificate> {
  const label = `jlis.ocsp.${ca.hierarchy}.${ca.type}.g${ca.generation}`;
  const pkcs8 = options.privateKeyPkcs8 ?? testKeyOrFresh(label);
  const caSki = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!caSki) throw new Error('CA certificate has no subjectKeyIdentifier');
  const subject = buildName([
    { type: 'C', value: 'JP', encoding: 'printable' },
    { type: 'O', value: jpkiOrganization(ca.hierarchy), encoding: 'utf8' },
    {
      type: 'OU',
      value: ca.type === 'sign' ? 'JPKI for digital signature' : 'JPKI for user authentication',
      encoding: 'utf8',
    },
    { type: 'CN', value: 'Mock J-LIS OCSP Responder', encoding: 'utf8' },
  ]);
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ...(options.omitOcspSigningEku ? [] : [new x509.ExtendedKeyUsageExtension([id_kp_OCSPSigning], false)]),
    // The nocheck extension's value is an ASN.1 NULL.
    ...(options.omitNoCheck ? [] : [new x509.Extension(id_pkix_ocsp_nocheck, false, new Uint8Array([5, 0]))]),
    new x509.AuthorityKeyIdentifierExtension(caSki.keyId, false),
    skiExtension(rsaPublicKeyOf(pkcs8)),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: deterministicSerial(`${label}|${options.omitNoCheck ? 'check' : 'nocheck'}`),
    subject: new x509.Name(subject),
    issuer: new x509.Name(ca.name),
    notBefore: options.notBefore ?? ca.certificate.notBefore,
    notAfter: options.notAfter ?? ca.certificate.notAfter,
    publicKey: new Uint8Array(spkiOf(pkcs8)),
    signingKey: ca.signingKey,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions,
  });
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    privateKeyPkcs8: pkcs8,
    signingKey: await importSigningKey(pkcs8),
  };
}
