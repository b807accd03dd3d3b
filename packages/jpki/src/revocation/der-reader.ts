/**
 * A minimal DER walker over raw bytes. CRLs can hold a million entries; building an asn1js object per node would
 * cost gigabytes and hit its node limit, so the CRL parser reads tag/length headers directly instead.
 */
export interface Tlv {
  /** The identifier octet (class, constructed bit and low tag number; high tag numbers are rejected). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0_CONSTRUCTED: 0xa0,
} as const;

export class DerError extends Error {
  constructor(readonly at: number) {
    super(`malformed DER at offset ${at}`);
    this.name = 'DerError';
  }
}

/** Reads one TLV at `offset`, which must end at or before `limit`. Definite lengths only (DER). */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError(offset);
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(offset);
  let length = bytes[offset + 1] as number;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // 0x80 is BER indefinite length; more than 4 length octets cannot describe an in-memory buffer.
    if (count === 0 || count > 4 || contentStart + count > limit) throw new DerError(offset);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[contentStart + i] as number);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(offset);
  return { tag, start: offset, contentStart, end };
}

/** Reads a TLV and checks its tag. */
export function expectTlv(bytes: Uint8Array, offset: number, tag: number, limit?: number): Tlv {
  const tlv = readTlv(bytes, offset, limit);
  if (tlv.tag !== tag) throw new DerError(offset);
  return tlv;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes[start, end). */
export function hexOf(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX[bytes[i] as number];
  return out;
}

/** INTEGER content as minimal lowercase hex without the sign byte (the form JpkiCertificate.serialNumber uses). */
export function integerHex(bytes: Uint8Array, start: number, end: number): string {
  let i = start;
  while (i < end - 1 && bytes[i] === 0) i++;
  return i === end ? '00' : hexOf(bytes, i, end);
}

function digits(bytes: Uint8Array, at: number, count: number): number {
  let n = 0;
  for (let i = 0; i < count; i++) {
    const d = (bytes[at + i] as number) - 0x30;
    if (d < 0 || d > 9) throw new DerError(at);
    n = n * 10 + d;
  }
  return n;
}

/**
 * UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ, optional fraction), as epoch milliseconds. RFC 5280
 * requires the Z forms with seconds; anything else is rejected.
 */
export function readTime(bytes: Uint8Array, tlv: Tlv): number {
  let p = tlv.contentStart;
  let year: number;
  if (tlv.tag === TAG.UTC_TIME) {
    if (tlv.end - p !== 13) throw new DerError(tlv.start);
    const yy = digits(bytes, p, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    p += 2;
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    if (tlv.end - p < 15) throw new DerError(tlv.start);
    year = digits(bytes, p, 4);
    p += 4;
  } else throw new DerError(tlv.start);
  const month = digits(bytes, p, 2);
  const day = digits(bytes, p + 2, 2);
  const hour = digits(bytes, p + 4, 2);
  const minute = digits(bytes, p + 6, 2);
  const second = digits(bytes, p + 8, 2);
  p += 10;
  let ms = 0;
  if (bytes[p] === 0x2e && tlv.tag === TAG.GENERALIZED_TIME) {
    let q = p + 1;
    let scale = 100;
    while (q < tlv.end - 1) {
      ms += digits(bytes, q, 1) * scale;
      scale /= 10;
      q++;
    }
    p = q;
  }
  if (p !== tlv.end - 1 || bytes[p] !== 0x5a) throw new DerError(tlv.start);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    throw new DerError(tlv.start);
  return Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(ms));
}

/** DER content octets of an OBJECT IDENTIFIER (for comparing OIDs without decoding them). */
export function encodeOidContent(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [];
  const push = (value: number) => {
    const chunk: number[] = [value & 0x7f];
    for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  };
  push((arcs[0] ?? 0) * 40 + (arcs[1] ?? 0));
  for (const arc of arcs.slice(2)) push(arc);
  return new Uint8Array(out);
}

export function contentEquals(bytes: Uint8Array, tlv: Tlv, expected: Uint8Array): boolean {
  if (tlv.end - tlv.contentStart !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[tlv.contentStart + i] !== expected[i]) return false;
  return true;
}
