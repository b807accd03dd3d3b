import type { HashAlgorithm } from '@mynakit/card';
import { wrapDigestInfo } from '@mynakit/card';
import { bytesEqual, toArrayBuffer } from '../bytes.js';
import { parseJpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import {
  CMS_OIDS,
  type CmsHashAlgorithm,
  cmsHashAlgorithms,
  HASH_OIDS,
  OID_RSA_ENCRYPTION,
} from './algorithms.js';
import {
  algorithmIdentifier,
  cmsTime,
  explicit,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  smallInteger,
} from './der.js';
import { verifyPkcs1Signature } from './pkcs1.js';
import type { JpkiSigner } from './signer.js';
import { issuerAndSerialOf } from './signer-identifier.js';

export interface CreateCmsSignedDataOptions {
  /** The content to sign. */
  data: Uint8Array;
  /** The key: `card.jpki.signer('sign')` (signing password verified first) or any `JpkiSigner`. */
  signer: JpkiSigner;
  /** Message-digest hash and the hash of the signed attributes. Default SHA-256. */
  hash?: CmsHashAlgorithm;
  /** Leave the content out (eContent absent); the verifier needs it separately. Default false. */
  detached?: boolean;
  /** The signingTime attribute (truncated to whole seconds). Default now; `null` leaves the attribute out. */
  signingTime?: Date | null;
  /** More DER certificates to embed after the signer's (e.g. its CA). */
  includeCertificates?: Uint8Array[];
  /** Embed the signer's own certificate. Default true. */
  includeSignerCertificate?: boolean;
  crypto?: JpkiCrypto;
}

function attribute(type: string, value: Uint8Array): Uint8Array {
  return sequence(objectIdentifier(type), setOf([value]));
}

function checkOptions(options: CreateCmsSignedDataOptions): CmsHashAlgorithm {
  const hash = options.hash ?? 'SHA-256';
  if (!cmsHashAlgorithms.includes(hash))
    throw new JpkiError('UNSUPPORTED_ALGORITHM', 'CMS hash must be SHA-256, SHA-384 or SHA-512', {
      details: { field: 'hash' },
    });
  if (!(options.data instanceof Uint8Array))
    throw new JpkiError('INVALID_INPUT', 'data must be bytes', { details: { field: 'data' } });
  const time = options.signingTime;
  if (time !== undefined && time !== null && (!(time instanceof Date) || Number.isNaN(time.getTime())))
    throw new JpkiError('INVALID_INPUT', 'signingTime is not a valid date', {
      details: { field: 'signingTime' },
    });
  if (
    typeof options.signer?.certificate !== 'function' ||
    typeof options.signer.signDigestInfo !== 'function'
  )
    throw new JpkiError('INVALID_INPUT', 'signer must have certificate() and signDigestInfo()', {
      details: { field: 'signer' },
    });
  return hash;
}

/**
 * Builds a DER CMS ContentInfo(SignedData) (RFC 5652) over `data` with one signer, as `openssl cms -sign -binary`
 * would: version 1, sid = issuerAndSerialNumber, signed attributes contentType (id-data), signingTime and
 * messageDigest, signatureAlgorithm rsaEncryption. The signer receives the DigestInfo of the hash of the DER signed
 * attributes SET and returns a PKCS#1 v1.5 signature, which is checked against the signer's certificate before the
 * CMS is returned (SIGNATURE_INVALID when, say, the auth key signed but the sign certificate was given).
 *
 * Errors from the signer (e.g. the card's SECURITY_STATUS_NOT_SATISFIED when the PIN was not verified) propagate
 * unchanged.
 */
export async function createCmsSignedData(options: CreateCmsSignedDataOptions): Promise<Uint8Array> {
  const hash: HashAlgorithm = checkOptions(options);
  const crypto = options.crypto ?? defaultCrypto();
  const digest = async (bytes: Uint8Array) =>
    new Uint8Array(await crypto.subtle.digest(hash, toArrayBuffer(bytes)));

  const signerCertificate = parseJpkiCertificate(await options.signer.certificate()).der;
  const sid = issuerAndSerialOf(signerCertificate);
  const extra = (options.includeCertificates ?? []).map((c) => parseJpkiCertificate(c).der);
  const certificates: Uint8Array[] = [];
  for (const der of [...(options.includeSignerCertificate === false ? [] : [signerCertificate]), ...extra])
    if (!certificates.some((c) => bytesEqual(c, der))) certificates.push(der);

  const attributes = [
    attribute(CMS_OIDS.contentType, objectIdentifier(CMS_OIDS.data)),
    attribute(CMS_OIDS.messageDigest, octetString(await digest(options.data))),
  ];
  if (options.signingTime !== null) {
    const time = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
    attributes.push(attribute(CMS_OIDS.signingTime, cmsTime(time)));
  }
  // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF (tag 31); the SignerInfo then
  // carries the same bytes under the [0] IMPLICIT tag.
  const signedAttributes = setOf(attributes);
  const digestInfo = wrapDigestInfo(hash, await digest(signedAttributes));
  const signature = await options.signer.signDigestInfo(digestInfo);
  try {
    await verifyPkcs1Signature({ certificate: signerCertificate, signature, digestInfo, crypto });
  } catch (cause) {
    if (!(cause instanceof JpkiError) || cause.code !== 'SIGNATURE_INVALID') throw cause;
    throw new JpkiError('SIGNATURE_INVALID', "the signer's signature does not verify with its certificate", {
      cause,
    });
  }

  const signedAttributesField = signedAttributes.slice();
  signedAttributesField[0] = 0xa0;
  const digestAlgorithm = algorithmIdentifier(HASH_OIDS[hash]);
  const signerInfo = sequence(
    smallInteger(1),
    sequence(sid.issuer, sid.serialNumber),
    digestAlgorithm,
    signedAttributesField,
    algorithmIdentifier(OID_RSA_ENCRYPTION, nullValue()),
    octetString(signature),
  );
  const encapsulated = options.detached
    ? sequence(objectIdentifier(CMS_OIDS.data))
    : sequence(objectIdentifier(CMS_OIDS.data), explicit(0, octetString(options.data)));
  const signedData = sequence(
    smallInteger(1),
    setOf([digestAlgorithm]),
    encapsulated,
    ...(certificates.length > 0 ? [setOf(certificates, 0xa0)] : []),
    setOf([signerInfo]),
  );
  return sequence(objectIdentifier(CMS_OIDS.signedData), explicit(0, signedData));
}
