import { JpkiError } from './errors.js';

/*
 * A small DER/BER reader for what JPKI parsing needs: tag, length, content and the original bytes of every
 * element, with constructed elements split into children as it reads. It replaced asn1js here because asn1js spent
 * ≈ 0.6 ms on one certificate (most of a W3 application's verification, BENCHMARKS.md); the CRL path already walked
 * the bytes the same way. Indefinite lengths (BER, e.g. OpenSSL's streamed CMS) are accepted for constructed
 * elements.
 */

/** One decoded element. `raw` is the whole element as it appeared in the input (what signatures cover). */
export interface Node {
  readonly tagClass: TagClass;
  readonly tagNumber: number;
  readonly constructed: boolean;
  readonly raw: Uint8Array;
  readonly content: Uint8Array;
  /** The elements inside a constructed element; empty for a primitive one. */
  readonly children: readonly Node[];
}

export const tagClasses = { universal: 0, application: 1, context: 2, private: 3 } as const;
type TagClass = (typeof tagClasses)[keyof typeof tagClasses];

export const tag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  SEQUENCE: 16,
  SET: 17,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
} as const;

/** Nesting deeper than this is an attack, not a certificate. */
const MAX_DEPTH = 64;

function malformed(what: string, cause?: unknown): JpkiError {
  return new JpkiError('MALFORMED_CERTIFICATE', `malformed ${what}`, {
    details: { field: what },
    ...(cause !== undefined && { cause }),
  });
}

class ReadError extends Error {}

/** Reads the element starting at `offset`; returns it and the offset after it. */
function readElement(bytes: Uint8Array, offset: number, depth: number): { node: Node; end: number } {
  if (depth > MAX_DEPTH) throw new ReadError('nested too deeply');
  let at = offset;
  const first = byteAt(bytes, at++);
  const tagClass = (first >> 6) as TagClass;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (i === 4) throw new ReadError('tag number too large');
      const b = byteAt(bytes, at++);
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  const lengthByte = byteAt(bytes, at++);
  if (lengthByte === 0x80) {
    // Indefinite length: children up to the end-of-contents octets 00 00.
    if (!constructed) throw new ReadError('indefinite length on a primitive');
    const children: Node[] = [];
    const start = at;
    while (!(byteAt(bytes, at) === 0 && byteAt(bytes, at + 1) === 0)) {
      const child = readElement(bytes, at, depth + 1);
      children.push(child.node);
      at = child.end;
    }
    const end = at + 2;
    return {
      node: {
        tagClass,
        tagNumber,
        constructed,
        raw: bytes.subarray(offset, end),
        content: bytes.subarray(start, at),
        children,
      },
      end,
    };
  }
  let length = lengthByte;
  if (lengthByte > 0x80) {
    const count = lengthByte & 0x7f;
    if (count > 4) throw new ReadError('length too large');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byteAt(bytes, at++);
  }
  const end = at + length;
  if (end > bytes.length) throw new ReadError('length beyond the data');
  const content = bytes.subarray(at, end);
  const children: Node[] = [];
  if (constructed) {
    let inner = at;
    while (inner < end) {
      const child = readElement(bytes.subarray(0, end), inner, depth + 1);
      children.push(child.node);
      inner = child.end;
    }
  }
  return {
    node: { tagClass, tagNumber, constructed, raw: bytes.subarray(offset, end), content, children },
    end,
  };
}

function byteAt(bytes: Uint8Array, index: number): number {
  const value = bytes[index];
  if (value === undefined) throw new ReadError('truncated');
  return value;
}

/** Decodes exactly one element spanning all of `bytes`; anything else (trailing data, errors) is malformed. */
export function decode(bytes: Uint8Array, what: string): Node {
  let read: { node: Node; end: number };
  try {
    read = readElement(bytes, 0, 0);
  } catch (cause) {
    throw malformed(what, cause);
  }
  if (read.end !== bytes.length) throw malformed(what);
  return read.node;
}

export function isUniversal(node: Node | undefined, tagNumber: number): boolean {
  return node?.tagClass === tagClasses.universal && node.tagNumber === tagNumber;
}

export function isContext(node: Node | undefined, tagNumber: number): boolean {
  return node?.tagClass === tagClasses.context && node.tagNumber === tagNumber;
}

/** Children of a constructed node (SEQUENCE, SET or a constructed context tag). */
export function children(node: Node | undefined, what: string): Node[] {
  if (!node?.constructed) throw malformed(what);
  return [...node.children];
}

export function sequence(node: Node | undefined, what: string): Node[] {
  if (!isUniversal(node, tag.SEQUENCE)) throw malformed(what);
  return children(node, what);
}

