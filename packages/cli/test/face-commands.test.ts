import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, FaceEngine } from '@mynakit/face';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { faceCalibrateCommand } from '../src/commands/face-calibrate.js';
import { CARD_HEIGHT, CARD_WIDTH, cardLikePhoto } from '../src/commands/face-card-sim.js';
import { faceCompareCommand } from '../src/commands/face-compare.js';
import { readLabels } from '../src/commands/face-shared.js';

/** face-api's demo group photos, a devDependency of @mynakit/face in this workspace (no local photo set needed). */
const SAMPLES = fileURLToPath(new URL('../../face/node_modules/@vladmandic/face-api/demo/', import.meta.url));
function samplePhoto(n: number): Uint8Array {
  return new Uint8Array(readFileSync(join(SAMPLES, `sample${n}.jpg`)));
}

async function captureStdout(run: () => Promise<void>): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('face commands', () => {
  let dir: string;
  let engine: FaceEngine;
  /** Per person: two photos of one face (different crop, size, brightness) written to `dir`. */
  const people: { id: string; files: string[] }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mynakit-face-cli-'));
    engine = await FaceEngine.create({ softSignals: false });
    for (const n of [1, 2, 3]) {
      const photo = samplePhoto(n);
      const { box } = await engine.analyze(photo);
      const meta = await sharp(photo).rotate().metadata();
      const crop = (margin: number) => {
        const left = Math.max(0, Math.round(box.x - box.width * margin));
        const top = Math.max(0, Math.round(box.y - box.height * margin));
        return sharp(photo)
          .rotate()
          .extract({
            left,
            top,
            width: Math.min(meta.width - left, Math.round(box.width * (1 + 2 * margin))),
            height: Math.min(meta.height - top, Math.round(box.height * (1 + 2 * margin))),
          });
      };
      const a = `person${n}/a.jpg`;
      const b = `person${n}/b.png`;
      mkdirSync(join(dir, `person${n}`), { recursive: true });
      writeFileSync(join(dir, a), await crop(0.5).jpeg({ quality: 90 }).toBuffer());
      writeFileSync(
        join(dir, b),
        await crop(0.8).resize({ width: 300 }).modulate({ brightness: 1.15 }).png().toBuffer(),
      );
      people.push({ id: `p${n}`, files: [a, b] });
    }
    writeFileSync(join(dir, 'group.jpg'), samplePhoto(4));
  }, 180_000);

  afterAll(async () => {
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('makes a card-like photo: 240×320 grey JPEG 2000 of a few KB that still shows the face', async () => {
    const photo = samplePhoto(1);
    const { box } = await engine.analyze(photo);
    const card = await cardLikePhoto(photo, box);
    expect(Array.from(card.subarray(4, 8), (c) => String.fromCharCode(c)).join('')).toBe('jP  ');
    expect(card.length).toBeGreaterThan(3_000);
    expect(card.length).toBeLessThan(9_000);
    const decoded = await decodeImage(card);
    expect(decoded).toMatchObject({ format: 'jp2', originalWidth: CARD_WIDTH, originalHeight: CARD_HEIGHT });
    const analysis = await engine.analyze(card);
    expect(analysis.faces).toBeGreaterThanOrEqual(1);
    // Most of the crop is the face, as on an ID photo.
    expect(analysis.box.height).toBeGreaterThan(CARD_HEIGHT / 4);
  }, 60_000);

  it('reads labels relative to the labels file and refuses malformed ones', async () => {
    const labels = join(dir, 'labels.json');
    writeFileSync(
      labels,
      JSON.stringify([
        { file: 'person1/a.jpg', identity: 'p1', set: 'x' },
        { file: 'group.jpg', identity: null },
      ]),
    );
    expect(await readLabels(labels)).toEqual([
      { file: 'person1/a.jpg', path: join(dir, 'person1/a.jpg'), identity: 'p1' },
      { file: 'group.jpg', path: join(dir, 'group.jpg'), identity: null },
    ]);
    writeFileSync(labels, JSON.stringify([{ file: 'person1/a.jpg', identity: 3 }]));
    await expect(readLabels(labels)).rejects.toThrow();
  });

  it('compare: two photos of one face match, faces of two people do not', async () => {
    const same = JSON.parse(
      await captureStdout(() =>
        faceCompareCommand(join(dir, 'person1/a.jpg'), join(dir, 'person1/b.png'), { json: true }),
      ),
    );
    expect(same).toMatchObject({ match: true, threshold: 0.55 });
    // The wider crop can catch a neighbour's face too; the largest face is the one compared.
    expect(same.faces).toHaveLength(2);
    const other = JSON.parse(
      await captureStdout(() =>
        faceCompareCommand(join(dir, 'person1/a.jpg'), join(dir, 'person2/a.jpg'), {
          json: true,
          threshold: '0.6',
        }),
      ),
    );
    expect(other).toMatchObject({ match: false, threshold: 0.6 });
    expect(other.score).toBeLessThan(same.score);
    await expect(faceCompareCommand('a', 'b', { threshold: 'high' })).rejects.toThrow(/threshold/);
  }, 60_000);

  it('calibrate: pairs, metrics, card simulation and an SVG', async () => {
    const labels = join(dir, 'labels.json');
    writeFileSync(
      labels,
      JSON.stringify([
        ...people.flatMap((p) => p.files.map((file) => ({ file, identity: p.id }))),
        { file: 'group.jpg', identity: null },
      ]),
    );
    const svg = join(dir, 'scores.svg');
    const report = JSON.parse(
      await captureStdout(() => faceCalibrateCommand({ labels, cardSim: true, json: true, svg })),
    );
    expect(report).toMatchObject({ photos: 7, embedded: 7, skippedNullIdentity: 1, failures: [] });
    // 3 people × 1 genuine pair; 6 photos → 15 pairs in all.
    expect(report.photoPairs.pairs).toEqual({ genuine: 3, impostor: 12 });
    expect(report.photoPairs.metrics.eer).toBe(0);
    expect(report.photoPairs.metrics.roc).toBeUndefined();
    // Each of 6 card-like photos against the 5 other labelled photos: 1 genuine, 4 impostors.
    expect(report.cardSim.pairs).toEqual({ genuine: 6, impostor: 24 });
    expect(report.cardSim.metrics.genuine.min).toBeGreaterThan(report.cardSim.metrics.impostor.max);
    const picture = readFileSync(svg, 'utf8');
    expect(picture).toMatch(/^<svg /);
    expect(picture).toContain('genuine (n=6)');
  }, 180_000);
});
