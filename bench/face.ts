import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CalibrationMetrics,
  cardLikePhoto,
  computeMetrics,
  type DerivedProbe,
  type FaceAnalysis,
  FaceEngine,
  type FaceEngineOptionsInput,
  FacePool,
  type LabelledEmbedding,
  pairScores,
  probeScores,
  type ScoreSets,
} from '@mynakit/face';
import sharp from 'sharp';

/**
 * @mynakit/face on CPU (tfjs wasm): per-image latency split into decode / detect / embed, pool throughput, the
 * process's peak RSS per scenario (each in its own child process) and accuracy on a local labelled photo set.
 *
 * Latency, throughput and memory use photos built from `@vladmandic/face-api`'s demo group photos (an npm
 * devDependency of @mynakit/face), so they run anywhere: each face is cut out as an upright booth-like portrait
 * (head and shoulders, 600×800 colour JPEG) and as the card's chip photo (240×320 grey JPEG 2000 ≈ 6 KB).
 * Accuracy needs the labelled set in `FACE_DATA` (default: `../shared/data/faces` beside the checkout) and is
 * skipped without it; those photos are only read, never copied into the project.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
// face-api is a devDependency of @mynakit/face, so it is resolved from that package.
const faceRequire = createRequire(path.resolve(HERE, '..', 'packages', 'face', 'package.json'));
export const FACE_DATA = process.env.FACE_DATA ?? path.resolve(HERE, '..', '..', 'shared', 'data', 'faces');
const BOOTH_WIDTH = 600;
const BOOTH_HEIGHT = 800;
/** Booth framing: the face box is this fraction of the portrait's height. */
const BOOTH_FACE_FRACTION = 0.5;
const POOL_ANALYSES = Number(process.env.BENCH_FACE_POOL_ANALYSES ?? 300);

export interface Stat {
  median: number;
  p90: number;
}

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { median: round(at(0.5)), p90: round(at(0.9)) };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures from the npm sample photos

export interface Fixtures {
  booth: Uint8Array[];
  card: Uint8Array[];
  /** A large camera-like photo (4000×3000 JPEG), to show the analysis downscale bounds memory. */
  large: Uint8Array;
}

/**
 * Fixtures are built once per `pnpm bench` run in a fresh temp dir (so they always come from the current card-photo
 * code) and handed to the RSS child processes through the environment.
 */
