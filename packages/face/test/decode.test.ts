import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, sniffFormat } from '../src/decode.js';
import { FaceError, type FaceErrorCode } from '../src/errors.js';
import { readJpeg2000Header } from '../src/jpeg2000.js';
import { encodeJ2kCodestream as encodeJ2k, wrapJp2 } from '../src/jpeg2000-encoder.js';

async function expectFaceError(promise: Promise<unknown>, code: FaceErrorCode): Promise<FaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FaceError);
  expect((error as FaceError).code).toBe(code);
  return error as FaceError;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  body.set(new TextEncoder().encode(type));
  body.set(data, 4);
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(body, 4);
  dv.setUint32(8 + data.length, crc32(body));
  return out;
}

/**
 * A PNG claiming width × height RGB pixels: signature, IHDR, a small IDAT of deflated zeros (what a real
 * decompression bomb carries, a few hundred bytes), IEND.
 */
function pngBomb(width: number, height: number, withData = true): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(withData ? [chunk('IDAT', deflateSync(new Uint8Array(1 << 20), { level: 9 }))] : []),
    chunk('IEND', new Uint8Array(0)),
  ];
  return Buffer.concat(parts);
}

/** A J2K main header (SOC + SIZ) claiming width × height grey pixels, followed by `tail`. */
function j2kHeader(width: number, height: number, tail = new Uint8Array(0)): Uint8Array {
  const siz = new Uint8Array(4 + 38 + 3);
  const dv = new DataView(siz.buffer);
  dv.setUint16(0, 0xff4f); // SOC
  dv.setUint16(2, 0xff51); // SIZ
  dv.setUint16(4, 41); // Lsiz
  dv.setUint32(8, width);
  dv.setUint32(12, height);
  dv.setUint32(24, width); // one tile
  dv.setUint32(28, height);
  dv.setUint16(40, 1); // Csiz
  siz[42] = 7; // 8-bit unsigned
  siz[43] = 1;
  siz[44] = 1;
  return Buffer.concat([siz, tail]);
}

function gradient(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px[y * width + x] = (x * 2 + y) & 0xff;
  return px;
}

