import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { encodeJp2 } from '../../src/jpeg2000-encoder.js';

const require = createRequire(import.meta.url);

/** face-api's demo group photos (a devDependency), so tests run without any local photo set. */
export function samplePhoto(n: 1 | 2 | 3 | 4 | 5 | 6): Uint8Array {
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  return new Uint8Array(readFileSync(path.join(dir, `sample${n}.jpg`)));
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Cuts `region` grown by `margin` × its size on each side, clamped to the image. */
export async function cropAround(bytes: Uint8Array, region: Region, margin: number): Promise<Buffer> {
  const meta = await sharp(bytes).rotate().metadata();
  const left = Math.max(0, Math.round(region.x - region.width * margin));
  const top = Math.max(0, Math.round(region.y - region.height * margin));
  const right = Math.min(meta.width, Math.round(region.x + region.width * (1 + margin)));
  const bottom = Math.min(meta.height, Math.round(region.y + region.height * (1 + margin)));
  return sharp(bytes)
    .rotate()
    .extract({ left, top, width: right - left, height: bottom - top })
    .png()
    .toBuffer();
}

/** Paints `region` flat grey, so the next-largest face becomes the primary one. */
export async function maskRegion(bytes: Uint8Array, region: Region): Promise<Buffer> {
  const patch = await sharp({
    create: {
      width: Math.round(region.width),
      height: Math.round(region.height),
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
    },
  })
    .png()
    .toBuffer();
  return sharp(bytes)
    .rotate()
    .composite([{ input: patch, left: Math.round(region.x), top: Math.round(region.y) }])
    .jpeg({ quality: 92 })
    .toBuffer();
}

/**
 * The card photo as the chip holds it: 240×320 monochrome, JPEG 2000 at a few KB. Made from a colour photo by
 * cover-cropping to 3:4, greying and compressing.
 */
export async function cardPhoto(bytes: Uint8Array, ratio = 13): Promise<Uint8Array> {
  const { data } = await sharp(bytes)
    .rotate()
    .resize(240, 320, { fit: 'cover', position: 'centre' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const grey = new Uint8Array(data.buffer, data.byteOffset, 240 * 320);
  return encodeJp2(grey, 240, 320, ratio);
}
