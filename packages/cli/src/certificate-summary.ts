import { X509Certificate } from 'node:crypto';

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256Fingerprint: string;
}

/** What a person needs to recognise a certificate; the signing certificate's SAN (basic four) is left out on purpose. */
export function summarizeCertificate(der: Uint8Array): CertificateSummary {
  const cert = new X509Certificate(der);
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    issuer: cert.issuer.replaceAll('\n', ', '),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256Fingerprint: cert.fingerprint256,
  };
}

export function formatSummary(name: string, summary: CertificateSummary): string {
  return [
    `${name}:`,
    `  subject      ${summary.subject}`,
    `  issuer       ${summary.issuer}`,
    `  serial       ${summary.serialNumber}`,
    `  valid        ${summary.notBefore} → ${summary.notAfter}`,
    `  sha256       ${summary.sha256Fingerprint}`,
  ].join('\n');
}

export function toPem(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}
