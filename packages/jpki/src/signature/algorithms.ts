import type { HashAlgorithm } from '@mynakit/card';

/** OIDs of the hashes, RSA signature algorithms and CMS objects the signature module reads and writes. */
export const HASH_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** sha*WithRSAEncryption, keyed by hash. */
export const RSA_SIGNATURE_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-1': '1.2.840.113549.1.1.5',
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};

export const CMS_OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

/** Hashes a CMS may use here. SHA-1 is refused for CMS (weak for new signatures); PKCS#1 verification allows it. */
export type CmsHashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';
export const cmsHashAlgorithms: readonly CmsHashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

export function hashOfDigestOid(oid: string): HashAlgorithm | undefined {
  return (Object.keys(HASH_OIDS) as HashAlgorithm[]).find((h) => HASH_OIDS[h] === oid);
}

export function hashOfSignatureOid(oid: string): HashAlgorithm | undefined {
  return (Object.keys(RSA_SIGNATURE_OIDS) as HashAlgorithm[]).find((h) => RSA_SIGNATURE_OIDS[h] === oid);
}
