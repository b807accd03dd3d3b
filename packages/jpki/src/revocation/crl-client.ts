import { decode, oid, sequence } from '../asn1.js';
import { bytesEqual } from '../bytes.js';
import type { JpkiCertificate } from '../certificate.js';
import { defaultCrypto, type JpkiCrypto, signatureHashOf, verifyRsaSignature } from '../crypto-provider.js';
import { formatName, parseName } from '../distinguished-name.js';
import { JpkiError, type JpkiErrorCode } from '../errors.js';
import {
  contentEquals,
  DerError,
  encodeOidContent,
  expectTlv,
  hexOf,
  integerHex,
  readTime,
  readTlv,
  TAG,
  type Tlv,
} from './der-reader.js';
import { httpBytes } from './http.js';
import {
  type CertificateInput,
  type CrlEvidence,
  crlOptionsSchema,
  type FetchLike,
  normalizeSerial,
  parseOptions,
  type RevocationReasonName,
  revocationReasonOf,
  toCertificate,
} from './types.js';

export interface CrlEntry {
  revokedAt: Date;
  /** From the reasonCode entry extension; `unspecified` when absent (RFC 5280 §5.3.1). */
  reason: RevocationReasonName;
}

/** A CRL whose signature has been verified against its issuer; lookups are O(1) by serial. */
export interface VerifiedCrl {
  /** Issuer DN as formatted by `formatName`. */
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** cRLNumber as lowercase hex, null when absent. */
  crlNumber: string | null;
  entryCount: number;
  der: Uint8Array;
  /** The revocation entry of a serial (any hex form: `0A:1B`, `0x0a1b`, with or without sign byte), or null. */
  lookup(serial: string): CrlEntry | null;
  /** thisUpdate ≤ at + skew and at − skew ≤ nextUpdate (a CRL without nextUpdate is never fresh). */
  isFresh(at?: Date, clockSkewMs?: number): boolean;
  /** Throws CRL_STALE when not fresh at `at`. */
  assertFresh(at?: Date, clockSkewMs?: number): void;
  evidence(at: Date, url: string | null): CrlEvidence;
}

export interface LoadCrlOptions {
  /** Freshness is checked at this instant (default now); pass `checkFreshness: false` to only verify. */
  at?: Date;
  /** Default 15 minutes: J-LIS may serve yesterday's file for a few minutes during its daily refresh. */
  clockSkewMs?: number;
  checkFreshness?: boolean;
  crypto?: JpkiCrypto;
}

export interface FetchCrlOptions extends LoadCrlOptions {
  fetch?: FetchLike;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Default 256 MiB. */
  maxBytes?: number;
}

export const DEFAULT_CRL_SKEW_MS = 15 * 60_000;

const OID = {
  reasonCode: encodeOidContent('2.5.29.21'),
  crlNumber: encodeOidContent('2.5.29.20'),
  authorityKeyIdentifier: encodeOidContent('2.5.29.35'),
  deltaCrlIndicator: encodeOidContent('2.5.29.27'),
  issuingDistributionPoint: encodeOidContent('2.5.29.28'),
};

function fail(
  code: JpkiErrorCode,
  message: string,
  details: Record<string, string | number | null> = {},
): never {
  throw new JpkiError(code, message, { details });
}

interface Extension {
  oid: Tlv;
  critical: boolean;
  value: Tlv;
}

