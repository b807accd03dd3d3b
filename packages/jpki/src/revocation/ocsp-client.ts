import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { decode, oid, sequence } from '../asn1.js';
import { bytesEqual, toArrayBuffer, toHex } from '../bytes.js';
import { type JpkiCertificate, parseJpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto, signatureHashOf, verifyRsaSignature } from '../crypto-provider.js';
import { formatName, parseName } from '../distinguished-name.js';
import { JpkiError, type JpkiErrorCode } from '../errors.js';
import { EXTENSION_OIDS } from '../oids.js';
import { DerError, expectTlv, integerHex, readTlv, TAG } from './der-reader.js';
import { httpBytes } from './http.js';
import {
  buildOcspRequest,
  digest,
  hashOfOid,
  issuerIdentity,
  OCSP_OIDS,
  type OcspCertIdHash,
} from './ocsp-request.js';
import {
  type CertificateInput,
  type FetchLike,
  type OcspEvidence,
  ocspOptionsSchema,
  parseOptions,
  type RevocationReasonName,
  revocationReasonOf,
  toCertificate,
} from './types.js';

/** What to do with nonces: `required` fails when the responder does not echo ours (many real ones never do). */
export type OcspNoncePolicy = 'required' | 'if-present' | 'ignore';

export type OcspStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason: RevocationReasonName }
  | { status: 'unknown' };

export type OcspResult = OcspStatus & { evidence: OcspEvidence };

/** Options shared by `checkOcsp` and `verifyOcspResponse`. */
export interface OcspVerifyOptions {
  certificate: CertificateInput;
  issuer: CertificateInput;
  /** Instant the answer must be valid at; default now. */
  at?: Date;
  /** Tolerated clock difference with the responder; default 15 minutes (what Netty and the JDK allow). */
  clockSkewMs?: number;
  /** For answers without nextUpdate: how old thisUpdate may be (beyond the skew); default 15 minutes. */
  maxAgeMs?: number;
  /** Further responder certificates to consider when the response embeds none (still authorisation-checked). */
  responderCertificates?: readonly CertificateInput[];
  crypto?: JpkiCrypto;
}

export interface CheckOcspOptions extends OcspVerifyOptions {
  url: string;
  /** CertID hash of the request; default SHA-1. */
  hash?: 'SHA-1' | 'SHA-256';
  /** Default `if-present`: send a nonce, and if the response carries one it must be ours. */
  nonce?: OcspNoncePolicy;
  /** Default POST. GET is the RFC 5019 cacheable form (base64 of the request in the path). */
  method?: 'POST' | 'GET';
  fetch?: FetchLike;
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface VerifyOcspResponseOptions extends OcspVerifyOptions {
  /** The nonce sent with the request (null/absent when none was). */
  nonce?: Uint8Array | null;
  noncePolicy?: OcspNoncePolicy;
  /** Recorded in the evidence. */
  url?: string;
}

const DEFAULT_SKEW_MS = 15 * 60_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

const statusErrors: Record<number, [JpkiErrorCode, string]> = {
  1: ['OCSP_MALFORMED_REQUEST', 'OCSP responder says the request is malformed'],
  2: ['OCSP_INTERNAL_ERROR', 'OCSP responder reported an internal error'],
  3: ['OCSP_TRY_LATER', 'OCSP responder asks to try later'],
  5: ['OCSP_SIG_REQUIRED', 'OCSP responder requires signed requests'],
  6: ['OCSP_UNAUTHORIZED', 'OCSP responder refuses to answer for this request'],
};

function fail(
  code: JpkiErrorCode,
  message: string,
  details: Record<string, string | number | boolean | null> = {},
  cause?: unknown,
): never {
  throw new JpkiError(code, message, { details, ...(cause !== undefined && { cause }) });
}

function malformed(what: string, cause?: unknown): never {
  return fail('OCSP_MALFORMED', `malformed OCSP response (${what})`, { field: what }, cause);
}

function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(toArrayBuffer(bytes));
  } catch (cause) {
    return malformed(what, cause);
  }
  if (parsed.offset !== bytes.length || parsed.result.error) malformed(what);
  return parsed.result;
}

