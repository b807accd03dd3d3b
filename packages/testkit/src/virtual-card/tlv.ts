/** BER-TLV encoding for the card's data objects (tags given as raw bytes, e.g. `[0xdf, 0x22]`). */

export function berLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  if (length <= 0xffff) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  if (length <= 0xffffff) return Uint8Array.of(0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
  throw new RangeError('TLV value too long');
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return concatByteArrays(parts);
}

/** The same for a list too long to spread into arguments (a CRL's million entries). */
export function concatByteArrays(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One TLV with a minimal BER length. */
export function tlv(tag: readonly number[], value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.from(tag), berLength(value.length), value);
}

/** A constructed TLV whose value is the given TLVs in order. */
export function constructed(tag: readonly number[], ...children: readonly Uint8Array[]): Uint8Array {
  return tlv(tag, concatBytes(...children));
}

export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
export const utf8 = ascii;

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new RangeError('not a hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}
