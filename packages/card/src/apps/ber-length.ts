import { CardError } from '../errors.js';

/**
 * The total length (header + value) of the BER/DER object that `prefix` starts with, or null when more
 * bytes are needed to tell. Handles multi-byte tags (`DF 21`, `FF 20`, `7F 21`) and definite lengths up
 * to four bytes; the indefinite form never appears on this card and is refused.
 */
export function berTotalLength(prefix: Uint8Array): number | null {
  let offset = 0;
  const first = prefix[offset++];
  if (first === undefined) return null;
  if ((first & 0x1f) === 0x1f) {
    // High tag number: continuation bytes have bit 8 set.
    for (;;) {
      const next = prefix[offset++];
      if (next === undefined) return null;
      if ((next & 0x80) === 0) break;
      if (offset > 4) throw malformed('tag longer than 4 bytes');
    }
  }
  const lengthByte = prefix[offset++];
  if (lengthByte === undefined) return null;
  if (lengthByte < 0x80) return offset + lengthByte;
  const count = lengthByte & 0x7f;
  if (count === 0) throw malformed('indefinite length');
  if (count > 4) throw malformed(`length of ${count} bytes`);
  if (prefix.length < offset + count) return null;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + prefix[offset + i]!;
  return offset + count + length;
}

function malformed(what: string): CardError {
  return new CardError('MALFORMED_RESPONSE', `unexpected BER header: ${what}`);
}