const FIXTURE_ENV = 'MYNAKIT_BENCH_FACE_FIXTURES';
function fixtureDir(): string {
  let dir = process.env[FIXTURE_ENV];
  if (dir === undefined) {
    dir = mkdtempSync(path.join(tmpdir(), 'mynakit-bench-face-'));
    process.env[FIXTURE_ENV] = dir;
    const created = dir;
    process.on('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  return dir;
}

function samplePhotos(): Uint8Array[] {
  const dir = path.join(path.dirname(faceRequire.resolve('@vladmandic/face-api/package.json')), 'demo');
  return [1, 2, 3, 4, 5, 6].map((n) => new Uint8Array(readFileSync(path.join(dir, `sample${n}.jpg`))));
}

/** Builds (once, cached in the temp dir) one booth portrait and one card photo per face of the sample photos. */
export async function loadFixtures(): Promise<Fixtures> {
  const dir = fixtureDir();
  const done = path.join(dir, 'done');
  if (!existsSync(done)) {
    const engine = await FaceEngine.create({ softSignals: false });
    // Human reports only the largest face per call through our engine, so faces are found by masking each one.
    let k = 0;
    try {
      for (const sample of samplePhotos()) {
        let photo: Uint8Array = sample;
        for (let i = 0; i < 12; i++) {
          let analysis: FaceAnalysis;
          try {
            analysis = await engine.analyze(photo);
          } catch {
            break;
          }
          const { box } = analysis;
          if (box.width < 40) break;
          photo = await mask(photo, box);
          // Keep a face only when both its portrait and its card photo are still detectable.
          // Human's roll sign is not documented: keep whichever rotation leaves the face more upright.
          let best: { booth: Buffer; analysis: FaceAnalysis } | undefined;
          for (const roll of [-analysis.quality.rollDeg, analysis.quality.rollDeg]) {
            const booth = await boothPortrait(sample, box, roll);
            const b = await engine.analyze(booth).catch(() => undefined);
            if (b && (!best || Math.abs(b.quality.rollDeg) < Math.abs(best.analysis.quality.rollDeg)))
              best = { booth, analysis: b };
          }
          if (best === undefined) continue;
          const booth = best.booth;
          const card = await cardLikePhoto(booth, best.analysis.box)
            .then(async (c) => ((await engine.analyze(c)) ? c : undefined))
            .catch(() => undefined);
          if (card === undefined) continue;
          writeFileSync(path.join(dir, `booth-${k}.jpg`), booth);
          writeFileSync(path.join(dir, `card-${k}.jp2`), card);
          k++;
        }
      }
    } finally {
      await engine.close();
    }
    const large = await sharp(samplePhotos()[0])
      .resize(4000, 3000, { fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer();
    writeFileSync(path.join(dir, 'large.jpg'), large);
    writeFileSync(done, String(k));
  }
  const files = readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const read = (f: string) => new Uint8Array(readFileSync(path.join(dir, f)));
  return {
    booth: files.filter((f) => f.startsWith('booth-')).map(read),
    card: files.filter((f) => f.startsWith('card-')).map(read),
    large: read('large.jpg'),
  };
}

/**
 * A booth-like capture of one face: upright (a booth asks people to look straight; the group photos' tilted faces
 * would also make Human rotate the whole image), face box ≈ half the height, 600×800 colour JPEG.
 */
async function boothPortrait(
  photo: Uint8Array,
  box: { x: number; y: number; width: number; height: number },
  rollDeg: number,
): Promise<Buffer> {
  const cropH = Math.round(box.height / BOOTH_FACE_FRACTION);
  const cropW = Math.round((cropH * BOOTH_WIDTH) / BOOTH_HEIGHT);
  // A square around the face centre, large enough for the portrait at any angle, padded with a backdrop.
  const side = Math.ceil(Math.hypot(cropW, cropH)) + 2;
  const left = Math.round(box.x + box.width / 2 - side / 2);
  const top = Math.round(box.y + box.height / 2 - side / 2);
  const rotated = await sharp(photo).rotate().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = rotated.info;
  const pad = {
    left: Math.max(0, -left),
    top: Math.max(0, -top),
    right: Math.max(0, left + side - width),
    bottom: Math.max(0, top + side - height),
  };
  const background = { r: 230, g: 230, b: 230, alpha: 1 };
  const padded = await sharp(rotated.data, { raw: { width, height, channels } })
    .extend({ ...pad, background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const square = await sharp(padded.data, { raw: padded.info })
    .extract({ left: left + pad.left, top: top + pad.top, width: side, height: side })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // sharp rotates about the centre and grows the canvas: the face centre stays in the middle.
  const upright = await sharp(square.data, { raw: square.info })
    .rotate(rollDeg, { background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const cx = upright.info.width / 2;
  const cy = upright.info.height / 2;
  return sharp(upright.data, { raw: upright.info })
    .extract({
      left: Math.round(cx - cropW / 2),
      top: Math.round(cy - cropH * 0.42),
      width: cropW,
      height: cropH,
    })
    .resize(BOOTH_WIDTH, BOOTH_HEIGHT, { fit: 'fill' })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function mask(
  photo: Uint8Array,
  box: { x: number; y: number; width: number; height: number },
): Promise<Uint8Array> {
  const width = Math.round(box.width);
  const height = Math.round(box.height);
  const patch = await sharp({
    create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } },
  })
    .png()
    .toBuffer();
  const out = await sharp(photo)
    .rotate()
    .composite([{ input: patch, left: Math.max(0, Math.round(box.x)), top: Math.max(0, Math.round(box.y)) }])
    .jpeg({ quality: 95 })
    .toBuffer();
  return new Uint8Array(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Latency and throughput

/** How many analyses the benchmarks keep in flight on a pool: enough to keep both workers busy, within the default queue. */
const IN_FLIGHT = 8;

/** Feeds `images` to the pool with at most IN_FLIGHT outstanding, as a server behind the bounded queue would. */
async function feed(pool: FacePool, images: readonly Uint8Array[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < images.length) await pool.analyze(images[next++] as Uint8Array);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

export interface LatencyRow {
  kind: string;
  engine: string;
  images: number;
  decode: Stat;
  detect: Stat;
  embed: Stat;
  total: Stat;
}

/** One engine, one thread: each image's own timings, after a short warm-up (the first detect costs ≈ 200 ms). */
export async function benchFaceLatency(): Promise<LatencyRow[]> {
  const fixtures = await loadFixtures();
  const booth = 'booth portrait 600×800 JPEG';
  const card = 'card photo 240×320 grey JPEG 2000';
  const setups: { engine: string; options: FaceEngineOptionsInput; kinds: string[] }[] = [
    { engine: 'softSignals: false', options: { softSignals: false }, kinds: [booth, card] },
    { engine: 'softSignals: true (default)', options: { softSignals: true }, kinds: [booth, card] },
  ];
  const rows: LatencyRow[] = [];
  for (const setup of setups) {
    const engine = await FaceEngine.create(setup.options);
    try {
      for (const kind of setup.kinds) {
        const images = kind === booth ? fixtures.booth : fixtures.card;
        for (const image of images.slice(0, 3)) await engine.analyze(image);
        const timings: FaceAnalysis['timings'][] = [];
        // At least 50 measurements: cycle through the images when there are fewer.
        for (let i = 0; i < Math.max(50, images.length); i++) {
          timings.push((await engine.analyze(images[i % images.length] as Uint8Array)).timings);
        }
        rows.push({
          kind,
          engine: setup.engine,
          images: timings.length,
          decode: stat(timings.map((t) => t.decodeMs)),
          detect: stat(timings.map((t) => t.detectMs)),
          embed: stat(timings.map((t) => t.embedMs)),
          total: stat(timings.map((t) => t.decodeMs + t.detectMs + t.embedMs)),
        });
      }
    } finally {
      await engine.close();
    }
  }
  return rows;
}

export interface ThroughputRow {
  setup: string;
  analyses: number;
  seconds: number;
  perSecond: number;
}

/** Images per second: one engine on the main thread, and FacePool with 2 workers kept busy by `feed`. */
export async function benchFaceThroughput(): Promise<ThroughputRow[]> {
  const { booth } = await loadFixtures();
  const images = Array.from({ length: POOL_ANALYSES }, (_, i) => booth[i % booth.length] as Uint8Array);
  const rows: ThroughputRow[] = [];

  const engine = await FaceEngine.create({ softSignals: false });
  try {
    for (const image of booth.slice(0, 3)) await engine.analyze(image);
    const n = Math.min(100, images.length);
    const start = performance.now();
    for (const image of images.slice(0, n)) await engine.analyze(image);
    const seconds = (performance.now() - start) / 1000;
    rows.push({
      setup: 'FaceEngine, 1 thread',
      analyses: n,
      seconds: round(seconds, 2),
      perSecond: round(n / seconds),
    });
  } finally {
    await engine.close();
  }

  for (const softSignals of [false, true]) {
    const pool = await FacePool.create({ size: 2, softSignals });
    try {
      await Promise.all(booth.slice(0, 4).map((image) => pool.analyze(image)));
      const start = performance.now();
      await feed(pool, images);
      const seconds = (performance.now() - start) / 1000;
      rows.push({
        setup: `FacePool size 2${softSignals ? ', soft signals on' : ''}`,
        analyses: images.length,
        seconds: round(seconds, 2),
        perSecond: round(images.length / seconds),
      });
    } finally {
      await pool.close();
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Peak RSS, one child process per scenario

const rssScenarios = {
  'engine: 100 booth portraits': async (f: Fixtures) => {
    const engine = await FaceEngine.create({ softSignals: false });
    for (let i = 0; i < 100; i++) await engine.analyze(f.booth[i % f.booth.length] as Uint8Array);
    await engine.close();
  },
  'engine: 100 card photos': async (f: Fixtures) => {
    const engine = await FaceEngine.create({ softSignals: false });
    for (let i = 0; i < 100; i++) await engine.analyze(f.card[i % f.card.length] as Uint8Array);
    await engine.close();
  },
  'engine with soft signals: 4000×3000 JPEG, then 50 booth portraits': async (f: Fixtures) => {
    const engine = await FaceEngine.create({ softSignals: true });
    await engine.analyze(f.large);
    for (let i = 0; i < 50; i++) await engine.analyze(f.booth[i % f.booth.length] as Uint8Array);
    await engine.close();
  },
  'FacePool size 2: 300 booth portraits': async (f: Fixtures) => {
    const pool = await FacePool.create({ size: 2, softSignals: false });
    await feed(
      pool,
      Array.from({ length: 300 }, (_, i) => f.booth[i % f.booth.length] as Uint8Array),
    );
    await pool.close();
  },
} as const;

type RssScenario = keyof typeof rssScenarios;

export interface RssRow {
  scenario: string;
  maxRssMb: number;
}

/** Runs each scenario in a fresh Node process (same flags as this one) and reads its RSS high-water mark. */
export async function benchFaceRss(): Promise<RssRow[]> {
  await loadFixtures(); // build the fixtures once, outside the measured processes
  const rows: RssRow[] = [];
  for (const scenario of Object.keys(rssScenarios) as RssScenario[]) {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--rss', scenario],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`${scenario}: exit ${code}`)),
      );
    });
    const { maxRssKb } = JSON.parse(out.trim().split('\n').pop() as string) as { maxRssKb: number };
    rows.push({ scenario, maxRssMb: Math.round(maxRssKb / 1024) });
  }
  return rows;
}

async function runRssChild(scenario: string): Promise<void> {
  const run = rssScenarios[scenario as RssScenario];
  if (!run) throw new Error(`unknown scenario ${scenario}`);
  await run(await loadFixtures());
  // maxRSS is in kilobytes and covers the whole process, worker threads included.
  console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
}

// ---------------------------------------------------------------------------------------------------------------
// Accuracy on the labelled local set

export interface AccuracyRow {
  evaluation: string;
  photos: number;
  genuine: number;
  impostor: number;
  eer: number;
  frrAtFar1: number;
  thresholdAtFar1: number;
  reliable: boolean;
}

export interface AccuracyResult {
  rows: AccuracyRow[];
  failures: string[];
}

interface LabelEntry {
  set: string;
  identity: string | null;
  file: string;
}

/** Undefined when the labelled set is absent (it is not in CI). */
export async function benchFaceAccuracy(
  engineOptions: FaceEngineOptionsInput = {},
): Promise<AccuracyResult | undefined> {
  const labelsPath = path.join(FACE_DATA, 'labels.json');
  if (!existsSync(labelsPath)) return undefined;
  const labels = JSON.parse(readFileSync(labelsPath, 'utf8')) as LabelEntry[];
  const engine = await FaceEngine.create({ softSignals: false, ...engineOptions });
  const gallery: (LabelledEmbedding & { set: string })[] = [];
  const probes: (DerivedProbe & { set: string })[] = [];
  const failures: string[] = [];
  try {
    for (const entry of labels) {
      const bytes = new Uint8Array(readFileSync(path.join(FACE_DATA, entry.file)));
      let photo: FaceAnalysis;
      try {
        photo = await engine.analyze(bytes);
      } catch (error) {
        failures.push(`${entry.file}: ${(error as { code?: string }).code ?? String(error)}`);
        continue;
      }
      const source = gallery.length;
      gallery.push({ id: entry.file, identity: entry.identity, embedding: photo.embedding, set: entry.set });
      if (entry.identity === null) continue;
      try {
        const card = await engine.analyze(await cardLikePhoto(bytes, photo.box));
        probes.push({
          id: `${entry.file} (card)`,
          identity: entry.identity,
          embedding: card.embedding,
          source,
          set: entry.set,
        });
      } catch (error) {
        failures.push(`${entry.file} (card): ${(error as { code?: string }).code ?? String(error)}`);
      }
    }
  } finally {
    await engine.close();
  }

  const rows: AccuracyRow[] = [];
  const add = (evaluation: string, photos: number, sets: ScoreSets) => {
    if (sets.genuine.length === 0 || sets.impostor.length === 0) return;
    const m: CalibrationMetrics = computeMetrics(sets);
    rows.push({
      evaluation,
      photos,
      genuine: sets.genuine.length,
      impostor: sets.impostor.length,
      eer: m.eer,
      frrAtFar1: m.atFar1.frr,
      thresholdAtFar1: m.atFar1.threshold,
      reliable: m.atFar1.reliable,
    });
  };
  const setNames = [...new Set(labels.map((l) => l.set))];
  for (const set of setNames) {
    const photos = gallery.filter((g) => g.set === set);
    add(`photo vs photo, set ${set}`, photos.length, pairScores(photos));
  }
  add('photo vs photo, all', gallery.length, pairScores(gallery));
  for (const set of setNames) {
    // Probes keep their index into the whole gallery; restrict the gallery by blanking other sets' identities.
    const restricted = gallery.map((g) => (g.set === set ? g : { ...g, identity: null }));
    add(
      `card photo vs other photos, set ${set}`,
      probes.filter((p) => p.set === set).length,
      probeScores(
        probes.filter((p) => p.set === set),
        restricted,
      ),
    );
  }
  add('card photo vs other photos, all', probes.length, probeScores(probes, gallery));
  return { rows, failures };
}

if (process.argv[2] === '--rss') await runRssChild(process.argv[3] as string);