/** Extensions ::= SEQUENCE OF SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtensions(der: Uint8Array, list: Tlv): Extension[] {
  const out: Extension[] = [];
  for (let p = list.contentStart; p < list.end; ) {
    const ext = expectTlv(der, p, TAG.SEQUENCE, list.end);
    const id = expectTlv(der, ext.contentStart, TAG.OID, ext.end);
    let next = readTlv(der, id.end, ext.end);
    let critical = false;
    if (next.tag === TAG.BOOLEAN) {
      critical = der[next.contentStart] !== 0;
      next = readTlv(der, next.end, ext.end);
    }
    if (next.tag !== TAG.OCTET_STRING || next.end !== ext.end) throw new DerError(ext.start);
    out.push({ oid: id, critical, value: next });
    p = ext.end;
  }
  return out;
}

function oidText(der: Uint8Array, tlv: Tlv): string {
  try {
    return oid(decode(der.slice(tlv.start, tlv.end), 'extension id'), 'extension id');
  } catch {
    return hexOf(der, tlv.contentStart, tlv.end);
  }
}

/** The entry's reasonCode (0 when absent); other critical entry extensions (e.g. certificateIssuer) are refused. */
function entryReason(der: Uint8Array, list: Tlv): number {
  let code = 0;
  for (const ext of readExtensions(der, list)) {
    if (contentEquals(der, ext.oid, OID.reasonCode)) {
      const enumerated = expectTlv(der, ext.value.contentStart, TAG.ENUMERATED, ext.value.end);
      code = 0;
      for (let i = enumerated.contentStart; i < enumerated.end; i++) code = code * 256 + (der[i] as number);
    } else if (ext.critical)
      fail(
        'CRL_MALFORMED',
        'CRL entry has an unsupported critical extension (indirect CRLs are not supported)',
        {
          oid: oidText(der, ext.oid),
        },
      );
  }
  return code;
}

interface ParsedCrl {
  tbs: Tlv;
  algorithm: Uint8Array;
  signature: Uint8Array;
  issuerName: string;
  thisUpdate: number;
  nextUpdate: number | null;
  crlNumber: string | null;
  authorityKeyId: string | null;
  index: Map<string, number>;
  revokedAt: number[];
  reasons: number[];
}

