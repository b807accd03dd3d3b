import { z } from 'zod';
import { type JpkiCertificate, parseJpkiCertificate } from '../certificate.js';
import { JpkiError } from '../errors.js';

/** RFC 5280 §5.3.1 CRLReason names by code (7 is unused). J-LIS uses 0–6 (jpki-pki.md §3.3). */
export const REVOCATION_REASONS = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
} as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[keyof typeof REVOCATION_REASONS];

/** The reason name of a CRLReason code; unknown codes are kept visible instead of being mapped to a wrong name. */
export function revocationReasonOf(code: number): RevocationReason | `reason-${number}` {
  return (REVOCATION_REASONS as Record<number, RevocationReason>)[code] ?? `reason-${code}`;
}

export type RevocationReasonName = ReturnType<typeof revocationReasonOf>;

/** What `fetch` must look like; inject one to add proxies, auth headers or a test double. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Lowercase minimal hex (no sign byte, even length) — accepts `0A:1B`, `0x0a1b`, `00a1…`. */
export function normalizeSerial(serial: string): string {
  const hex = serial.trim().replace(/^0x/i, '').replace(/[\s:]/g, '').toLowerCase();
  if (hex.length === 0 || !/^[0-9a-f]+$/.test(hex))
    throw new JpkiError('INVALID_INPUT', 'serial must be a hex string');
  const stripped = hex.replace(/^0+/, '');
  if (stripped.length === 0) return '00';
  return stripped.length % 2 === 1 ? `0${stripped}` : stripped;
}

export type CertificateInput = Uint8Array | string | JpkiCertificate;

export function toCertificate(input: CertificateInput): JpkiCertificate {
  return typeof input === 'string' || input instanceof Uint8Array ? parseJpkiCertificate(input) : input;
}

/** Evidence of one OCSP answer, to retain with the decision (the raw response can be re-verified later). */
export interface OcspEvidence {
  source: 'ocsp';
  url: string;
  /** The time the answer was judged against. */
  checkedAt: Date;
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** responderID as sent: the signer's name, or the SHA-1 of its public key (hex). */
  responder: { type: 'byName'; name: string } | { type: 'byKey'; keyHash: string };
  /** Who signed: the issuing CA itself or a delegated responder certificate it issued. */
  signer: 'issuer' | 'delegated';
  /** DER of the delegated responder certificate (null when the issuer signed). */
  signerCertificate: Uint8Array | null;
  /** CertID hash of the matched answer (may differ from the request's). */
  certIdHash: string;
  /** DER of the whole OCSPResponse. */
  rawResponse: Uint8Array;
  /** True when a nonce was sent and the response echoed it. */
  nonceChecked: boolean;
}

/** Evidence of one CRL lookup. */
export interface CrlEvidence {
  source: 'crl';
  /** Where the CRL came from (URL, or `load` for a caller-supplied loader). */
  url: string | null;
  checkedAt: Date;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** cRLNumber as hex, null when absent. */
  crlNumber: string | null;
  issuer: string;
  entryCount: number;
  /** DER of the whole CRL (large: a retention policy may keep a digest instead). */
  rawCrl: Uint8Array;
}

export type RevocationEvidence = OcspEvidence | CrlEvidence;

/** Parses caller options with zod; a failure is INVALID_INPUT naming the offending field (never its value). */
export function parseOptions<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new JpkiError('INVALID_INPUT', `invalid ${what}: ${issue?.message ?? 'bad value'}`, {
      details: { field: issue?.path.join('.') ?? '' },
    });
  }
  return result.data;
}

const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()), 'not a valid date');

/** The scalar OCSP options (the rest are functions or certificates, checked where used). */
export const ocspOptionsSchema = z.object({
  url: z.string().min(1).optional(),
  hash: z.enum(['SHA-1', 'SHA-256']).optional(),
  nonce: z.enum(['required', 'if-present', 'ignore']).optional(),
  method: z.enum(['POST', 'GET']).optional(),
  timeoutMs: z.number().int().positive().optional(),
  at: validDate.optional(),
  clockSkewMs: z.number().nonnegative().optional(),
  maxAgeMs: z.number().nonnegative().optional(),
});

export const crlOptionsSchema = z.object({
  at: validDate.optional(),
  clockSkewMs: z.number().nonnegative().optional(),
  checkFreshness: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxBytes: z.number().int().positive().optional(),
});

export const checkerOptionsSchema = z.object({
  order: z
    .array(z.enum(['ocsp', 'crl']))
    .min(1)
    .max(2)
    .optional(),
  failOpen: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
});
