import type { HashAlgorithm } from '@mynakit/card';
import {
  children,
  decode,
  isContext,
  isUniversal,
  type Node,
  oid,
  primitiveBytes,
  rawBytes,
  sequence,
  tag,
  time,
} from '../asn1.js';
import { bytesEqual, toArrayBuffer, toHex } from '../bytes.js';
import { type JpkiCertificate, parseJpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto } from '../crypto-provider.js';
import { JpkiError } from '../errors.js';
import {
  CMS_OIDS,
  cmsHashAlgorithms,
  hashOfDigestOid,
  hashOfSignatureOid,
  OID_RSA_ENCRYPTION,
} from './algorithms.js';
import { verifyPkcs1Signature } from './pkcs1.js';
import { issuerAndSerialOf } from './signer-identifier.js';

export interface VerifyCmsOptions {
  /** The content of a detached CMS (one without eContent). Must not be given for an attached one. */
  detachedContent?: Uint8Array;
  /** When the signer certificate must be within its validity period. Default now. */
  at?: Date;
  /** Certificates to look for the signer in besides the embedded ones (for a CMS made without certificates). */
  certificates?: Uint8Array[];
  crypto?: JpkiCrypto;
}

export interface CmsVerification {
  /** DER of the certificate whose key verified the signature. Not yet trusted: run `validateChain` on it. */
  signerCertificate: Uint8Array;
  /** The signingTime attribute, as claimed by the signer (not a trusted timestamp). */
  signedAt?: Date;
  /**
   * Whether the content hashes to the signed messageDigest. `false` means the content was changed after signing:
   * the signature is genuine but does not cover this content, so the CMS must be rejected.
   */
  contentDigestOk: boolean;
  /** The encapsulated content of an attached CMS. */
  content?: Uint8Array;
  hash: HashAlgorithm;
  /** eContentType (id-data, 1.2.840.113549.1.7.1, for what `createCmsSignedData` and `openssl cms -sign` make). */
  contentType: string;
  /** Every certificate embedded in the CMS, DER. */
  certificates: Uint8Array[];
}

function cmsError(message: string, details: Record<string, string | number> = {}): JpkiError {
  return new JpkiError('MALFORMED_CMS', message, { details });
}

/** Runs a parsing step; the ASN.1 helpers' MALFORMED_CERTIFICATE becomes MALFORMED_CMS here. */
function parsing<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof JpkiError && error.code === 'MALFORMED_CERTIFICATE')
      throw new JpkiError('MALFORMED_CMS', `malformed CMS: ${error.message}`, {
        details: error.details,
        cause: error,
      });
    throw error;
  }
}

