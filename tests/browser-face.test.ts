import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cosineSimilarity,
  createEmbedding,
  FACE_EMBEDDING_MODEL,
  FACE_EMBEDDING_PREPROCESSING,
  FaceEngine,
} from '@mynakit/face';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, launchChromium } from './support/browser.js';

// Human, its models, the tfjs wasm binaries and the photos are the face package's own dependencies.
const faceRequire = createRequire(fileURLToPath(new URL('../packages/face/package.json', import.meta.url)));
const humanRoot = path.resolve(path.dirname(faceRequire.resolve('@vladmandic/human')), '..');
const roots: Record<string, string> = {
  '/human/': path.join(humanRoot, 'dist'),
  '/models/': path.join(humanRoot, 'models'),
  '/wasm/': path.join(
    path.dirname(faceRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist',
  ),
  '/photos/': path.join(path.dirname(faceRequire.resolve('@vladmandic/face-api/package.json')), 'demo'),
};
const types: Record<string, string> = {
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
};

/** Static files from the roots above plus the page and its bundle, on 127.0.0.1 only (no network in tests). */
async function serve(bundle: string): Promise<{ url: string; server: Server; misses: string[] }> {
  const misses: string[] = [];
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><script type="module" src="/face.js"></script>');
      return;
    }
    if (url === '/face.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(bundle);
      return;
    }
    const prefix = Object.keys(roots).find((p) => url.startsWith(p));
    if (!prefix) {
      res.writeHead(404).end(); // e.g. the browser's own /favicon.ico
      return;
    }
    const name = path.basename(url.slice(prefix.length));
    try {
      const body = readFileSync(path.join(roots[prefix]!, name));
      res.writeHead(200, { 'content-type': types[path.extname(name)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      misses.push(url);
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, misses };
}

interface FaceSummary {
  faces: number;
  box: { x: number; y: number; width: number; height: number };
  model: string;
  preprocessing: string;
  vector: number[];
  interEyePx: number;
}

interface RunResult {
  backend: string;
  humanVersion: string;
  loadMs: number;
  image: { width: number; height: number };
  everyone: { box: FaceSummary['box']; faces: number }[];
  genuineA: FaceSummary;
  genuineB: FaceSummary;
  impostor: FaceSummary;
  genuineAPng: string;
  noFace: string;
  badConfig: string;
}

const embedding = (s: FaceSummary) => createEmbedding(s.vector, s.model, s.preprocessing);

describe('@mynakit/face/browser in headless Chromium', () => {
  it('embeds faces with Human’s ESM build on the wasm backend, comparable with the Node engine', async () => {
    const bundle = await bundleForBrowser(fileURLToPath(new URL('./browser/face-entry.ts', import.meta.url)));
    expect(bundle).not.toMatch(/from ["']node:/);
    expect(bundle).not.toMatch(/\bsharp\b|worker_threads/);
    const page = await serve(bundle);
    const browser = await launchChromium();
    let result: RunResult;
    const consoleErrors: string[] = [];
    try {
      const tab = await browser.newPage();
      tab.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      await tab.goto(page.url);
      await tab.waitForFunction(() => typeof (globalThis as { runFace?: unknown }).runFace === 'function');
      result = (await tab.evaluate(
        (arg) => (globalThis as unknown as { runFace: (i: unknown) => Promise<unknown> }).runFace(arg),
        {
          humanUrl: `${page.url}human/human.esm.js`,
          modelBasePath: `${page.url}models/`,
          wasmPath: `${page.url}wasm/`,
          photoUrl: `${page.url}photos/sample1.jpg`,
          backend: 'wasm',
        },
      )) as RunResult;
    } finally {
      await browser.close();
      page.server.close();
    }
    expect(page.misses, consoleErrors.join('\n')).toEqual([]);
    expect(result.backend).toBe('wasm');

    // The group photo: several faces, boxes inside the image, largest first.
    expect(result.everyone.length).toBeGreaterThanOrEqual(3);
    for (const { box, faces } of result.everyone) {
      expect(faces).toBe(result.everyone.length);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(result.image.width + 1);
    }
    const areas = result.everyone.map(({ box }) => box.width * box.height);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));

    // Tagged exactly like the Node engine's embeddings.
    for (const s of [result.genuineA, result.genuineB, result.impostor]) {
      expect([s.model, s.preprocessing]).toEqual([FACE_EMBEDDING_MODEL, FACE_EMBEDDING_PREPROCESSING]);
      expect(s.vector).toHaveLength(1024);
      expect(Math.hypot(...s.vector)).toBeCloseTo(1, 4);
    }
    expect(result.noFace).toBe('NO_FACE');
    expect(result.badConfig).toBe('INVALID_INPUT/HUMAN_CONFIG');

    // Two views of one face score above two different people.
    const a = embedding(result.genuineA);
    const b = embedding(result.genuineB);
    const c = embedding(result.impostor);
    const genuine = cosineSimilarity(a, b);
    const impostor = Math.max(cosineSimilarity(a, c), cosineSimilarity(b, c));
    expect(genuine).toBeGreaterThan(impostor);
    expect(genuine).toBeGreaterThan(0.6);

    // The Node engine on the very pixels the page analysed: same face, nearly the same embedding.
    const engine = await FaceEngine.create({ backend: 'wasm', softSignals: false });
    try {
      const node = await engine.analyze(new Uint8Array(Buffer.from(result.genuineAPng, 'base64')));
      const cross = cosineSimilarity(node.embedding, a);
      console.info(
        `browser-face: load ${result.loadMs.toFixed(0)} ms, genuine ${genuine.toFixed(3)}, impostor ${impostor.toFixed(3)}, node↔browser 1 − ${(1 - cross).toExponential(1)}`,
      );
      expect(node.box.x).toBeCloseTo(result.genuineA.box.x, 0);
      // Observed: identical to the last bit with the wasm backend (webgl under --disable-gpu: 1 − 8e-12).
      expect(cross).toBeGreaterThan(0.9999);
    } finally {
      await engine.close();
    }
  }, 90_000);
});
