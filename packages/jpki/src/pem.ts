import { JpkiError } from './errors.js';

const pemBlock = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** DER bytes of the first `CERTIFICATE` block of a PEM text. */
export function pemToDer(pem: string): Uint8Array {
  const match = pemBlock.exec(pem);
  if (!match?.[1]) throw new JpkiError('MALFORMED_CERTIFICATE', 'no PEM CERTIFICATE block found');
  let binary: string;
  try {
    binary = atob(match[1].replace(/\s+/g, ''));
  } catch (cause) {
    throw new JpkiError('MALFORMED_CERTIFICATE', 'PEM body is not base64', { cause });
  }
  const der = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
  return der;
}

/** PEM text of a DER certificate, 64 columns, trailing newline. */
export function derToPem(der: Uint8Array): string {
  let binary = '';
  for (const b of der) binary += String.fromCharCode(b);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Accepts DER bytes or a PEM string (what integrators load roots and leaves from). */
export function toCertificateDer(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? pemToDer(input) : input;
}
