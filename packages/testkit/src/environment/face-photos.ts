import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cardLikePhoto, type FaceBox, FaceEngine } from '@mynakit/face';
import sharp from 'sharp';

/*
 * Real face photos for end-to-end tests, demos and examples: face-api's demo photos (an npm dependency), so no
 * local photo set and no download is needed.
 *
 * Every sample (1–6) is a GROUP photo (3–5 faces, 1920 px wide): as a live photo it fails the quality gate with
 * MULTIPLE_FACES. Use `portraitPhoto(n)` for a live photo: a JPEG crop around the largest face that contains one
 * face and passes the default quality gates for every n = 1…6 (measured). The largest faces of the six samples are
 * six different people: `portraitPhoto(1)` vs `cardPhotoOf(samplePhoto(1))` is a genuine pair (cosine ≈ 0.90;
 * 0.81–0.94 over the six), any two different n an impostor pair (cosine 0.34–0.51).
 */

export type SampleNumber = 1 | 2 | 3 | 4 | 5 | 6;

/** Anything that finds the largest face: a `FaceEngine`, a `FacePool`. */
export interface FaceLocator {
  analyze(bytes: Uint8Array): Promise<{ readonly box: FaceBox }>;
}

const require = createRequire(import.meta.url);
const demoDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** The bytes of face-api's `demo/sample<n>.jpg` (a group photo, see above). */
export function samplePhoto(n: SampleNumber): Uint8Array {
  return new Uint8Array(readFileSync(path.join(demoDir, `sample${n}.jpg`)));
}

let sharedEngine: Promise<FaceEngine> | undefined;

/** One FaceEngine per test file (its start costs seconds); close it with `closeFaceEngine` in `afterAll`. */
export function faceEngine(): Promise<FaceEngine> {
  sharedEngine ??= FaceEngine.create({ softSignals: false });
  return sharedEngine;
}

export async function closeFaceEngine(): Promise<void> {
  const engine = sharedEngine;
  sharedEngine = undefined;
  if (engine) await (await engine).close();
}

async function locate(bytes: Uint8Array, locator?: FaceLocator): Promise<FaceBox> {
  return (await (locator ?? (await faceEngine())).analyze(bytes)).box;
}

/**
 * A live-photo stand-in: the largest face of sample `n` with 35 % of the face box around it, as JPEG. Pass a
 * `locator` (your FacePool or FaceEngine) to avoid starting the shared engine.
 */
export async function portraitPhoto(n: SampleNumber, locator?: FaceLocator): Promise<Uint8Array> {
  const bytes = samplePhoto(n);
  const box = await locate(bytes, locator);
  const { width, height } = await sharp(bytes).metadata();
  const margin = 0.35;
  const left = Math.max(0, Math.round(box.x - box.width * margin));
  const top = Math.max(0, Math.round(box.y - box.height * margin));
  const right = Math.min(width, Math.round(box.x + box.width * (1 + margin)));
  const bottom = Math.min(height, Math.round(box.y + box.height * (1 + margin)));
  const crop = await sharp(bytes)
    .extract({ left, top, width: right - left, height: bottom - top })
    .jpeg({ quality: 90 })
    .toBuffer();
  return new Uint8Array(crop);
}

/**
 * The card's chip photo of the person in `bytes`: a 240×320 grey JPEG 2000 (≈ 6 KB) portrait of the largest face,
 * made by @mynakit/face's `cardLikePhoto`. Works on a sample or on a portrait.
 */
export async function cardPhotoOf(bytes: Uint8Array, locator?: FaceLocator): Promise<Uint8Array> {
  return cardLikePhoto(bytes, await locate(bytes, locator));
}

/** A photo with no face at all (a plain 640×480 JPEG): the face engine reports NO_FACE. */
export async function faceFreePhoto(): Promise<Uint8Array> {
  const image = sharp({
    create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 200 } },
  });
  return new Uint8Array(await image.jpeg().toBuffer());
}