/** Walks a DER CertificateList once, indexing every entry by normalised serial. */
function parseCrl(der: Uint8Array): ParsedCrl {
  const outer = expectTlv(der, 0, TAG.SEQUENCE);
  if (outer.end !== der.length) throw new DerError(outer.end);
  const tbs = expectTlv(der, outer.contentStart, TAG.SEQUENCE, outer.end);
  const outerAlgorithm = expectTlv(der, tbs.end, TAG.SEQUENCE, outer.end);
  const signatureTlv = expectTlv(der, outerAlgorithm.end, TAG.BIT_STRING, outer.end);
  if (signatureTlv.end !== outer.end || der[signatureTlv.contentStart] !== 0)
    throw new DerError(signatureTlv.start);

  let p = tbs.contentStart;
  let field = readTlv(der, p, tbs.end);
  if (field.tag === TAG.INTEGER) {
    // v2 is INTEGER 1; v1 CRLs omit the field.
    if (field.end - field.contentStart !== 1 || der[field.contentStart] !== 1)
      throw new DerError(field.start);
    field = readTlv(der, field.end, tbs.end);
  }
  if (field.tag !== TAG.SEQUENCE) throw new DerError(field.start);
  const innerAlgorithm = der.slice(field.start, field.end);
  // RFC 5280 §5.1.1.2: the signed algorithm must equal the outer one.
  if (!bytesEqual(innerAlgorithm, der.subarray(outerAlgorithm.start, outerAlgorithm.end)))
    throw new DerError(outerAlgorithm.start);
  const issuerTlv = expectTlv(der, field.end, TAG.SEQUENCE, tbs.end);
  let issuerName: string;
  try {
    issuerName = formatName(
      parseName(decode(der.slice(issuerTlv.start, issuerTlv.end), 'CRL issuer'), 'CRL issuer'),
    );
  } catch {
    throw new DerError(issuerTlv.start);
  }
  const thisTlv = readTlv(der, issuerTlv.end, tbs.end);
  const thisUpdate = readTime(der, thisTlv);
  p = thisTlv.end;
  let nextUpdate: number | null = null;
  const index = new Map<string, number>();
  const revokedAt: number[] = [];
  const reasons: number[] = [];
  let crlNumber: string | null = null;
  let authorityKeyId: string | null = null;
  if (p < tbs.end) {
    field = readTlv(der, p, tbs.end);
    if (field.tag === TAG.UTC_TIME || field.tag === TAG.GENERALIZED_TIME) {
      nextUpdate = readTime(der, field);
      p = field.end;
    }
  }
  if (p < tbs.end && der[p] === TAG.SEQUENCE) {
    const list = readTlv(der, p, tbs.end);
    for (let q = list.contentStart; q < list.end; ) {
      const entry = expectTlv(der, q, TAG.SEQUENCE, list.end);
      const serial = expectTlv(der, entry.contentStart, TAG.INTEGER, entry.end);
      if (serial.end === serial.contentStart) throw new DerError(serial.start);
      const time = readTlv(der, serial.end, entry.end);
      const at = readTime(der, time);
      let reason = 0;
      if (time.end < entry.end) {
        const extensions = expectTlv(der, time.end, TAG.SEQUENCE, entry.end);
        if (extensions.end !== entry.end) throw new DerError(extensions.end);
        reason = entryReason(der, extensions);
      }
      const key = integerHex(der, serial.contentStart, serial.end);
      // A serial listed twice keeps its first entry.
      if (!index.has(key)) {
        index.set(key, revokedAt.length);
        revokedAt.push(at);
        reasons.push(reason);
      }
      q = entry.end;
    }
    p = list.end;
  }
  if (p < tbs.end) {
    const wrapper = expectTlv(der, p, TAG.CONTEXT_0_CONSTRUCTED, tbs.end);
    if (wrapper.end !== tbs.end) throw new DerError(wrapper.end);
    const list = expectTlv(der, wrapper.contentStart, TAG.SEQUENCE, wrapper.end);
    for (const ext of readExtensions(der, list)) {
      if (contentEquals(der, ext.oid, OID.crlNumber)) {
        const n = expectTlv(der, ext.value.contentStart, TAG.INTEGER, ext.value.end);
        crlNumber = integerHex(der, n.contentStart, n.end);
      } else if (contentEquals(der, ext.oid, OID.authorityKeyIdentifier)) {
        const aki = expectTlv(der, ext.value.contentStart, TAG.SEQUENCE, ext.value.end);
        for (let q = aki.contentStart; q < aki.end; ) {
          const part = readTlv(der, q, aki.end);
          if (part.tag === 0x80) authorityKeyId = hexOf(der, part.contentStart, part.end);
          q = part.end;
        }
      } else if (contentEquals(der, ext.oid, OID.deltaCrlIndicator))
        fail('CRL_MALFORMED', 'delta CRLs are not supported (a complete CRL is needed)');
      else if (ext.critical)
        // issuingDistributionPoint narrows the CRL's scope; without honouring it, "not listed" would mean nothing.
        fail('CRL_MALFORMED', 'CRL has an unsupported critical extension', { oid: oidText(der, ext.oid) });
    }
  }
  return {
    tbs,
    algorithm: innerAlgorithm,
    signature: der.slice(signatureTlv.contentStart + 1, signatureTlv.end),
    issuerName,
    thisUpdate,
    nextUpdate,
    crlNumber,
    authorityKeyId,
    index,
    revokedAt,
    reasons,
  };
}

function freshness(thisUpdate: number, nextUpdate: number | null, at: Date, skew: number): boolean {
  const now = at.getTime();
  return nextUpdate !== null && thisUpdate <= now + skew && now - skew <= nextUpdate;
}

/**
 * Parses a DER CRL, checks it is the issuer's (name, and AKI when both sides carry key ids: JPKI root generations
 * share one DN), verifies its signature over the raw tbsCertList with the issuer's key and, unless disabled, that
 * it is fresh at `at` (CRL_STALE otherwise: fail closed). Handles million-entry CRLs: no ASN.1 object tree is built.
 */
