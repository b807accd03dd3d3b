import {
  children,
  decode,
  isContext,
  isUniversal,
  malformed,
  type Node,
  rawBytes,
  sequence,
  tag,
} from '../asn1.js';

/** The DER of a certificate's issuer Name and serialNumber INTEGER: CMS IssuerAndSerialNumber (RFC 5652 §10.2.4). */
export interface IssuerAndSerial {
  issuer: Uint8Array;
  serialNumber: Uint8Array;
}

/** Reads issuer and serial, byte for byte as the certificate encodes them (what OpenSSL matches the sid against). */
export function issuerAndSerialOf(certificateDer: Uint8Array): IssuerAndSerial {
  const [tbs] = sequence(decode(certificateDer, 'certificate'), 'certificate');
  const fields = sequence(tbs, 'tbsCertificate');
  let i = isContext(fields[0], 0) ? 1 : 0;
  const serial = fields[i++];
  i++; // signature AlgorithmIdentifier
  const issuer = fields[i];
  if (!isUniversal(serial, tag.INTEGER)) throw malformed('serialNumber');
  if (!isUniversal(issuer, tag.SEQUENCE)) throw malformed('issuer');
  children(issuer, 'issuer');
  return { issuer: rawBytes(issuer as Node), serialNumber: rawBytes(serial as Node) };
}