describe('sniffFormat', () => {
  it('recognises the accepted containers by their magic bytes', async () => {
    const rgb = { create: { width: 8, height: 8, channels: 3 as const, background: '#808080' } };
    expect(sniffFormat(await sharp(rgb).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffFormat(await sharp(rgb).png().toBuffer())).toBe('png');
    expect(sniffFormat(await sharp(rgb).webp().toBuffer())).toBe('webp');
    const cs = await encodeJ2k(gradient(64, 64), 64, 64, 4);
    expect(sniffFormat(cs)).toBe('j2k');
    expect(sniffFormat(wrapJp2(cs, 64, 64))).toBe('jp2');
    expect(sniffFormat(await sharp(rgb).gif().toBuffer())).toBeUndefined();
    expect(sniffFormat(new Uint8Array(0))).toBeUndefined();
  });
});

describe('decodeImage', () => {
  it('refuses a decompression bomb from its PNG header', async () => {
    for (const bomb of [pngBomb(30_000, 30_000), pngBomb(30_000, 30_000, false)]) {
      expect(bomb.length).toBeLessThan(2000);
      const error = await expectFaceError(decodeImage(bomb), 'IMAGE_TOO_LARGE');
      expect(error.details).toMatchObject({ width: 30_000, height: 30_000 });
    }
    // Within the dimension limit, the pixel-count limit refuses it just the same.
    await expectFaceError(decodeImage(pngBomb(10_000, 10_000)), 'IMAGE_TOO_LARGE');
  });

  it('refuses a JPEG 2000 whose SIZ marker claims too many pixels, in both containers', async () => {
    const cs = j2kHeader(30_000, 30_000, new Uint8Array([0xff, 0xd9]));
    expect(readJpeg2000Header(cs)).toMatchObject({ width: 30_000, height: 30_000, components: 1 });
    await expectFaceError(decodeImage(cs), 'IMAGE_TOO_LARGE');
    await expectFaceError(decodeImage(wrapJp2(cs, 30_000, 30_000)), 'IMAGE_TOO_LARGE');
  });

  it('enforces the byte and dimension limits given to it', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const bytes = await expectFaceError(decodeImage(png, { maxBytes: png.length - 1 }), 'IMAGE_TOO_LARGE');
    expect(bytes.details).toMatchObject({ bytes: png.length, maxBytes: png.length - 1 });
    await expectFaceError(decodeImage(png, { maxDimension: 299 }), 'IMAGE_TOO_LARGE');
    await expectFaceError(decodeImage(png, { maxPixels: 300 * 200 - 1 }), 'IMAGE_TOO_LARGE');
    await expect(decodeImage(png, { maxPixels: 300 * 200 })).resolves.toMatchObject({
      width: 300,
      height: 200,
    });
  });

  it('gives typed reasons for unknown, corrupt and truncated input', async () => {
    await expectFaceError(decodeImage(new TextEncoder().encode('not an image at all')), 'UNSUPPORTED_FORMAT');
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    await expectFaceError(decodeImage(gif), 'UNSUPPORTED_FORMAT');
    const garbage = new Uint8Array(2000).map((_, i) => (i * 7919) & 0xff);
    garbage.set([0xff, 0xd8, 0xff, 0xe0]);
    await expectFaceError(decodeImage(garbage), 'IMAGE_CORRUPT');
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#a0b0c0' } })
      .composite([{ input: Buffer.from(gradient(400, 300)), raw: { width: 400, height: 300, channels: 1 } }])
      .jpeg()
      .toBuffer();
    await expectFaceError(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), 'IMAGE_CORRUPT');
    const png = await sharp(Buffer.from(gradient(64, 64)), { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toBuffer();
    await expectFaceError(decodeImage(png.subarray(0, png.length - 40)), 'IMAGE_CORRUPT');
  });

  it('rejects JPEG 2000 garbage that the codec would not throw on', async () => {
    await expectFaceError(decodeImage(j2kHeader(64, 64, new Uint8Array(50).fill(0x33))), 'IMAGE_CORRUPT');
    await expectFaceError(decodeImage(new Uint8Array([0xff, 0x4f, 0xff, 0x51, 0, 1])), 'IMAGE_CORRUPT');
    const jp2WithoutCodestream = wrapJp2(new Uint8Array(0), 10, 10).subarray(0, 45);
    await expectFaceError(decodeImage(jp2WithoutCodestream), 'IMAGE_CORRUPT');
  });

  it('decodes monochrome JPEG 2000 (.jp2 and raw codestream) to grey RGB', async () => {
    const grey = gradient(240, 320);
    const cs = await encodeJ2k(grey, 240, 320, 8);
    for (const [bytes, format] of [
      [cs, 'j2k'],
      [wrapJp2(cs, 240, 320), 'jp2'],
    ] as const) {
      const image = await decodeImage(bytes);
      expect(image).toMatchObject({
        format,
        width: 240,
        height: 320,
        originalWidth: 240,
        originalHeight: 320,
      });
      expect(image.pixels.length).toBe(240 * 320 * 3);
      let error = 0;
      for (let i = 0; i < grey.length; i++) {
        const r = image.pixels[i * 3]!;
        expect(image.pixels[i * 3 + 1]).toBe(r);
        expect(image.pixels[i * 3 + 2]).toBe(r);
        error += Math.abs(r - grey[i]!);
      }
      expect(error / grey.length).toBeLessThan(8); // lossy, but the same picture
    }
  });

  it('applies EXIF rotation and shrinks large images to the analysis size', async () => {
    const tall = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#ff0000' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    await expect(decodeImage(tall)).resolves.toMatchObject({ width: 20, height: 60, originalWidth: 20 });
    const big = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: '#00ff00' } })
      .webp()
      .toBuffer();
    const image = await decodeImage(big);
    expect(image).toMatchObject({ format: 'webp', width: 1024, height: 512, originalWidth: 3000 });
    expect(image.scale).toBeCloseTo(3000 / 1024, 5);
    expect(image.pixels.length).toBe(1024 * 512 * 3);
    const small = await decodeImage(big, { maxAnalysisSide: 300 });
    expect(Math.max(small.width, small.height)).toBe(300);
  });

  it('outputs RGB for grey and transparent PNGs', async () => {
    const grey = await sharp(Buffer.from(gradient(32, 16)), { raw: { width: 32, height: 16, channels: 1 } })
      .png()
      .toBuffer();
    const g = await decodeImage(grey);
    expect(g.pixels.length).toBe(32 * 16 * 3);
    expect([g.pixels[3 * 5], g.pixels[3 * 5 + 1], g.pixels[3 * 5 + 2]]).toEqual([10, 10, 10]);
    const transparent = await sharp({
      create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const t = await decodeImage(transparent);
    expect(t.pixels.length).toBe(8 * 8 * 3);
    expect(t.pixels[0]).toBe(255); // flattened onto white
  });
});