/** OCTET STRING content, primitive or (BER) constructed from segments. */
function octets(node: Node | undefined, what: string): Uint8Array {
  if (!isUniversal(node, tag.OCTET_STRING)) throw cmsError(`malformed CMS ${what}`, { field: what });
  if (!node?.constructed) return primitiveBytes(node, what);
  const parts = children(node, what).map((part) => octets(part, what));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function integerValue(node: Node | undefined, what: string): number {
  if (!isUniversal(node, tag.INTEGER)) throw cmsError(`malformed CMS ${what}`, { field: what });
  const bytes = primitiveBytes(node, what);
  if (bytes.length !== 1) throw cmsError(`unexpected CMS ${what}`, { field: what });
  return bytes[0] as number;
}

/** AlgorithmIdentifier with absent or NULL parameters (all the RSA and SHA-2 identifiers use). */
function algorithmOid(node: Node | undefined, what: string): string {
  const [id, parameters, ...rest] = sequence(node, what);
  if (rest.length > 0 || (parameters !== undefined && !isUniversal(parameters, tag.NULL)))
    throw new JpkiError('UNSUPPORTED_ALGORITHM', `unexpected parameters in the ${what}`, {
      details: { field: what },
    });
  return oid(id, what);
}

interface ParsedSignerInfo {
  sid: { issuerAndSerial: { issuer: Uint8Array; serialNumber: Uint8Array } } | { keyId: string };
  hash: HashAlgorithm;
  signedAttributes: Uint8Array | null;
  attributes: Map<string, Node[]>;
  signature: Uint8Array;
}

function parseSignerInfo(node: Node | undefined): ParsedSignerInfo {
  const fields = sequence(node, 'signerInfo');
  let i = 0;
  const version = integerValue(fields[i++], 'signerInfo version');
  const sidNode = fields[i++];
  let sid: ParsedSignerInfo['sid'];
  if (version === 1 && isUniversal(sidNode, tag.SEQUENCE)) {
    const [issuer, serial, ...rest] = sequence(sidNode, 'issuerAndSerialNumber');
    if (rest.length > 0 || !isUniversal(issuer, tag.SEQUENCE) || !isUniversal(serial, tag.INTEGER))
      throw cmsError('malformed CMS issuerAndSerialNumber', { field: 'sid' });
    sid = { issuerAndSerial: { issuer: rawBytes(issuer as Node), serialNumber: rawBytes(serial as Node) } };
  } else if (version === 3 && isContext(sidNode, 0)) {
    sid = { keyId: toHex(primitiveBytes(sidNode, 'subjectKeyIdentifier')) };
  } else throw cmsError('malformed CMS signer identifier', { field: 'sid', version });

  const digestOid = algorithmOid(fields[i++], 'digestAlgorithm');
  const hash = hashOfDigestOid(digestOid);
  if (hash === undefined || !(cmsHashAlgorithms as readonly string[]).includes(hash))
    throw new JpkiError('UNSUPPORTED_ALGORITHM', 'CMS digest algorithm is not SHA-256/384/512', {
      details: { algorithm: digestOid },
    });

  let signedAttributes: Uint8Array | null = null;
  const attributes = new Map<string, Node[]>();
  if (isContext(fields[i], 0)) {
    const attributesNode = fields[i++] as Node;
    // The signature covers these bytes as received, re-tagged as a universal SET (RFC 5652 §5.4).
    signedAttributes = rawBytes(attributesNode).slice();
    signedAttributes[0] = 0x31;
    for (const attr of children(attributesNode, 'signedAttrs')) {
      const [type, values, ...rest] = sequence(attr, 'attribute');
      if (rest.length > 0 || !isUniversal(values, tag.SET)) throw cmsError('malformed CMS attribute');
      const typeOid = oid(type, 'attribute type');
      if (attributes.has(typeOid)) throw cmsError('CMS signed attribute appears twice', { oid: typeOid });
      attributes.set(typeOid, children(values, 'attribute values'));
    }
  }

  const signatureOid = algorithmOid(fields[i++], 'signatureAlgorithm');
  if (signatureOid !== OID_RSA_ENCRYPTION && hashOfSignatureOid(signatureOid) !== hash)
    throw new JpkiError(
      'UNSUPPORTED_ALGORITHM',
      'CMS signature algorithm is not RSA PKCS#1 v1.5 with its digest',
      {
        details: { algorithm: signatureOid },
      },
    );
  const signature = octets(fields[i++], 'signature');
  if (isContext(fields[i], 1)) i++; // unsignedAttrs (e.g. a timestamp token) are not covered by the signature
  if (i !== fields.length) throw cmsError('malformed CMS signerInfo', { field: 'signerInfo' });
  return { sid, hash, signedAttributes, attributes, signature };
}

/** The single value of a signed attribute, or undefined when absent. */
function single(info: ParsedSignerInfo, type: string, name: string): Node | undefined {
  const values = info.attributes.get(type);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw cmsError(`CMS ${name} attribute must have one value`, { attribute: name });
  return values[0];
}

function findSigner(info: ParsedSignerInfo, candidates: readonly Uint8Array[]): JpkiCertificate {
  for (const der of candidates) {
    let matches = false;
    try {
      if ('keyId' in info.sid) matches = parseJpkiCertificate(der).subjectKeyIdentifier === info.sid.keyId;
      else {
        const own = issuerAndSerialOf(der);
        matches =
          bytesEqual(own.issuer, info.sid.issuerAndSerial.issuer) &&
          bytesEqual(own.serialNumber, info.sid.issuerAndSerial.serialNumber);
      }
    } catch {
      continue; // an unparsable extra certificate cannot be the signer's
    }
    if (matches) return parseJpkiCertificate(der);
  }
  throw new JpkiError(
    'SIGNER_CERTIFICATE_NOT_FOUND',
    'the CMS does not carry the certificate of its signer',
    {
      details: { candidates: candidates.length },
    },
  );
}

/**
 * Verifies a DER (or BER) CMS ContentInfo(SignedData) with one RSA signer (RFC 5652 §5.6): finds the signer's
 * certificate among the embedded ones (by issuerAndSerialNumber or subjectKeyIdentifier), checks it is within its
 * validity at `at`, checks the contentType attribute, verifies the PKCS#1 v1.5 signature over the signed attributes
 * and compares the messageDigest attribute with the hash of the content.
 *
 * Resolves `{ signerCertificate, signedAt?, contentDigestOk, content?, hash, contentType, certificates }`; a content
 * that does not match its messageDigest gives `contentDigestOk: false` (reject it). Throws a `JpkiError`:
 * MALFORMED_CMS, UNSUPPORTED_CMS (not exactly one signer), UNSUPPORTED_ALGORITHM (not RSA with SHA-256/384/512),
 * SIGNER_CERTIFICATE_NOT_FOUND, MALFORMED_CERTIFICATE, NOT_YET_VALID / EXPIRED, SIGNATURE_INVALID, INVALID_INPUT
 * (detached CMS without `detachedContent`, or an attached one with it).
 *
 * **Trust is the caller's:** this does not build or validate a chain, check the JPKI profile or revocation. Pass
 * `signerCertificate` to `validateChain(…, { trustStore, type: 'sign', at })` (and to the revocation check) before
 * believing who signed.
 */
export async function verifyCmsSignedData(
  der: Uint8Array,
  options: VerifyCmsOptions = {},
): Promise<CmsVerification> {
  if (!(der instanceof Uint8Array)) throw new JpkiError('INVALID_INPUT', 'the CMS must be bytes');
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw new JpkiError('INVALID_INPUT', 'validation time is not a valid date', { details: { field: 'at' } });
  const crypto = options.crypto ?? defaultCrypto();

  const parsed = parsing(() => {
    const [contentType, wrapped, ...rest] = sequence(decode(der, 'ContentInfo'), 'ContentInfo');
    if (rest.length > 0 || !isContext(wrapped, 0)) throw cmsError('malformed CMS ContentInfo');
    const outerType = oid(contentType, 'contentType');
    if (outerType !== CMS_OIDS.signedData)
      throw cmsError('the ContentInfo does not hold a SignedData', { contentType: outerType });
    const [signedDataNode, ...more] = children(wrapped, 'ContentInfo content');
    if (more.length > 0) throw cmsError('malformed CMS ContentInfo');
    const fields = sequence(signedDataNode, 'SignedData');
    let i = 0;
    const version = integerValue(fields[i++], 'SignedData version');
    if (version > 5) throw cmsError('unknown SignedData version', { version });
    if (!isUniversal(fields[i++], tag.SET)) throw cmsError('malformed CMS digestAlgorithms');
    const [eContentTypeNode, eContentNode, ...encapRest] = sequence(fields[i++], 'encapContentInfo');
    if (encapRest.length > 0) throw cmsError('malformed CMS encapContentInfo');
    const eContentType = oid(eContentTypeNode, 'eContentType');
    let eContent: Uint8Array | undefined;
    if (eContentNode !== undefined) {
      if (!isContext(eContentNode, 0)) throw cmsError('malformed CMS eContent');
      const [inner, ...extra] = children(eContentNode, 'eContent');
      if (extra.length > 0) throw cmsError('malformed CMS eContent');
      eContent = octets(inner, 'eContent');
    }
    const certificates: Uint8Array[] = [];
    if (isContext(fields[i], 0)) {
      // CertificateChoices: only plain X.509 certificates (SEQUENCE) are used; other kinds are skipped.
      for (const choice of children(fields[i++], 'certificates'))
        if (isUniversal(choice, tag.SEQUENCE)) certificates.push(rawBytes(choice).slice());
    }
    if (isContext(fields[i], 1)) i++; // CRLs are the revocation check's business
    const signerInfosNode = fields[i++];
    if (!isUniversal(signerInfosNode, tag.SET) || i !== fields.length)
      throw cmsError('malformed CMS SignedData', { field: 'signerInfos' });
    const signerInfos = children(signerInfosNode, 'signerInfos');
    if (signerInfos.length === 0) throw cmsError('the CMS has no signer');
    if (signerInfos.length > 1)
      throw new JpkiError('UNSUPPORTED_CMS', 'only a CMS with exactly one signer is supported', {
        details: { signers: signerInfos.length },
      });
    const info = parseSignerInfo(signerInfos[0]);
    const contentTypeAttribute = single(info, CMS_OIDS.contentType, 'contentType');
    const messageDigestAttribute = single(info, CMS_OIDS.messageDigest, 'messageDigest');
    const signingTimeAttribute = single(info, CMS_OIDS.signingTime, 'signingTime');
    if (info.signedAttributes !== null) {
      // RFC 5652 §5.3: with signed attributes, contentType and messageDigest are mandatory.
      if (contentTypeAttribute === undefined || messageDigestAttribute === undefined)
        throw cmsError('CMS signed attributes lack contentType or messageDigest');
      if (oid(contentTypeAttribute, 'contentType attribute') !== eContentType)
        throw cmsError('the contentType attribute differs from the eContentType');
    } else if (eContentType !== CMS_OIDS.data)
      throw cmsError('a CMS without signed attributes must carry id-data');
    return {
      eContentType,
      eContent,
      certificates,
      info,
      messageDigest:
        messageDigestAttribute === undefined ? undefined : octets(messageDigestAttribute, 'messageDigest'),
      signedAt:
        signingTimeAttribute === undefined ? undefined : time(signingTimeAttribute, 'signingTime attribute'),
    };
  });

  const { info, eContent } = parsed;
  if (eContent === undefined && options.detachedContent === undefined)
    throw new JpkiError('INVALID_INPUT', 'the CMS is detached: pass its content as detachedContent');
  if (eContent !== undefined && options.detachedContent !== undefined)
    throw new JpkiError('INVALID_INPUT', 'the CMS carries its content: do not pass detachedContent');
  const content = eContent ?? options.detachedContent;
  if (!(content instanceof Uint8Array))
    throw new JpkiError('INVALID_INPUT', 'detachedContent must be bytes', {
      details: { field: 'detachedContent' },
    });

  const signer = findSigner(info, [...parsed.certificates, ...(options.certificates ?? [])]);
  if (at < signer.notBefore)
    throw new JpkiError('NOT_YET_VALID', 'the signer certificate is not valid yet', {
      details: { serialNumber: signer.serialNumber, notBefore: signer.notBefore.toISOString() },
    });
  if (at > signer.notAfter)
    throw new JpkiError('EXPIRED', 'the signer certificate has expired', {
      details: { serialNumber: signer.serialNumber, notAfter: signer.notAfter.toISOString() },
    });

  // Without signed attributes the signature is directly over the content (so a changed content fails it).
  await verifyPkcs1Signature({
    certificate: signer,
    signature: info.signature,
    data: info.signedAttributes ?? content,
    hash: info.hash,
    crypto,
  });
  let contentDigestOk = true;
  if (parsed.messageDigest !== undefined) {
    const digest = new Uint8Array(await crypto.subtle.digest(info.hash, toArrayBuffer(content)));
    contentDigestOk = bytesEqual(digest, parsed.messageDigest);
  }
  return {
    signerCertificate: signer.der,
    ...(parsed.signedAt !== undefined && { signedAt: parsed.signedAt }),
    contentDigestOk,
    ...(eContent !== undefined && { content: eContent }),
    hash: info.hash,
    contentType: parsed.eContentType,
    certificates: parsed.certificates,
  };
}
