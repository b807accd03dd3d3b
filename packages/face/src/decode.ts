import sharp from 'sharp';
import { z } from 'zod';
import { FaceError } from './errors.js';
import { decodeJpeg2000, isJ2kCodestream, isJp2, readJpeg2000Header } from './jpeg2000.js';

/**
 * Input limits, all checked from the file header before any pixel is decoded: a small file can claim a
 * 30000×30000 image, and decoding it would allocate gigabytes.
 */
export const decodeLimitsSchema = z.object({
  /** Largest accepted file. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  /** Largest accepted width or height, in pixels. */
  maxDimension: z.number().int().positive().default(12_000),
  /** Largest accepted width × height. */
  maxPixels: z.number().int().positive().default(50_000_000),
  /**
   * Images are shrunk so that their longer side is at most this before detection: the wasm heap grows with the
   * largest input and never shrinks, and detections do not change (face.md §1).
   */
  maxAnalysisSide: z.number().int().min(64).default(1024),
});

export type DecodeLimitsInput = z.input<typeof decodeLimitsSchema>;
export type DecodeLimits = z.output<typeof decodeLimitsSchema>;

export const imageFormats = ['jpeg', 'png', 'webp', 'jp2', 'j2k'] as const;
export type ImageFormat = (typeof imageFormats)[number];

/** RGB pixels ready for detection, plus the geometry needed to map results back to the original image. */
export interface DecodedImage {
  readonly format: ImageFormat;
  /** Width and height of the (EXIF-rotated) original. */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** Width and height of `pixels`, at most `maxAnalysisSide` on the longer side. */
  readonly width: number;
  readonly height: number;
  /** originalWidth / width: multiply analysis coordinates by this to get original-image coordinates. */
  readonly scale: number;
  /** Row-major RGB, 3 bytes per pixel. */
  readonly pixels: Uint8Array;
}

/** Identifies the container from its magic bytes; only these formats are accepted. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = (i: number) => bytes[i];
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if ([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b(i) === v)) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (isJp2(bytes)) return 'jp2';
  if (isJ2kCodestream(bytes)) return 'j2k';
  return undefined;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  if (bytes.length < at + length) return '';
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function checkDimensions(width: number, height: number, limits: DecodeLimits): void {
  if (width > limits.maxDimension || height > limits.maxDimension || width * height > limits.maxPixels) {
    throw new FaceError('IMAGE_TOO_LARGE', 'the image dimensions exceed the limit', {
      details: { width, height, maxDimension: limits.maxDimension, maxPixels: limits.maxPixels },
    });
  }
}

/**
 * Decodes JPEG, PNG, WebP (with EXIF rotation) or JPEG 2000 (`.jp2` or raw codestream) to RGB, shrunk to at most
 * `maxAnalysisSide`. Size limits are enforced from the header first; every failure is a typed FaceError.
 */
export async function decodeImage(
  bytes: Uint8Array,
  limitsInput: DecodeLimitsInput = {},
): Promise<DecodedImage> {
  const limits = decodeLimitsSchema.parse(limitsInput);
  if (bytes.length > limits.maxBytes) {
    throw new FaceError('IMAGE_TOO_LARGE', 'the image file exceeds the byte limit', {
      details: { bytes: bytes.length, maxBytes: limits.maxBytes },
    });
  }
  const format = sniffFormat(bytes);
  if (format === undefined) {
    throw new FaceError('UNSUPPORTED_FORMAT', 'the image is not JPEG, PNG, WebP or JPEG 2000', {
      details: { bytes: bytes.length },
    });
  }
  if (format === 'jp2' || format === 'j2k') return decodeJpeg2000Image(bytes, format, limits);
  return decodeWithSharp(bytes, format, limits);
}

/** PNG dimensions from the IHDR chunk, which the format requires to come first. */
function pngHeaderSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || ascii(bytes, 12, 4) !== 'IHDR') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

async function decodeWithSharp(
  bytes: Uint8Array,
  format: ImageFormat,
  limits: DecodeLimits,
): Promise<DecodedImage> {
  // Our own IHDR read refuses a forged PNG even where libvips would first complain about something else.
  const png = format === 'png' ? pngHeaderSize(bytes) : undefined;
  if (png) checkDimensions(png.width, png.height, limits);
  // limitInputPixels is a second line of defence behind the header check below.
  const options = { limitInputPixels: limits.maxPixels, failOn: 'warning' as const };
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, options).metadata(); // reads the header only
  } catch (cause) {
    throw sharpError(cause, format);
  }
  if (!meta.width || !meta.height)
    throw new FaceError('IMAGE_CORRUPT', `the ${format} header has no dimensions`);
  checkDimensions(meta.width, meta.height, limits);
  // Orientations 5–8 swap the axes once EXIF rotation is applied.
  const swapped = (meta.orientation ?? 1) >= 5;
  const originalWidth = swapped ? meta.height : meta.width;
  const originalHeight = swapped ? meta.width : meta.height;
  let pipeline = sharp(bytes, options).rotate().resize({
    width: limits.maxAnalysisSide,
    height: limits.maxAnalysisSide,
    fit: 'inside',
    withoutEnlargement: true,
  });
  if (meta.hasAlpha) pipeline = pipeline.flatten({ background: '#ffffff' });
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw sharpError(cause, format);
  }
  const { data, info } = raw;
  return {
    format,
    originalWidth,
    originalHeight,
    width: info.width,
    height: info.height,
    scale: originalWidth / info.width,
    pixels: toRgb(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      info.width * info.height,
      info.channels,
    ),
  };
}

function sharpError(cause: unknown, format: ImageFormat): FaceError {
  const message = cause instanceof Error ? cause.message : '';
  if (/pixel limit/i.test(message)) {
    return new FaceError('IMAGE_TOO_LARGE', 'the image dimensions exceed the limit', { cause });
  }
  return new FaceError('IMAGE_CORRUPT', `the ${format} image could not be decoded`, { cause });
}

async function decodeJpeg2000Image(
  bytes: Uint8Array,
  format: ImageFormat,
  limits: DecodeLimits,
): Promise<DecodedImage> {
  // OpenJPEG allocates the whole canvas up front, so the SIZ marker is checked before it runs.
  const header = readJpeg2000Header(bytes);
  checkDimensions(header.width, header.height, limits);
  const image = await decodeJpeg2000(bytes);
  const rgb = toRgb(image.pixels, image.width * image.height, image.channels);
  const longer = Math.max(image.width, image.height);
  if (longer <= limits.maxAnalysisSide) {
    return {
      format,
      originalWidth: image.width,
      originalHeight: image.height,
      width: image.width,
      height: image.height,
      scale: 1,
      pixels: rgb,
    };
  }
  const { data, info } = await sharp(rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width: limits.maxAnalysisSide, height: limits.maxAnalysisSide, fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    format,
    originalWidth: image.width,
    originalHeight: image.height,
    width: info.width,
    height: info.height,
    scale: image.width / info.width,
    pixels: toRgb(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      info.width * info.height,
      info.channels,
    ),
  };
}

/** Grey → RGB by repetition, RGBA/grey+alpha → RGB by dropping alpha; RGB passes through. */
function toRgb(pixels: Uint8Array, count: number, channels: number): Uint8Array {
  if (channels === 3) return pixels;
  const out = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    if (channels <= 2) {
      const v = pixels[i * channels]!;
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    } else {
      out[i * 3] = pixels[i * channels]!;
      out[i * 3 + 1] = pixels[i * channels + 1]!;
      out[i * 3 + 2] = pixels[i * channels + 2]!;
    }
  }
  return out;
}
