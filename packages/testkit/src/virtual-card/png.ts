import { deflateSync } from 'node:zlib';
import { concatBytes } from './tlv.js';

/*
 * Small deterministic PNG placeholders for the 券面AP images (name, address, security code, My Number).
 * Real cards hold scanned text; the virtual card holds a pseudo-text pattern derived from the string.
 */

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typeAndData = concatBytes(new TextEncoder().encode(type), data);
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(typeAndData, 4);
  dv.setUint32(8 + data.length, crc32(typeAndData));
  return out;
}

/** Encodes an 8-bit greyscale image as PNG (colour type 0, filter 0 on every row). */
export function encodeGrayPng(width: number, height: number, pixels: Uint8Array): Uint8Array {
  if (pixels.length !== width * height) throw new RangeError('pixel count does not match the size');
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return concatBytes(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 9 }))),
    chunk('IEND', new Uint8Array(0)),
  );
}

/**
 * A white image with one 5×7 pseudo-glyph per character of `text` (its bits come from the code point), scaled ×2.
 * Same text → same bytes.
 */
export function textPlaceholderPng(
  text: string,
  options: { height?: number; minWidth?: number } = {},
): Uint8Array {
  const chars = [...text];
  const cell = 14; // 5×7 glyph at ×2 plus spacing
  const height = options.height ?? 24;
  const width = Math.max(options.minWidth ?? 16, chars.length * cell + 8);
  const px = new Uint8Array(width * height).fill(255);
  chars.forEach((ch, i) => {
    if (/\s/u.test(ch)) return;
    let bits = Math.imul(ch.codePointAt(0)!, 2654435761) >>> 0;
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        const on = (bits >>> ((gy * 5 + gx) % 32)) & 1;
        if (!on) continue;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const x = 4 + i * cell + gx * 2 + dx;
            const y = Math.floor((height - 14) / 2) + gy * 2 + dy;
            if (x < width && y >= 0 && y < height) px[y * width + x] = 20;
          }
        }
      }
      bits = Math.imul(bits ^ (bits >>> 13), 0x5bd1e995) >>> 0;
    }
  });
  return encodeGrayPng(width, height, px);
}
