import * as asn1js from 'asn1js';

/**
 * A minimal DER writer for the CMS structures we emit. Hand-built rather than through an ASN.1 object model so that
 * the bytes are exactly what is hashed and signed (and SET OF is sorted, as DER and OpenSSL's re-encoding require).
 */

function lengthBytes(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** One TLV with a single-byte identifier (every tag we write is low-numbered). */
export function tlv(identifier: number, ...contents: Uint8Array[]): Uint8Array {
  const value = concat(contents);
  return concat([Uint8Array.of(identifier), lengthBytes(value.length), value]);
}

export const sequence = (...elements: Uint8Array[]): Uint8Array => tlv(0x30, ...elements);

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** SET OF in DER order: elements sorted by their encodings (X.690 §11.6). `identifier` allows [0] IMPLICIT sets. */
export function setOf(elements: readonly Uint8Array[], identifier = 0x31): Uint8Array {
  return tlv(identifier, ...[...elements].sort(compareBytes));
}

export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
export const nullValue = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const smallInteger = (value: number): Uint8Array => tlv(0x02, Uint8Array.of(value));
/** [n] EXPLICIT (constructed, context-specific). */
export const explicit = (n: number, ...contents: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...contents);

export function objectIdentifier(dotted: string): Uint8Array {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
}

export function algorithmIdentifier(oid: string, parameters?: Uint8Array): Uint8Array {
  return parameters === undefined
    ? sequence(objectIdentifier(oid))
    : sequence(objectIdentifier(oid), parameters);
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, Z. */
export function cmsTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const pad = (n: number, width = 2) => n.toString().padStart(width, '0');
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(
    date.getUTCMinutes(),
  )}${pad(date.getUTCSeconds())}Z`;
  const ascii = (text: string) => new TextEncoder().encode(text);
  if (year >= 1950 && year < 2050) return tlv(0x17, ascii(`${pad(year % 100)}${rest}`));
  return tlv(0x18, ascii(`${pad(year, 4)}${rest}`));
}