interface Candidate {
  certificate: JpkiCertificate;
  kind: 'issuer' | 'delegated';
}

/** The raw tbsResponseData and embedded certificates of a BasicOCSPResponse, read from its own bytes. */
function rawParts(basicDer: Uint8Array): { tbs: Uint8Array; certs: Uint8Array[] } {
  try {
    const outer = expectTlv(basicDer, 0, TAG.SEQUENCE);
    if (outer.end !== basicDer.length) throw new DerError(outer.end);
    const tbs = expectTlv(basicDer, outer.contentStart, TAG.SEQUENCE, outer.end);
    const algorithm = expectTlv(basicDer, tbs.end, TAG.SEQUENCE, outer.end);
    let p = expectTlv(basicDer, algorithm.end, TAG.BIT_STRING, outer.end).end;
    const certs: Uint8Array[] = [];
    if (p < outer.end) {
      const wrapper = expectTlv(basicDer, p, TAG.CONTEXT_0_CONSTRUCTED, outer.end);
      const list = expectTlv(basicDer, wrapper.contentStart, TAG.SEQUENCE, wrapper.end);
      for (p = list.contentStart; p < list.end; ) {
        const cert = readTlv(basicDer, p, list.end);
        certs.push(basicDer.slice(cert.start, cert.end));
        p = cert.end;
      }
    }
    return { tbs: basicDer.slice(tbs.start, tbs.end), certs };
  } catch (cause) {
    return malformed('BasicOCSPResponse', cause);
  }
}

function extendedKeyUsages(certificate: JpkiCertificate): string[] {
  const value = certificate.extensions.find((e) => e.oid === EXTENSION_OIDS.extKeyUsage)?.value;
  if (!value) return [];
  return sequence(decode(value, 'extKeyUsage'), 'extKeyUsage').map((n) => oid(n, 'extKeyUsage'));
}

/**
 * RFC 6960 §4.2.2.2: a response is authoritative when signed by the issuing CA itself, or by a certificate that CA
 * issued with id-kp-OCSPSigning (valid at `at`, usable for signatures). Returns why not, or null when authorised.
 */
async function unauthorizedReason(
  candidate: Candidate,
  issuer: JpkiCertificate,
  at: Date,
  crypto: JpkiCrypto,
): Promise<string | null> {
  if (candidate.kind === 'issuer') return null;
  const cert = candidate.certificate;
  if (cert.issuer !== issuer.subject) return 'responder certificate not issued by the issuer';
  const hash = signatureHashOf(cert.signatureAlgorithm);
  if (hash === undefined) return 'responder certificate signature algorithm unsupported';
  const signed = await verifyRsaSignature(
    issuer.publicKey,
    hash,
    cert.signatureValue,
    cert.tbsCertificate,
    crypto,
  );
  if (!signed) return 'responder certificate not signed by the issuer';
  let ekus: string[];
  try {
    ekus = extendedKeyUsages(cert);
  } catch {
    return 'responder certificate extKeyUsage malformed';
  }
  if (!ekus.includes(OCSP_OIDS.ocspSigning)) return 'responder certificate lacks id-kp-OCSPSigning';
  if (cert.keyUsage && !cert.keyUsage.digitalSignature)
    return 'responder certificate keyUsage forbids signing';
  if (at < cert.notBefore || at > cert.notAfter) return 'responder certificate not valid at the check time';
  return null;
}