export function oid(node: Node | undefined, what: string): string {
  if (!isUniversal(node, tag.OID) || node?.constructed) throw malformed(what);
  const content = (node as Node).content;
  const last = content[content.length - 1];
  if (last === undefined || (last & 0x80) !== 0) throw malformed(what);
  const arcs: bigint[] = [];
  let value = 0n;
  for (const b of content) {
    value = value * 128n + BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const head = arcs[0] as bigint;
  const [a, b] = head < 40n ? [0n, head] : head < 80n ? [1n, head - 40n] : [2n, head - 80n];
  return [a, b, ...arcs.slice(1)].join('.');
}

/** Content octets of a primitive (INTEGER, OCTET STRING, implicit tags). */
export function primitiveBytes(node: Node | undefined, what: string): Uint8Array {
  if (!node || node.constructed) throw malformed(what);
  return node.content.slice();
}

/** A BIT STRING's bytes and unused-bit count. */
export function bitString(node: Node | undefined, what: string): { bytes: Uint8Array; unusedBits: number } {
  if (!isUniversal(node, tag.BIT_STRING) || node?.constructed) throw malformed(what);
  const content = (node as Node).content;
  const unusedBits = content[0];
  if (unusedBits === undefined || unusedBits > 7) throw malformed(what);
  return { bytes: content.slice(1), unusedBits };
}

export function boolean(node: Node | undefined, what: string): boolean {
  if (!isUniversal(node, tag.BOOLEAN) || node?.constructed || node?.content.length !== 1)
    throw malformed(what);
  return node.content[0] !== 0;
}

/** The original DER of a node, as it appeared in the input (what signatures and fingerprints cover). */
export function rawBytes(node: Node): Uint8Array {
  return node.raw.slice();
}

const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** The text of any ASN.1 string type, or undefined for a non-string. */
export function stringValue(node: Node | undefined): string | undefined {
  if (node === undefined || node.tagClass !== tagClasses.universal || node.constructed) return undefined;
  const { content } = node;
  switch (node.tagNumber) {
    case 12: // UTF8String
      return new TextDecoder('utf-8').decode(content);
    case 30: {
      // BMPString: UTF-16BE
      let text = '';
      for (let i = 0; i + 1 < content.length; i += 2)
        text += String.fromCharCode((content[i]! << 8) | content[i + 1]!);
      return text;
    }
    case 28: {
      // UniversalString: UTF-32BE
      let text = '';
      for (let i = 0; i + 3 < content.length; i += 4) {
        const code =
          ((content[i]! << 24) | (content[i + 1]! << 16) | (content[i + 2]! << 8) | content[i + 3]!) >>> 0;
        text += String.fromCodePoint(code);
      }
      return text;
    }
    case 18: // NumericString
    case 19: // PrintableString
    case 20: // TeletexString
    case 21: // VideotexString
    case 22: // IA5String
    case 25: // GraphicString
    case 26: // VisibleString
    case 27: // GeneralString
      return latin1(content);
    default:
      return undefined;
  }
}

const utcTimePattern = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/;
const generalizedTimePattern = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d{1,9}))?Z$/;

/** UTCTime or GeneralizedTime (UTC, `Z`) as a Date. */
export function time(node: Node | undefined, what: string): Date {
  const text =
    node && !node.constructed && node.tagClass === tagClasses.universal ? latin1(node.content) : '';
  let parts: [number, number, number, number, number, number, number] | undefined;
  const utc = isUniversal(node, tag.UTC_TIME) ? utcTimePattern.exec(text) : null;
  const generalized = isUniversal(node, tag.GENERALIZED_TIME) ? generalizedTimePattern.exec(text) : null;
  if (utc) {
    const yy = Number(utc[1]);
    // RFC 5280 §4.1.2.5.1: YY ≥ 50 is 19YY, otherwise 20YY.
    parts = [yy >= 50 ? 1900 + yy : 2000 + yy, +utc[2]!, +utc[3]!, +utc[4]!, +utc[5]!, +(utc[6] ?? 0), 0];
  } else if (generalized) {
    const fraction = generalized[7] ?? '';
    const ms = fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
    parts = [
      +generalized[1]!,
      +generalized[2]!,
      +generalized[3]!,
      +generalized[4]!,
      +generalized[5]!,
      +(generalized[6] ?? 0),
      ms,
    ];
  }
  if (parts !== undefined) {
    const [year, month, day, hour, minute, second, ms] = parts;
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
    // Date.UTC rolls 31 February over into March: a date that does not round-trip is malformed.
    if (
      date.getUTCMonth() === month - 1 &&
      date.getUTCDate() === day &&
      hour < 24 &&
      minute < 60 &&
      second < 60
    ) {
      return date;
    }
  }
  throw malformed(what);
}

export { malformed };
