import { createRequire } from 'node:module';

// JPEG 2000 encoding with OpenJPEG's wasm build (@cornerstonejs/codec-openjpeg): card-like photos for the card-photo
// simulation, benchmarks and tests. Node-only.

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

let codec: Promise<{ J2KEncoder: new () => J2KEncoder }> | undefined;

function loadEncoder(): Promise<{ J2KEncoder: new () => J2KEncoder }> {
  // An Emscripten CommonJS factory; it finds its wasm beside itself. Its log lines are dropped.
  codec ??= Promise.resolve().then(() => {
    const factory = createRequire(import.meta.url)('@cornerstonejs/codec-openjpeg/wasmjs') as (options: {
      print: (s: string) => void;
      printErr: (s: string) => void;
    }) => Promise<{ J2KEncoder: new () => J2KEncoder }>;
    return factory({ print: () => {}, printErr: () => {} });
  });
  return codec;
}

/** Grey pixels → J2K codestream (9/7 wavelet, one layer, lossy at `ratio`). */
export async function encodeJ2kCodestream(
  grey: Uint8Array,
  width: number,
  height: number,
  ratio: number,
): Promise<Uint8Array> {
  const { J2KEncoder } = await loadEncoder();
  const encoder = new J2KEncoder();
  let codestream: Uint8Array;
  try {
    encoder
      .getDecodedBuffer({
        width,
        height,
        bitsPerSample: 8,
        componentCount: 1,
        isSigned: false,
        isUsingColorTransform: false,
      })
      .set(grey);
    encoder.setQuality(false, 1);
    encoder.setCompressionRatio(0, ratio);
    encoder.encode();
    codestream = new Uint8Array(encoder.getEncodedBuffer()); // copy out of the wasm heap
  } finally {
    encoder.delete?.();
  }
  return codestream;
}

/** A codestream in the JP2 boxes a card reader writes: signature, ftyp, jp2h { ihdr, colr grey }, jp2c. */
export function wrapJp2(codestream: Uint8Array, width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(14);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, height);
  view.setUint32(4, width);
  view.setUint16(8, 1); // one component
  ihdr[10] = 7; // 8 bits, unsigned
  ihdr[11] = 7; // JPEG 2000 compression
  const brand = [0x6a, 0x70, 0x32, 0x20]; // 'jp2 '
  return concat(
    box('jP  ', new Uint8Array([0x0d, 0x0a, 0x87, 0x0a])),
    box('ftyp', new Uint8Array([...brand, 0, 0, 0, 0, ...brand])),
    box('jp2h', box('ihdr', ihdr), box('colr', new Uint8Array([1, 0, 0, 0, 0, 0, 17]))), // enumerated greyscale
    box('jp2c', codestream),
  );
}

/** Grey pixels → a minimal JP2 file, as a card reader saves the chip photo. */
export async function encodeJp2(
  grey: Uint8Array,
  width: number,
  height: number,
  ratio: number,
): Promise<Uint8Array> {
  return wrapJp2(await encodeJ2kCodestream(grey, width, height, ratio), width, height);
}

function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(...payload);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setUint32(0, out.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  return out;
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
