// Runs in Chromium: Human's ESM build (served locally) + @mynakit/face/browser on face-api's demo group photo.
import {
  type BrowserFaceAnalysis,
  type BrowserFaceEngine,
  createBrowserFaceEngine,
  type FaceBox,
  faceHumanConfig,
} from '@mynakit/face/browser';

/** Human's class comes from its ESM build at run time; the type from what the engine accepts. */
type Human = Parameters<typeof createBrowserFaceEngine>[0];

interface Input {
  humanUrl: string;
  modelBasePath: string;
  wasmPath: string;
  photoUrl: string;
  backend: 'wasm' | 'webgl';
}

/** Draws `box` grown by `margin` × its size per side onto a canvas scaled by `scale`, with a CSS filter. */
function cropCanvas(image: HTMLImageElement, box: FaceBox, margin: number, scale: number, filter = 'none') {
  const left = Math.max(0, Math.round(box.x - box.width * margin));
  const top = Math.max(0, Math.round(box.y - box.height * margin));
  const right = Math.min(image.naturalWidth, Math.round(box.x + box.width * (1 + margin)));
  const bottom = Math.min(image.naturalHeight, Math.round(box.y + box.height * (1 + margin)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round((right - left) * scale);
  canvas.height = Math.round((bottom - top) * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.filter = filter;
  ctx.drawImage(image, left, top, right - left, bottom - top, 0, 0, canvas.width, canvas.height);
  return canvas;
}

const summary = (a: BrowserFaceAnalysis) => ({
  faces: a.faces,
  box: a.box,
  model: a.embedding.model,
  preprocessing: a.embedding.preprocessing,
  vector: Array.from(a.embedding.vector),
  interEyePx: a.quality.interEyePx,
});

async function run(input: Input) {
  const started = performance.now();
  const { Human: HumanClass } = (await import(input.humanUrl)) as {
    Human: new (config: object) => Human;
  };
  const human = new HumanClass(
    faceHumanConfig({
      backend: input.backend,
      modelBasePath: input.modelBasePath,
      wasmPath: input.wasmPath,
      softSignals: false,
    }),
  );
  // Without the returned crop the engine has nothing to embed the §2 way: refused before any model loads.
  let badConfig = '';
  try {
    const config = faceHumanConfig({ ...input, softSignals: false });
    await createBrowserFaceEngine(
      new HumanClass({
        ...config,
        face: { ...config.face, detector: { ...config.face?.detector, return: false } },
      }),
    );
  } catch (error) {
    const { code, details } = error as { code?: string; details?: { reason?: string } };
    badConfig = `${code}/${details?.reason}`;
  }
  let engine: BrowserFaceEngine | undefined;
  try {
    engine = await createBrowserFaceEngine(human);
    const loadMs = performance.now() - started;
    const image = new Image();
    image.src = input.photoUrl;
    await image.decode();

    const everyone = await engine.analyzeAll(image);
    const [first, second] = everyone;
    if (!first || !second) throw new Error(`expected a group photo, found ${everyone.length} face(s)`);
    // Two views of the largest face (tight at full size; loose, smaller and brighter) and the next person.
    const genuineA = cropCanvas(image, first.box, 0.5, 1);
    const genuineB = cropCanvas(image, first.box, 0.8, 0.7, 'brightness(1.2) contrast(0.9)');
    const impostor = cropCanvas(image, second.box, 0.5, 1);
    const a = await engine.analyze(genuineA);
    const b = await engine.analyze(genuineB);
    const c = await engine.analyze(impostor);

    let noFace = '';
    try {
      const blank = document.createElement('canvas');
      blank.width = 320;
      blank.height = 240;
      blank.getContext('2d')!.fillRect(0, 0, 320, 240);
      await engine.analyze(blank);
    } catch (error) {
      noFace = (error as { code?: string }).code ?? String(error);
    }

    return {
      backend: engine.backend,
      humanVersion: human.version,
      loadMs,
      image: { width: image.naturalWidth, height: image.naturalHeight },
      everyone: everyone.map((f) => ({ box: f.box, faces: f.faces })),
      genuineA: summary(a),
      genuineB: summary(b),
      impostor: summary(c),
      // Lossless, so Node decodes exactly the pixels this page analysed.
      genuineAPng: genuineA.toDataURL('image/png').split(',')[1]!,
      noFace,
      badConfig,
    };
  } finally {
    engine?.close();
  }
}

(globalThis as { runFace?: typeof run }).runFace = run;
