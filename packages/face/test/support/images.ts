import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';

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

interface J2KEncoder {
  getDecodedBuffer(info: {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform: boolean;
  }): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  setQuality(lossless: boolean, layers: number): void;
  setCompressionRatio(layer: number, ratio: number): void;
  encode(): void;
  delete?(): void;
}

let encoderModule: Promise<{ J2KEncoder: new () => J2KEncoder }> | undefined;

/** Encodes 8-bit grey pixels as a lossy J2K codestream with OpenJPEG's wasm build. */
export async function encodeJ2k(
  pixels: Uint8Array,
  width: number,
  height: number,
  ratio: number,
): Promise<Uint8Array> {
  encoderModule ??= (
    require('@cornerstonejs/codec-openjpeg/wasmjs') as (
      o: object,
    ) => Promise<{ J2KEncoder: new () => J2KEncoder }>
  )({ print: () => {}, printErr: () => {} });
  const m = await encoderModule;
  const encoder = new m.J2KEncoder();
  try {
    const input = encoder.getDecodedBuffer({
      width,
      height,
      bitsPerSample: 8,
      componentCount: 1,
      isSigned: false,
      isUsingColorTransform: false,
    });
    input.set(pixels);
    encoder.setQuality(false, 1);
    encoder.setCompressionRatio(0, ratio);
    encoder.encode();
    return new Uint8Array(encoder.getEncodedBuffer());
  } finally {
    encoder.delete?.();
  }
}

function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const length = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  new DataView(out.buffer).setUint32(0, length);
  out.set(new TextEncoder().encode(type), 4);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Wraps a codestream in the JP2 boxes a card reader writes (signature, ftyp, jp2h{ihdr, colr grey}, jp2c). */
export function wrapJp2(codestream: Uint8Array, width: number, height: number): Uint8Array {
  const ftyp = new Uint8Array(12);
  ftyp.set(new TextEncoder().encode('jp2 '), 0);
  ftyp.set(new TextEncoder().encode('jp2 '), 8);
  const ihdr = new Uint8Array(14);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, height);
  dv.setUint32(4, width);
  dv.setUint16(8, 1);
  ihdr[10] = 7;
  ihdr[11] = 7;
  return concat(
    box('jP  ', new Uint8Array([0x0d, 0x0a, 0x87, 0x0a])),
    box('ftyp', ftyp),
    box('jp2h', box('ihdr', ihdr), box('colr', new Uint8Array([1, 0, 0, 0, 0, 0, 17]))),
    box('jp2c', codestream),
  );
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
  return wrapJp2(await encodeJ2k(grey, 240, 320, ratio), 240, 320);
}
