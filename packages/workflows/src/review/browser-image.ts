import { crc32, deflateSync } from 'node:zlib';
import { decodeImage, sniffFormat } from '@mynakit/face';

// Node-only (exported from `@mynakit/workflows/node`): browsers show JPEG and PNG but not the card's JPEG 2000.

/**
 * JPEG and PNG pass through; anything else @mynakit/face decodes (JPEG 2000, WebP) becomes an 8-bit RGB PNG at its
 * original size.
 */
export async function toBrowserImage(
  bytes: Uint8Array,
): Promise<{ bytes: Uint8Array; mediaType: 'image/png' | 'image/jpeg' }> {
  const format = sniffFormat(bytes);
  if (format === 'jpeg') return { bytes, mediaType: 'image/jpeg' };
  if (format === 'png') return { bytes, mediaType: 'image/png' };
  const image = await decodeImage(bytes, { maxAnalysisSide: 4096 });
  return { bytes: encodeRgbPng(image.pixels, image.width, image.height), mediaType: 'image/png' };
}

/** A minimal PNG: IHDR (8-bit RGB), one IDAT with filter type 0 on every row, IEND. */
export function encodeRgbPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const stride = width * 3;
  if (pixels.length !== stride * height) throw new RangeError('pixels do not match width × height × 3');
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++)
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, filter 0, no interlace
  return concat([
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', header),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typeAndData = out.subarray(4, 8 + data.length);
  typeAndData.set(new TextEncoder().encode(type), 0);
  typeAndData.set(data, 4);
  view.setUint32(8 + data.length, crc32(typeAndData));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
