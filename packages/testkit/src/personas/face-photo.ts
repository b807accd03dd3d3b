import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The chip photo geometry: 240×320, one 8-bit grey component (the chip photo is monochrome). */
export const FACE_WIDTH = 240;
export const FACE_HEIGHT = 320;

export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** Row-major 8-bit grey levels. */
  readonly pixels: Uint8Array;
}

export interface FaceFeatures {
  /** Deterministic seed, e.g. the persona id. */
  seed: string;
  /** Longer hair when true. */
  longHair?: boolean;
  /** Grey hair (elderly). */
  greyHair?: boolean;
  /** Smaller, rounder face (child). */
  child?: boolean;
}

/** A tiny deterministic PRNG (mulberry32) seeded with FNV-1a of a string. */
function prng(seed: string): () => number {
  let h = 0x811c9dc5;
  for (const ch of seed) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let a = h;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws a simple passport-style grey portrait (background, shoulders, hair, oval face, eyes, brows, nose, mouth).
 * Same features → same pixels. It only has to look like a face to a human glancing at a test report.
 */
export function synthesizeFace(features: FaceFeatures): GrayImage {
  const w = FACE_WIDTH;
  const h = FACE_HEIGHT;
  const rnd = prng(features.seed);
  const px = new Uint8Array(w * h);
  const scale = features.child ? 0.88 : 1;
  const cx = w / 2 + (rnd() - 0.5) * 10;
  const cy = 150 + (rnd() - 0.5) * 10 + (features.child ? 12 : 0);
  const fa = (62 + rnd() * 10) * scale; // face half-width
  const fb = (82 + rnd() * 10) * scale; // face half-height
  const bg = 215 + Math.floor(rnd() * 25);
  const skin = 165 + Math.floor(rnd() * 30);
  const hair = features.greyHair ? 175 + Math.floor(rnd() * 20) : 30 + Math.floor(rnd() * 30);
  const hairDrop = features.longHair ? 1.35 : 0.55;
  const eyeDx = (24 + rnd() * 6) * scale;
  const eyeY = cy - 12 * scale;
  const mouthW = (18 + rnd() * 10) * scale;
  const mouthY = cy + 45 * scale;
  const ell = (x: number, y: number, x0: number, y0: number, a: number, b: number) =>
    ((x - x0) / a) ** 2 + ((y - y0) / b) ** 2;

  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = bg - (y / h) * 20; // studio backdrop, slightly darker at the bottom
      // Shoulders and clothes.
      if (ell(x, y, cx, h + 40, 125 * scale + 10, 120) < 1) v = 70 + ((x + y) % 7);
      // Neck.
      if (Math.abs(x - cx) < 26 * scale && y > cy + fb * 0.6 && y < cy + fb + 40) v = skin - 25;
      // Hair behind the face (long hair reaches below the chin line).
      const hairShape = ell(x, y, cx, cy - fb * 0.15, fa * 1.22, fb * 1.15);
      if (hairShape < 1 && y < cy + fb * hairDrop) v = hair + ((x * 3 + y) % 5);
      // Face with simple left-lit shading.
      const face = ell(x, y, cx, cy, fa, fb);
      if (face < 1) {
        v = skin - face * 25 + ((x - cx) / fa) * -8;
        // Fringe.
        if (y < cy - fb * 0.55 && ell(x, y, cx, cy - fb * 0.75, fa * 1.05, fb * 0.4) < 1) v = hair + 4;
        // Eyes: white, iris, brow.
        for (const side of [-1, 1]) {
          const ex = cx + side * eyeDx;
          const e = ell(x, y, ex, eyeY, 11 * scale, 5 * scale);
          if (e < 1) v = 235;
          if (ell(x, y, ex, eyeY, 4.5 * scale, 4.5 * scale) < 1) v = 25;
          if (ell(x, y, ex, eyeY - 14 * scale, 14 * scale, 2.6 * scale) < 1) v = hair < 100 ? hair + 10 : 120;
        }
        // Nose shadow and nostrils.
        if (Math.abs(x - cx - 3) < 2 && y > eyeY + 6 && y < cy + 22 * scale) v -= 22;
        if (ell(x, y, cx, cy + 24 * scale, 9 * scale, 3 * scale) < 1) v -= 30;
        // Mouth: a shallow arc.
        const my = mouthY + ((x - cx) / mouthW) ** 2 * -5;
        if (Math.abs(x - cx) < mouthW && Math.abs(y - my) < 2.2 * scale) v = 95;
      }
      // Sensor noise keeps the encoder honest about size.
      v += (rnd() - 0.5) * 10;
      px[y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { width: w, height: h, pixels: px };
}

interface J2KEncoderInstance {
  getDecodedBuffer(info: {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform: boolean;
  }): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  /** lossless = 5/3 wavelet; layers = how many quality layers (each needs a compression ratio). */
  setQuality(lossless: boolean, layers: number): void;
  setCompressionRatio(layer: number, ratio: number): void;
  encode(): void;
  delete?(): void;
}

interface OpenJpegModule {
  J2KEncoder: new () => J2KEncoderInstance;
}

let codec: Promise<OpenJpegModule> | undefined;

function loadCodec(): Promise<OpenJpegModule> {
  // The package is an Emscripten CommonJS factory; its wasm sits next to it and is found by path in Node.
  codec ??= Promise.resolve().then(() => {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (options: {
      print: (s: string) => void;
      printErr: (s: string) => void;
    }) => Promise<OpenJpegModule>;
    // OpenJPEG logs [INFO]/[WARNING] lines through these; keep test output clean.
    return factory({ print: () => {}, printErr: () => {} });
  });
  return codec;
}

/** Compression ratio giving about 5 KB for a 240×320 grey face (76.8 KB raw). */
const DEFAULT_RATIO = 15;

/** Encodes a J2K codestream with @cornerstonejs/codec-openjpeg (wasm, in process). */
async function encodeCodestreamWasm(image: GrayImage, ratio: number): Promise<Uint8Array> {
  const m = await loadCodec();
  const enc = new m.J2KEncoder();
  try {
    const input = enc.getDecodedBuffer({
      width: image.width,
      height: image.height,
      bitsPerSample: 8,
      componentCount: 1,
      isSigned: false,
      isUsingColorTransform: false,
    });
    input.set(image.pixels);
    enc.setQuality(false, 1); // 9/7 wavelet, one quality layer...
    enc.setCompressionRatio(0, ratio); // ...at this ratio
    enc.encode();
    return new Uint8Array(enc.getEncodedBuffer()); // copy out of the wasm heap
  } finally {
    enc.delete?.();
  }
}

function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const length = 8 + payload.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const p of payload) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Wraps a J2K codestream in a minimal JP2 file (ISO 15444-1 Annex I): signature box, ftyp `jp2 `,
 * jp2h { ihdr, colr greyscale }, jp2c. Card readers save the chip photo as `.jp2`, so the card holds a JP2 file.
 */
export function wrapJp2(codestream: Uint8Array, width: number, height: number, components = 1): Uint8Array {
  const signature = new Uint8Array([0x0d, 0x0a, 0x87, 0x0a]);
  const ftyp = new Uint8Array(12);
  ftyp.set([0x6a, 0x70, 0x32, 0x20], 0); // brand 'jp2 '
  ftyp.set([0x6a, 0x70, 0x32, 0x20], 8); // compatibility 'jp2 '
  const ihdr = new Uint8Array(14);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, height);
  dv.setUint32(4, width);
  dv.setUint16(8, components);
  ihdr[10] = 7; // 8 bits, unsigned
  ihdr[11] = 7; // compression type: JPEG 2000
  const colr = new Uint8Array([1, 0, 0, 0, 0, 0, components === 1 ? 17 : 16]); // enumerated: 17 greyscale, 16 sRGB
  return concat(
    box('jP  ', signature),
    box('ftyp', ftyp),
    box('jp2h', box('ihdr', ihdr), box('colr', colr)),
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

/** Fallback: Debian's opj_compress (package libopenjp2-tools) through a temporary PGM file. */
function encodeJp2WithOpjCompress(image: GrayImage, ratio: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'mynakit-face-'));
  try {
    const pgm = join(dir, 'face.pgm');
    const out = join(dir, 'face.jp2');
    const header = new TextEncoder().encode(`P5\n${image.width} ${image.height}\n255\n`);
    writeFileSync(pgm, concat(header, image.pixels));
    try {
      execFileSync('opj_compress', ['-i', pgm, '-o', out, '-r', String(ratio)], { stdio: 'pipe' });
    } catch (cause) {
      throw new Error(
        'JPEG 2000 encoding needs @cornerstonejs/codec-openjpeg or opj_compress (apt-get install libopenjp2-tools)',
        { cause },
      );
    }
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Encodes a grey image as a JP2 file: in-process wasm first, opj_compress if the wasm codec cannot load. */
export async function encodeJp2(image: GrayImage, ratio = DEFAULT_RATIO): Promise<Uint8Array> {
  let codestream: Uint8Array;
  try {
    codestream = await encodeCodestreamWasm(image, ratio);
  } catch {
    return encodeJp2WithOpjCompress(image, ratio);
  }
  return wrapJp2(codestream, image.width, image.height, 1);
}

const photoCache = new Map<string, Promise<Uint8Array>>();

/** The deterministic synthetic face photo (JP2, 240×320 grey) for these features; cached per feature set. */
export function syntheticFacePhoto(features: FaceFeatures): Promise<Uint8Array> {
  const key = JSON.stringify(features);
  let photo = photoCache.get(key);
  if (!photo) {
    photo = encodeJp2(synthesizeFace(features));
    photoCache.set(key, photo);
    photo.catch(() => photoCache.delete(key));
  }
  return photo.then((bytes) => bytes.slice());
}
