import { writeFile } from 'node:fs/promises';
import {
  type CalibrationMetrics,
  computeMetrics,
  type DerivedProbe,
  type LabelledEmbedding,
  pairScores,
  probeScores,
  type ScoreSets,
  scoreHistogramSvg,
} from '@mynakit/face';
import { emit } from '../output.js';
import { cardLikePhoto } from './face-card-sim.js';
import { openAnalyzer, type PhotoAnalysis, readLabels, readPhoto } from './face-shared.js';

interface Failure {
  file: string;
  stage: 'photo' | 'card-sim';
  code: string;
  message: string;
}

interface Evaluation {
  pairs: { genuine: number; impostor: number };
  metrics: CalibrationMetrics;
}

/**
 * `mynakit face calibrate --labels FILE.json`: embeds every labelled photo, scores all genuine and impostor pairs
 * and prints EER, FRR at FAR 1 % / 0.1 % and suggested thresholds. With `--card-sim`, each photo is also turned into
 * a card-like photo (240×320 grey JPEG 2000 ≈ 6 KB) and compared with the *other* photos: the booth's situation.
 */
export async function faceCalibrateCommand(options: {
  labels: string;
  cardSim?: boolean;
  json?: boolean;
  svg?: string;
  roc?: boolean;
}): Promise<void> {
  const labelled = await readLabels(options.labels);
  const failures: Failure[] = [];
  const gallery: LabelledEmbedding[] = [];
  const probes: DerivedProbe[] = [];
  /** Labelled as one person but more than one face found: the largest was used; worth checking the label. */
  const multipleFaces: string[] = [];
  const analyzer = await openAnalyzer();
  try {
    for (const entry of labelled) {
      const bytes = await readPhoto(entry.path);
      const photo = await attempt(() => analyzer.analyze(bytes), entry.file, 'photo', failures);
      if (photo === undefined) continue;
      if (entry.identity !== null && (photo.faces ?? 1) > 1) multipleFaces.push(entry.file);
      const source = gallery.length;
      gallery.push({ id: entry.file, identity: entry.identity, embedding: photo.embedding });
      if (!options.cardSim || entry.identity === null) continue;
      const card = await attempt(
        async () => analyzer.analyze(await cardLikePhoto(bytes, photo.box)),
        entry.file,
        'card-sim',
        failures,
      );
      if (card !== undefined) {
        probes.push({
          id: `${entry.file} (card)`,
          identity: entry.identity,
          embedding: card.embedding,
          source,
        });
      }
    }
  } finally {
    await analyzer.close();
  }

  const photoSets = pairScores(gallery);
  const cardSets = options.cardSim ? probeScores(probes, gallery) : undefined;
  const photoPairs = evaluate(photoSets);
  const cardSim = cardSets === undefined ? undefined : evaluate(cardSets);
  const shown = cardSim ?? photoPairs;
  const shownSets = cardSets ?? photoSets;

  if (options.svg !== undefined && shown !== undefined) {
    const m = shown.metrics;
    const svg = scoreHistogramSvg({
      genuine: shownSets.genuine,
      impostor: shownSets.impostor,
      title: cardSim ? 'card-like photo vs other photos' : 'photo vs photo',
      thresholds: [
        { label: `EER ${pct(m.eer)} at ${m.eerThreshold.toFixed(3)}`, value: m.eerThreshold },
        {
          label: `FAR≤1%: FRR ${pct(m.atFar1.frr)} at ${m.atFar1.threshold.toFixed(3)}`,
          value: m.atFar1.threshold,
        },
        {
          label: `FAR≤0.1%: FRR ${pct(m.atFar01.frr)} at ${m.atFar01.threshold.toFixed(3)}${m.atFar01.reliable ? '' : ' (few impostors)'}`,
          value: m.atFar01.threshold,
        },
      ],
    });
    await writeFile(options.svg, svg);
  }

  const report = {
    labels: options.labels,
    photos: labelled.length,
    embedded: gallery.length,
    skippedNullIdentity: gallery.filter((g) => g.identity === null).length,
    failures,
    multipleFaces,
    model: gallery[0]?.embedding.model ?? null,
    preprocessing: gallery[0]?.embedding.preprocessing ?? null,
    photoPairs: shrink(photoPairs, options.roc ?? false),
    ...(options.cardSim && { cardSim: shrink(cardSim, options.roc ?? false) }),
  };
  emit(options.json ?? false, report, (r) =>
    [
      `${r.embedded}/${r.photos} photos embedded (${r.skippedNullIdentity} without a single identity, not paired); model ${r.model}, preprocessing ${r.preprocessing}`,
      ...r.failures.map((f) => `  failed (${f.stage}) ${f.file}: ${f.code}`),
      ...r.multipleFaces.map((file) => `  several faces in ${file}: the largest was used`),
      describe('photo vs photo', photoPairs),
      ...(options.cardSim ? [describe('card-like photo vs other photos', cardSim)] : []),
      ...(options.svg !== undefined ? [`histogram written to ${options.svg}`] : []),
    ].join('\n'),
  );
}

function evaluate(sets: ScoreSets): Evaluation | undefined {
  if (sets.genuine.length === 0 || sets.impostor.length === 0) return undefined;
  return {
    pairs: { genuine: sets.genuine.length, impostor: sets.impostor.length },
    metrics: computeMetrics(sets),
  };
}

/** The ROC has a point per distinct score: thousands of lines, so only with --roc. */
function shrink(evaluation: Evaluation | undefined, withRoc: boolean) {
  if (evaluation === undefined) return null;
  if (withRoc) return evaluation;
  const { roc: _roc, ...metrics } = evaluation.metrics;
  return { pairs: evaluation.pairs, metrics };
}

function describe(title: string, e: Evaluation | undefined): string {
  if (e === undefined) return `${title}: not enough genuine and impostor pairs`;
  const m = e.metrics;
  const q = (s: CalibrationMetrics['genuine']) =>
    `min ${s.min.toFixed(3)}  p1 ${s.p01.toFixed(3)}  median ${s.p50.toFixed(3)}  p99 ${s.p99.toFixed(3)}  max ${s.max.toFixed(3)}`;
  return [
    `${title}: ${e.pairs.genuine} genuine, ${e.pairs.impostor} impostor pairs`,
    `  genuine   ${q(m.genuine)}`,
    `  impostor  ${q(m.impostor)}`,
    `  EER ${pct(m.eer)} at threshold ${m.eerThreshold.toFixed(4)}`,
    `  FAR ≤ 1 %:   FRR ${pct(m.atFar1.frr)} at threshold ${m.atFar1.threshold.toFixed(4)}${m.atFar1.reliable ? '' : ' (too few impostor pairs to trust)'}`,
    `  FAR ≤ 0.1 %: FRR ${pct(m.atFar01.frr)} at threshold ${m.atFar01.threshold.toFixed(4)}${m.atFar01.reliable ? '' : ' (too few impostor pairs to trust)'}`,
  ].join('\n');
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(2)} %`;
}

/** A photo the engine refuses (no face, several faces, corrupt) is reported and left out, not fatal. */
async function attempt(
  run: () => Promise<PhotoAnalysis>,
  file: string,
  stage: Failure['stage'],
  failures: Failure[],
): Promise<PhotoAnalysis | undefined> {
  try {
    return await run();
  } catch (error) {
    const code =
      typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'ERROR';
    failures.push({ file, stage, code, message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