/** CertStatus CHOICE of a SingleResponse: good [0], revoked [1] { revocationTime, [0] reason? }, unknown [2]. */
function readCertStatus(single: pkijs.SingleResponse): OcspStatus {
  const block = single.certStatus as asn1js.BaseBlock | undefined;
  if (block === undefined) return malformed('certStatus');
  if (block.idBlock.tagClass !== 3) return malformed('certStatus');
  switch (block.idBlock.tagNumber) {
    case 0:
      return { status: 'good' };
    case 2:
      return { status: 'unknown' };
    case 1: {
      const [time, reasonWrapper] = ((block as asn1js.Constructed).valueBlock?.value ??
        []) as asn1js.BaseBlock[];
      if (!(time instanceof asn1js.GeneralizedTime)) return malformed('revocationTime');
      const revokedAt = time.toDate();
      if (Number.isNaN(revokedAt.getTime())) return malformed('revocationTime');
      let code = 0;
      if (reasonWrapper !== undefined) {
        const enumerated = (reasonWrapper as asn1js.Constructed).valueBlock?.value?.[0];
        if (!(enumerated instanceof asn1js.Enumerated)) return malformed('revocationReason');
        code = enumerated.valueBlock.valueDec;
      }
      return { status: 'revoked', revokedAt, reason: revocationReasonOf(code) };
    }
    default:
      return malformed('certStatus');
  }
}

/** Whether the response's nonce extension carries `nonce` (RFC 8954 OCTET STRING form, or the bare bytes). */
function nonceMatches(extension: pkijs.Extension, nonce: Uint8Array): boolean {
  const value = new Uint8Array(extension.extnValue.valueBlock.valueHexView);
  if (bytesEqual(value, nonce)) return true;
  const wrapped = new Uint8Array(new asn1js.OctetString({ valueHex: toArrayBuffer(nonce) }).toBER(false));
  return bytesEqual(value, wrapped);
}

/**
 * Verifies a DER OCSPResponse for (certificate, issuer) without trusting PKI.js's own checks (jpki-pki.md §6):
 * responseStatus, the signature over the raw tbsResponseData, responder authorisation, CertID match (recomputed
 * with the answer's own hash, so SHA-256 answers to SHA-1 requests still match), nonce policy and freshness.
 * Throws a typed `JpkiError`; an out-of-window answer is OCSP_STALE (inconclusive), never "revoked".
 */
