import sharp from 'sharp';
import type { FaceBox } from './engine.js';
import { FaceError } from './errors.js';
import { encodeJp2 } from './jpeg2000-encoder.js';

// The card-photo simulation behind `mynakit face calibrate --card-sim` and `pnpm bench face`: a photo made to look like
// the chip's photo, to measure how well a live capture matches it. Node-only (sharp, OpenJPEG's wasm encoder).

/** The chip photo: 240×320, one grey component (the chip photo is monochrome even when the printed one is colour). */
export const CARD_WIDTH = 240;
export const CARD_HEIGHT = 320;
/** 76.8 KB of grey pixels at 13:1 gives about 6 KB, the size of a real chip photo. */
const CARD_COMPRESSION_RATIO = 13;

/** The plain light backdrop of an ID photo, used where the crop reaches past the photo's edge. */
const BACKDROP = { r: 220, g: 220, b: 220, alpha: 1 };

export interface CardPhotoOptions {
  /** Face box height ÷ photo height, in (0, 1]: how tightly the portrait is framed. Default 0.7. */
  faceFraction?: number;
  /** Where the face box's centre sits, as a fraction of the photo height from the top. Default 0.45. */
  faceCentre?: number;
  /** Stretch the grey levels over the full range. Default false (it did not change the measured error rates). */
  normalise?: boolean;
  /** Grey bytes ÷ codestream bytes, ≥ 1. Default 13 (≈ 6 KB). */
  compressionRatio?: number;
}

/**
 * Turns a photo into a card-like photo: a portrait crop around the face (head and shoulders, like an ID photo),
 * 240×320, grey, JPEG 2000 at ≈6 KB. Without a face box, sharp's attention crop picks the region. Ageing and card
 * printing are not simulated (face.md §2).
 */
export async function cardLikePhoto(
  bytes: Uint8Array,
  box?: FaceBox,
  options: CardPhotoOptions = {},
): Promise<Uint8Array> {
  const {
    // An ID photo is head and shoulders with the face ≈ 70 % of its height (the detector box is forehead to chin).
    faceFraction = 0.7,
    faceCentre = 0.45,
    normalise = false,
    compressionRatio = CARD_COMPRESSION_RATIO,
  } = options;
  if (!(faceFraction > 0 && faceFraction <= 1) || !(compressionRatio >= 1) || !Number.isFinite(faceCentre)) {
    throw new FaceError('INVALID_INPUT', 'invalid card photo options', {
      details: { faceFraction, faceCentre, compressionRatio },
    });
  }
  let image: sharp.Sharp;
  if (box !== undefined && box.width > 0 && box.height > 0) {
    // Raw pixels between the steps: re-encoding the intermediate images would add JPEG generations.
    const rotated = await sharp(bytes)
      .rotate()
      .flatten({ background: BACKDROP })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { width, height, channels } = rotated.info;
    const raw = { width, height, channels };
    const cropH = Math.max(1, Math.round(box.height / faceFraction));
    const cropW = Math.max(1, Math.round((cropH * CARD_WIDTH) / CARD_HEIGHT));
    const left = Math.round(box.x + box.width / 2 - cropW / 2);
    const top = Math.round(box.y + box.height / 2 - cropH * faceCentre);
    // A tight crop (e.g. 150×150 around the face) is padded with a plain backdrop rather than zoomed in, so the
    // face keeps its ID-photo scale and the detector still finds it.
    const pad = {
      left: Math.max(0, -left),
      top: Math.max(0, -top),
      right: Math.max(0, left + cropW - width),
      bottom: Math.max(0, top + cropH - height),
    };
    const padded = await sharp(rotated.data, { raw })
      .extend({ ...pad, background: BACKDROP })
      .raw()
      .toBuffer({ resolveWithObject: true });
    image = sharp(padded.data, { raw: padded.info })
      .extract({ left: left + pad.left, top: top + pad.top, width: cropW, height: cropH })
      .resize(CARD_WIDTH, CARD_HEIGHT, { fit: 'fill' });
  } else {
    image = sharp(bytes)
      .rotate()
      .resize(CARD_WIDTH, CARD_HEIGHT, { fit: 'cover', position: sharp.strategy.attention });
  }
  image = image.grayscale();
  if (normalise) image = image.normalise();
  const pixels = await image.raw().toBuffer();
  if (pixels.length !== CARD_WIDTH * CARD_HEIGHT) throw new Error('unexpected grey buffer size');
  return encodeJp2(new Uint8Array(pixels), CARD_WIDTH, CARD_HEIGHT, compressionRatio);
}
