import { createRequire } from 'node:module';
import { FaceError } from './errors.js';

/** What the SIZ marker says, read without decoding anything. */
export interface Jpeg2000Header {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly bitsPerSample: number;
  readonly signed: boolean;
}

export interface Jpeg2000Image {
  readonly width: number;
  readonly height: number;
  /** 1 (grey) or 3 (RGB), pixel-interleaved, 8 bits per sample. */
  readonly channels: 1 | 3;
  readonly pixels: Uint8Array;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

export function isJp2(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && JP2_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** A raw codestream starts with SOC (FF4F) followed by SIZ (FF51). */
export function isJ2kCodestream(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51
  );
}

function corrupt(message: string): FaceError {
  return new FaceError('IMAGE_CORRUPT', message);
}

/**
 * Finds the contiguous codestream box (`jp2c`) in a JP2 file (ISO 15444-1 Annex I). Card readers save the chip
 * photo as `.jp2`; the decoder wants the bare codestream, and the SIZ marker inside it gives the dimensions.
 */
export function extractCodestream(bytes: Uint8Array): Uint8Array {
  if (isJ2kCodestream(bytes)) return bytes;
  if (!isJp2(bytes)) throw new FaceError('UNSUPPORTED_FORMAT', 'not a JPEG 2000 file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    let length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    let header = 8;
    if (length === 1) {
      // XLBox: a 64-bit length follows. Anything beyond 2^53 cannot be in memory anyway.
      if (at + 16 > bytes.length) break;
      length = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (length === 0) {
      length = bytes.length - at; // the box runs to the end of the file
    }
    if (length < header || at + length > bytes.length) {
      // A truncated last codestream box still lets the header be checked; the decoder then reports it.
      if (type === 'jp2c') return bytes.subarray(at + header);
      break;
    }
    if (type === 'jp2c') return bytes.subarray(at + header, at + length);
    at += length;
  }
  throw corrupt('JP2 file has no codestream box');
}

/** Reads the SIZ marker segment of a codestream: dimensions and sample format, before any decoding. */
export function readJpeg2000Header(bytes: Uint8Array): Jpeg2000Header {
  const cs = extractCodestream(bytes);
  if (!isJ2kCodestream(cs) || cs.length < 43) throw corrupt('JPEG 2000 codestream has no SIZ marker');
  const view = new DataView(cs.buffer, cs.byteOffset, cs.byteLength);
  const xsiz = view.getUint32(8);
  const ysiz = view.getUint32(12);
  const xosiz = view.getUint32(16);
  const yosiz = view.getUint32(20);
  const components = view.getUint16(40);
  const ssiz = cs[42]!;
  const width = xsiz - xosiz;
  const height = ysiz - yosiz;
  if (width <= 0 || height <= 0 || components === 0) throw corrupt('JPEG 2000 SIZ marker has an empty image');
  return { width, height, components, bitsPerSample: (ssiz & 0x7f) + 1, signed: (ssiz & 0x80) !== 0 };
}

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): FrameInfo;
  decode(): void;
  delete?(): void;
}

interface OpenJpegDecodeModule {
  J2KDecoder: new () => J2KDecoder;
}

let codec: Promise<OpenJpegDecodeModule> | undefined;

function loadCodec(): Promise<OpenJpegDecodeModule> {
  // Emscripten CommonJS factory; in Node its wasm is read from beside the script.
  codec ??= Promise.resolve()
    .then(() => {
      const require = createRequire(import.meta.url);
      const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (options: {
        print: (s: string) => void;
        printErr: (s: string) => void;
      }) => Promise<OpenJpegDecodeModule>;
      // OpenJPEG reports [INFO]/[WARNING] lines through these; they are not for the integrator's console.
      return factory({ print: () => {}, printErr: () => {} });
    })
    .catch((cause: unknown) => {
      codec = undefined;
      throw new FaceError('ENGINE_UNAVAILABLE', 'the JPEG 2000 decoder could not be loaded', { cause });
    });
  return codec;
}

/**
 * Decodes a JP2 file or raw J2K codestream to 8-bit grey or RGB. The caller checks the SIZ dimensions first:
 * OpenJPEG allocates the whole image, so a forged header must be refused before this runs.
 */
export async function decodeJpeg2000(bytes: Uint8Array): Promise<Jpeg2000Image> {
  const header = readJpeg2000Header(bytes);
  if (header.components !== 1 && header.components !== 3) {
    throw new FaceError('UNSUPPORTED_FORMAT', 'JPEG 2000 with this number of components is not supported', {
      details: { components: header.components },
    });
  }
  const cs = extractCodestream(bytes);
  const m = await loadCodec();
  const decoder = new m.J2KDecoder();
  try {
    decoder.getEncodedBuffer(cs.length).set(cs);
    try {
      decoder.decode();
    } catch (cause) {
      throw new FaceError('IMAGE_CORRUPT', 'JPEG 2000 codestream could not be decoded', { cause });
    }
    // The codec does not throw on garbage: an empty or mismatched frame is how it fails.
    const info = decoder.getFrameInfo();
    const channels = info.componentCount;
    if (info.width <= 0 || info.height <= 0 || info.width !== header.width || info.height !== header.height) {
      throw corrupt('JPEG 2000 codestream decoded to an empty or inconsistent image');
    }
    if (channels !== 1 && channels !== 3) throw corrupt('JPEG 2000 decoded to an unexpected component count');
    const samples = info.width * info.height * channels;
    const decoded = decoder.getDecodedBuffer();
    const bytesPerSample = info.bitsPerSample > 8 ? 2 : 1;
    if (decoded.length < samples * bytesPerSample)
      throw corrupt('JPEG 2000 codestream decoded to too few samples');
    return {
      width: info.width,
      height: info.height,
      channels,
      pixels: to8Bit(decoded, samples, info.bitsPerSample, info.isSigned),
    };
  } finally {
    decoder.delete?.();
  }
}

/** Copies samples out of the wasm heap, rescaling deeper or signed samples to unsigned 8 bits. */
function to8Bit(decoded: Uint8Array, samples: number, bits: number, signed: boolean): Uint8Array {
  const out = new Uint8Array(samples);
  if (bits <= 8) {
    const offset = signed ? 1 << (bits - 1) : 0;
    const shift = 8 - bits;
    for (let i = 0; i < samples; i++) {
      const v = signed ? ((decoded[i]! << 24) >> 24) + offset : decoded[i]!;
      out[i] = Math.max(0, Math.min(255, v << shift));
    }
    return out;
  }
  const view = new DataView(decoded.buffer, decoded.byteOffset, samples * 2);
  const offset = signed ? 1 << (bits - 1) : 0;
  const shift = bits - 8;
  for (let i = 0; i < samples; i++) {
    const v = (signed ? view.getInt16(i * 2, true) : view.getUint16(i * 2, true)) + offset;
    out[i] = Math.max(0, Math.min(255, v >> shift));
  }
  return out;
}