export async function verifyOcspResponse(
  rawResponse: Uint8Array,
  options: VerifyOcspResponseOptions,
): Promise<OcspResult> {
  const crypto = options.crypto ?? defaultCrypto();
  const certificate = toCertificate(options.certificate);
  const issuer = toCertificate(options.issuer);
  parseOptions(
    ocspOptionsSchema,
    { at: options.at, clockSkewMs: options.clockSkewMs, maxAgeMs: options.maxAgeMs },
    'OCSP options',
  );
  const at = options.at ?? new Date();
  const skew = options.clockSkewMs ?? DEFAULT_SKEW_MS;
  const maxAge = options.maxAgeMs ?? DEFAULT_SKEW_MS;
  const noncePolicy = options.noncePolicy ?? 'if-present';
  const sentNonce = options.nonce ?? null;

  let response: pkijs.OCSPResponse;
  try {
    response = new pkijs.OCSPResponse({ schema: parseDer(rawResponse, 'OCSPResponse') });
  } catch (cause) {
    if (cause instanceof JpkiError) throw cause;
    return malformed('OCSPResponse', cause);
  }
  const statusCode = response.responseStatus.valueBlock.valueDec;
  if (statusCode !== 0) {
    const [code, message] = statusErrors[statusCode] ?? [
      'OCSP_MALFORMED',
      'OCSP responseStatus is not defined',
    ];
    fail(code, message, { responseStatus: statusCode });
  }
  const bytes = response.responseBytes;
  if (!bytes) return malformed('responseBytes missing');
  if (bytes.responseType !== OCSP_OIDS.basicResponse)
    fail('OCSP_MALFORMED', 'OCSP response is not a BasicOCSPResponse', { responseType: bytes.responseType });
  const basicDer = new Uint8Array(bytes.response.valueBlock.valueHexView);
  let basic: pkijs.BasicOCSPResponse;
  try {
    basic = new pkijs.BasicOCSPResponse({ schema: parseDer(basicDer, 'BasicOCSPResponse') });
  } catch (cause) {
    if (cause instanceof JpkiError) throw cause;
    return malformed('BasicOCSPResponse', cause);
  }
  const { tbs, certs } = rawParts(basicDer);
  const data = basic.tbsResponseData;

  // 1. Who signed, and may they? Candidates: the issuer, embedded certificates, caller-supplied responders.
  const candidates: Candidate[] = [{ certificate: issuer, kind: 'issuer' }];
  for (const der of [...certs, ...(options.responderCertificates ?? []).map((c) => toCertificate(c).der)]) {
    let parsed: JpkiCertificate;
    try {
      parsed = parseJpkiCertificate(der);
    } catch {
      continue; // an unreadable embedded certificate can only fail to be the signer
    }
    const sameKeyAsIssuer = bytesEqual(parsed.publicKey, issuer.publicKey);
    if (!sameKeyAsIssuer) candidates.push({ certificate: parsed, kind: 'delegated' });
  }
  let responder: OcspEvidence['responder'];
  let matching: Candidate[];
  const responderId = data.responderID as unknown;
  if (responderId instanceof pkijs.RelativeDistinguishedNames) {
    let name: string;
    try {
      name = formatName(
        parseName(decode(new Uint8Array(responderId.valueBeforeDecode), 'responderID'), 'responderID'),
      );
    } catch (cause) {
      return malformed('responderID byName', cause);
    }
    responder = { type: 'byName', name };
    matching = candidates.filter((c) => c.certificate.subject === name);
  } else if (responderId instanceof asn1js.OctetString) {
    const keyHash = new Uint8Array(responderId.valueBlock.valueHexView);
    responder = { type: 'byKey', keyHash: toHex(keyHash) };
    matching = [];
    for (const c of candidates) {
      if (bytesEqual(await digest('SHA-1', issuerIdentity(c.certificate).keyBits, crypto), keyHash))
        matching.push(c);
    }
  } else return malformed('responderID');
  if (matching.length === 0)
    fail('OCSP_RESPONDER_UNAUTHORIZED', 'no known certificate matches the OCSP responderID', {
      responderId: responder.type,
      embeddedCertificates: certs.length,
    });

  const hash = signatureHashOf(basic.signatureAlgorithm.algorithmId);
  if (hash === undefined)
    fail('UNSUPPORTED_ALGORITHM', 'OCSP response signature algorithm is not RSA with SHA-256/384/512', {
      algorithm: basic.signatureAlgorithm.algorithmId,
    });
  if (basic.signature.valueBlock.unusedBits !== 0) malformed('signature');
  const signature = new Uint8Array(basic.signature.valueBlock.valueHexView);
  let signer: Candidate | undefined;
  let authorized = false;
  let refusal = '';
  for (const candidate of matching) {
    const reason = await unauthorizedReason(candidate, issuer, at, crypto);
    if (reason !== null) {
      refusal ||= reason;
      continue;
    }
    authorized = true;
    if (await verifyRsaSignature(candidate.certificate.publicKey, hash, signature, tbs, crypto)) {
      signer = candidate;
      break;
    }
  }
  if (!authorized)
    fail(
      'OCSP_RESPONDER_UNAUTHORIZED',
      'OCSP response is signed by a certificate the issuer did not authorise',
      {
        reason: refusal,
      },
    );
  if (!signer)
    fail('OCSP_SIGNATURE_INVALID', 'OCSP response signature does not verify with the responder key', {
      responderId: responder.type,
    });

  // 2. The answer about our certificate: recompute the CertID hashes with the answer's own algorithm.
  const identity = issuerIdentity(issuer);
  let single: pkijs.SingleResponse | undefined;
  let certIdHash: OcspCertIdHash | undefined;
  for (const candidate of data.responses) {
    const h = hashOfOid(candidate.certID.hashAlgorithm.algorithmId);
    if (!h) continue;
    const serialBytes = candidate.certID.serialNumber.valueBlock.valueHexView;
    if (integerHex(serialBytes, 0, serialBytes.length) !== certificate.serialNumber) continue;
    const nameHash = new Uint8Array(candidate.certID.issuerNameHash.valueBlock.valueHexView);
    const keyHash = new Uint8Array(candidate.certID.issuerKeyHash.valueBlock.valueHexView);
    if (!bytesEqual(nameHash, await digest(h, identity.nameDer, crypto))) continue;
    if (!bytesEqual(keyHash, await digest(h, identity.keyBits, crypto))) continue;
    single = candidate;
    certIdHash = h;
    break;
  }
  if (!single || !certIdHash)
    fail('OCSP_CERT_ID_MISMATCH', 'OCSP response holds no answer for the certificate asked about', {
      serialNumber: certificate.serialNumber,
      answers: data.responses.length,
    });

  // 3. Nonce: ours echoed back, per policy.
  let nonceChecked = false;
  if (noncePolicy !== 'ignore') {
    const extension = data.responseExtensions?.find((e) => e.extnID === OCSP_OIDS.nonce);
    if (extension) {
      if (!sentNonce || !nonceMatches(extension, sentNonce))
        fail('OCSP_NONCE_MISMATCH', 'OCSP response nonce does not match the request', {
          reason: 'different',
        });
      nonceChecked = true;
    } else if (noncePolicy === 'required')
      fail('OCSP_NONCE_MISMATCH', 'OCSP response carries no nonce but one is required', {
        reason: 'missing',
      });
  }

  // 4. Freshness: an answer outside its window is inconclusive.
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate ?? null;
  const producedAt = data.producedAt;
  const now = at.getTime();
  const staleDetails = {
    thisUpdate: thisUpdate.toISOString(),
    nextUpdate: nextUpdate?.toISOString() ?? null,
    at: at.toISOString(),
  };
  if (thisUpdate.getTime() > now + skew || producedAt.getTime() > now + skew)
    fail('OCSP_STALE', 'OCSP answer is from the future (clock skew beyond tolerance)', staleDetails);
  if (nextUpdate ? nextUpdate.getTime() < now - skew : thisUpdate.getTime() < now - skew - maxAge)
    fail('OCSP_STALE', 'OCSP answer is past its validity window', staleDetails);

  const status = readCertStatus(single);
  return {
    ...status,
    evidence: {
      source: 'ocsp',
      url: options.url ?? '',
      checkedAt: at,
      producedAt,
      thisUpdate,
      nextUpdate,
      responder,
      signer: signer.kind,
      signerCertificate: signer.kind === 'delegated' ? signer.certificate.der : null,
      certIdHash,
      rawResponse: rawResponse.slice(),
      nonceChecked,
    },
  };
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Asks an OCSP responder about (certificate, issuer) and verifies the answer (`verifyOcspResponse`). HTTP failures
 * are OCSP_UNAVAILABLE, a slow responder TIMEOUT; responder errors map to OCSP_TRY_LATER, OCSP_UNAUTHORIZED, ….
 */
export async function checkOcsp(options: CheckOcspOptions): Promise<OcspResult> {
  const crypto = options.crypto ?? defaultCrypto();
  parseOptions(ocspOptionsSchema, options, 'OCSP options');
  const noncePolicy = options.nonce ?? 'if-present';
  const certificate = toCertificate(options.certificate);
  const issuer = toCertificate(options.issuer);
  const request = await buildOcspRequest({
    certificate,
    issuer,
    hash: options.hash ?? 'SHA-1',
    nonce: noncePolicy !== 'ignore',
    crypto,
  });
  const method = options.method ?? 'POST';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const raw =
    method === 'GET'
      ? await httpBytes({
          url: `${options.url.replace(/\/+$/, '')}/${encodeURIComponent(base64(request.der))}`,
          method: 'GET',
          timeoutMs,
          fetch: options.fetch,
          unavailable: 'OCSP_UNAVAILABLE',
          maxBytes: MAX_RESPONSE_BYTES,
        })
      : await httpBytes({
          url: options.url,
          method: 'POST',
          body: request.der,
          headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
          timeoutMs,
          fetch: options.fetch,
          unavailable: 'OCSP_UNAVAILABLE',
          maxBytes: MAX_RESPONSE_BYTES,
        });
  return verifyOcspResponse(raw, {
    ...options,
    certificate,
    issuer,
    crypto,
    nonce: request.nonce,
    noncePolicy,
    url: options.url,
  });
}