export async function loadCrl(
  der: Uint8Array,
  issuerInput: CertificateInput,
  options: LoadCrlOptions = {},
): Promise<VerifiedCrl> {
  parseOptions(crlOptionsSchema, { ...options, crypto: undefined }, 'CRL options');
  const issuer: JpkiCertificate = toCertificate(issuerInput);
  const crypto = options.crypto ?? defaultCrypto();
  const skew = options.clockSkewMs ?? DEFAULT_CRL_SKEW_MS;
  let parsed: ParsedCrl;
  try {
    parsed = parseCrl(der);
  } catch (cause) {
    if (cause instanceof JpkiError) throw cause;
    throw new JpkiError('CRL_MALFORMED', 'bytes are not a well-formed DER CRL', {
      details: { offset: cause instanceof DerError ? cause.at : null },
      cause,
    });
  }
  if (parsed.issuerName !== issuer.subject)
    fail('CRL_ISSUER_MISMATCH', "CRL issuer name is not the certificate issuer's", {});
  const ski = issuer.subjectKeyIdentifier;
  if (parsed.authorityKeyId !== null && ski !== null && parsed.authorityKeyId !== ski)
    fail('CRL_ISSUER_MISMATCH', 'CRL was issued by another key under the same name (other root generation)', {
      authorityKeyIdentifier: parsed.authorityKeyId,
      subjectKeyIdentifier: ski,
    });
  if (issuer.keyUsage && !issuer.keyUsage.cRLSign)
    fail('KEY_USAGE_INVALID', 'the issuer may not sign CRLs (cRLSign missing)', {
      serialNumber: issuer.serialNumber,
    });
  let algorithmOid: string;
  try {
    algorithmOid = oid(
      sequence(decode(parsed.algorithm, 'CRL algorithm'), 'CRL algorithm')[0],
      'CRL algorithm',
    );
  } catch {
    algorithmOid = '';
  }
  const hash = signatureHashOf(algorithmOid);
  if (hash === undefined)
    fail('UNSUPPORTED_ALGORITHM', 'CRL signature algorithm is not RSA with SHA-256/384/512', {
      algorithm: algorithmOid,
    });
  const tbs = der.subarray(parsed.tbs.start, parsed.tbs.end);
  if (!(await verifyRsaSignature(issuer.publicKey, hash, parsed.signature, tbs, crypto)))
    fail('CRL_SIGNATURE_INVALID', "CRL signature does not verify with the issuer's key", {
      crlNumber: parsed.crlNumber,
    });

  const { index, revokedAt, reasons, thisUpdate, nextUpdate } = parsed;
  const crl: VerifiedCrl = {
    issuer: parsed.issuerName,
    thisUpdate: new Date(thisUpdate),
    nextUpdate: nextUpdate === null ? null : new Date(nextUpdate),
    crlNumber: parsed.crlNumber,
    entryCount: index.size,
    der,
    lookup(serial) {
      const i = index.get(normalizeSerial(serial));
      if (i === undefined) return null;
      return {
        revokedAt: new Date(revokedAt[i] as number),
        reason: revocationReasonOf(reasons[i] as number),
      };
    },
    isFresh(at = new Date(), clockSkewMs = skew) {
      return freshness(thisUpdate, nextUpdate, at, clockSkewMs);
    },
    assertFresh(at = new Date(), clockSkewMs = skew) {
      if (!freshness(thisUpdate, nextUpdate, at, clockSkewMs))
        fail(
          'CRL_STALE',
          nextUpdate === null ? 'CRL has no nextUpdate' : 'CRL is outside its validity window',
          {
            thisUpdate: new Date(thisUpdate).toISOString(),
            nextUpdate: nextUpdate === null ? null : new Date(nextUpdate).toISOString(),
            at: at.toISOString(),
          },
        );
    },
    evidence(at, url) {
      return {
        source: 'crl',
        url,
        checkedAt: at,
        thisUpdate: new Date(thisUpdate),
        nextUpdate: nextUpdate === null ? null : new Date(nextUpdate),
        crlNumber: parsed.crlNumber,
        issuer: parsed.issuerName,
        entryCount: index.size,
        rawCrl: der,
      };
    },
  };
  if (options.checkFreshness !== false) crl.assertFresh(options.at ?? new Date());
  return crl;
}

/** Downloads a CRL (HTTP GET) and `loadCrl`s it. Network failures are CRL_UNAVAILABLE or TIMEOUT. */
export async function fetchCrl(
  url: string,
  issuer: CertificateInput,
  options: FetchCrlOptions = {},
): Promise<VerifiedCrl> {
  const der = await httpBytes({
    url,
    method: 'GET',
    headers: { accept: 'application/pkix-crl' },
    timeoutMs: options.timeoutMs ?? 30_000,
    fetch: options.fetch,
    unavailable: 'CRL_UNAVAILABLE',
    maxBytes: options.maxBytes ?? 256 * 1024 * 1024,
  });
  return loadCrl(der, issuer, options);
}
