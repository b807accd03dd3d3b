import { CardError } from './errors.js';

/**
 * One BER-TLV data object. `tag` is the tag's bytes read as a big-endian number (`DF 21` → 0xDF21,
 * `7F 21` → 0x7F21), not the ASN.1 tag number, so it matches how the card's tags are written in the spec.
 */
export interface Tlv {
  readonly tag: number;
  /** True when bit 6 of the first tag byte is set (e.g. `FF 20`, `7F 21`); then `children` holds the parse of `value`. */
  readonly constructed: boolean;
  readonly value: Uint8Array;
  readonly children?: readonly Tlv[];
  /** Offset of the object's first tag byte in the buffer given to `parseTlvs`. */
  readonly offset: number;
  /** Bytes taken by the whole object: tag, length and value. */
  readonly size: number;
}

export interface ParseTlvOptions {
  /** Parse the contents of constructed objects into `children` (default true). */
  readonly recursive?: boolean;
}

/** Tags longer than this are not used by the card and would overflow a safe integer quickly. */
const MAX_TAG_BYTES = 4;
/** `84 xx xx xx xx` is the longest length field accepted (values up to 4 GiB, far above any EF). */
const MAX_LENGTH_BYTES = 4;
/** Nesting beyond this is not card data; it also keeps recursion bounded on hostile input. */
const MAX_DEPTH = 32;

function malformed(message: string, offset: number): CardError {
  return new CardError('MALFORMED_RESPONSE', `TLV: ${message} at offset ${offset}`, { details: { offset } });
}

/** Where the run of 00/FF bytes (the padding ISO 7816-4 allows around objects) that ends the range begins. */
function paddingStart(bytes: Uint8Array, start: number, end: number): number {
  let i = end;
  while (i > start && (bytes[i - 1] === 0x00 || bytes[i - 1] === 0xff)) i--;
  return i;
}

function parseRange(bytes: Uint8Array, start: number, end: number, depth: number, recursive: boolean): Tlv[] {
  if (depth > MAX_DEPTH) throw malformed('nesting too deep', start);
  const out: Tlv[] = [];
  // EFs are fixed-size and FF-padded: a tail of only 00/FF after the last object is not data.
  const padding = paddingStart(bytes, start, end);
  let pos = start;
  while (pos < padding) {
    const offset = pos;

    const first = bytes[pos++]!;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      let count = 1;
      let b: number;
      do {
        if (pos >= end) throw malformed('tag truncated', offset);
        if (++count > MAX_TAG_BYTES) throw malformed('tag longer than 4 bytes', offset);
        b = bytes[pos++]!;
        tag = tag * 256 + b;
      } while (b & 0x80);
    }

    if (pos >= end) throw malformed('length missing', offset);
    const lengthOffset = pos;
    const l0 = bytes[pos++]!;
    let length: number;
    if (l0 < 0x80) {
      length = l0;
    } else if (l0 === 0x80) {
      throw malformed('indefinite length is not supported', lengthOffset);
    } else {
      const n = l0 & 0x7f;
      if (n > MAX_LENGTH_BYTES) throw malformed('length field longer than 4 bytes', lengthOffset);
      if (pos + n > end) throw malformed('length field truncated', lengthOffset);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
    }
    if (length > end - pos) throw malformed(`value of ${length} bytes runs past the end`, offset);

    const constructed = (first & 0x20) !== 0;
    const valueEnd = pos + length;
    const value = bytes.slice(pos, valueEnd);
    const children =
      constructed && recursive ? parseRange(bytes, pos, valueEnd, depth + 1, recursive) : undefined;
    out.push({ tag, constructed, value, offset, size: valueEnd - offset, ...(children && { children }) });
    pos = valueEnd;
  }
  return out;
}

/**
 * Parses a sequence of BER-TLV objects (multi-byte tags, lengths `xx`, `81 xx` … `84 xx xx xx xx`).
 * Every bound is checked: a truncated or overlong object throws CardError MALFORMED_RESPONSE with
 * `details.offset`; nothing else is thrown. Trailing 00/FF padding after the last object is ignored.
 */
export function parseTlvs(bytes: Uint8Array, options: ParseTlvOptions = {}): Tlv[] {
  return parseRange(bytes, 0, bytes.length, 0, options.recursive ?? true);
}

/** The first object with `tag`, searching depth-first through children. */
export function findTlv(tlvs: readonly Tlv[], tag: number): Tlv | undefined {
  for (const tlv of tlvs) {
    if (tlv.tag === tag) return tlv;
    if (tlv.children) {
      const found = findTlv(tlv.children, tag);
      if (found) return found;
    }
  }
  return undefined;
}

function tagBytes(tag: number): number[] {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) {
    throw new CardError('INVALID_INPUT', 'TLV tag must be 1 to 4 bytes');
  }
  const out: number[] = [];
  let t = tag;
  do {
    out.unshift(t % 256);
    t = Math.floor(t / 256);
  } while (t > 0);
  return out;
}

/** Encodes one object with the minimal length form (the inverse of `parseTlvs` for one object). */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  let length: number[];
  if (n < 0x80) length = [n];
  else if (n <= 0xff) length = [0x81, n];
  else if (n <= 0xffff) length = [0x82, n >> 8, n & 0xff];
  else if (n <= 0xffffff) length = [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  else length = [0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const head = [...tagBytes(tag), ...length];
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  out.set(value, head.length);
  return out;
}

/**
 * The total length (header + value) of the BER-TLV or DER object that `prefix` starts with, or null while more
 * bytes are needed to tell: `30 82 06 2B …` → 1583, `FF 20 82 01 00` → 261. Lets a reader fetch exactly one
 * object out of a fixed-size, FF-padded EF. Multi-byte tags and definite lengths up to 4 bytes; the
 * indefinite form never appears on this card and is refused (MALFORMED_RESPONSE).
 */
export function tlvTotalLength(prefix: Uint8Array): number | null {
  let offset = 0;
  const first = prefix[offset++];
  if (first === undefined) return null;
  if ((first & 0x1f) === 0x1f) {
    for (;;) {
      const next = prefix[offset++];
      if (next === undefined) return null;
      if ((next & 0x80) === 0) break;
      if (offset >= MAX_TAG_BYTES) throw malformed('tag longer than 4 bytes', 0);
    }
  }
  const lengthOffset = offset;
  const l0 = prefix[offset++];
  if (l0 === undefined) return null;
  if (l0 < 0x80) return offset + l0;
  const count = l0 & 0x7f;
  if (count === 0) throw malformed('indefinite length is not supported', lengthOffset);
  if (count > MAX_LENGTH_BYTES) throw malformed('length field longer than 4 bytes', lengthOffset);
  if (prefix.length < offset + count) return null;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + prefix[offset + i]!;
  return offset + count + length;
}
