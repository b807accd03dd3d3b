import { describe, expect, it } from 'vitest';
import { computeMetrics, pairScores, probeScores, quantile } from '../src/calibration/metrics.js';
import { scoreHistogramSvg } from '../src/calibration/svg.js';
import { createEmbedding } from '../src/embedding.js';

const emb = (raw: number[]) => createEmbedding(raw, 'm@1', 'p@1');

describe('pair scores from labelled embeddings', () => {
  // Two identities along two axes, a third far away; a null-identity group photo that looks like "a".
  const samples = [
    { id: 'a1', identity: 'a', embedding: emb([1, 0, 0]) },
    { id: 'a2', identity: 'a', embedding: emb([1, 1, 0]) },
    { id: 'b1', identity: 'b', embedding: emb([0, 1, 0]) },
    { id: 'c1', identity: 'c', embedding: emb([0, 0, 1]) },
    { id: 'group', identity: null, embedding: emb([1, 0, 0]) },
  ];

  it('pairs same identities as genuine and different ones as impostor, skipping null identities', () => {
    const sets = pairScores(samples);
    expect(sets.skipped).toBe(1);
    expect(sets.genuine).toHaveLength(1);
    expect(sets.genuine[0]).toBeCloseTo(Math.SQRT1_2, 6);
    // a1–b1 0, a1–c1 0, a2–b1 √½, a2–c1 0, b1–c1 0
    expect(sets.impostor).toHaveLength(5);
    expect([...sets.impostor].sort((x, y) => x - y).map((s) => Number(s.toFixed(6)))).toEqual([
      0,
      0,
      0,
      0,
      Number(Math.SQRT1_2.toFixed(6)),
    ]);
  });

  it('never compares a derived probe with the photo it was made from', () => {
    const probes = [{ id: 'a1-card', identity: 'a', embedding: emb([1, 0, 0]), source: 0 }];
    const sets = probeScores(probes, samples);
    expect(sets.genuine).toHaveLength(1); // only a2
    expect(sets.impostor).toHaveLength(2); // b1, c1; the group photo is skipped
    expect(sets.skipped).toBe(1);
  });
});

describe('computeMetrics', () => {
  it('separable scores give EER 0 with the threshold halfway across the gap', () => {
    const m = computeMetrics({ genuine: [0.9, 0.7, 0.8], impostor: [0.1, 0.3, 0.2] });
    expect(m.eer).toBe(0);
    expect(m.eerThreshold).toBeCloseTo(0.5, 12);
    expect(m.atFar1.frr).toBe(0);
    expect(m.atFar1.far).toBe(0);
    expect(m.genuine).toMatchObject({ count: 3, min: 0.7, max: 0.9, p50: 0.8 });
  });

  it('interpolates the EER of a hand-computed overlapping case', () => {
    // Accept when score ≥ t.  t = 0.6: FAR 1/4 (0.7), FRR 1/5 (0.4).  t = 0.7: FAR 1/4, FRR 2/5.
    // FAR − FRR goes 0.05 → −0.15; a quarter of the way along, FAR = FRR = 0.25 at t = 0.625.
    const m = computeMetrics({ genuine: [0.4, 0.6, 0.8, 0.9, 0.95], impostor: [0.1, 0.2, 0.5, 0.7] });
    expect(m.eer).toBeCloseTo(0.25, 12);
    expect(m.eerThreshold).toBeCloseTo(0.625, 12);
    // FAR ≤ 1 % with 4 impostors means no impostor accepted: the next score above 0.7 is 0.8, rejecting 0.4 and 0.6.
    expect(m.atFar1).toEqual({ threshold: 0.8, far: 0, frr: 0.4, targetFar: 0.01, reliable: false });
    expect(m.suggestedThresholds).toEqual({ eer: m.eerThreshold, far1: 0.8, far01: 0.8 });
  });

  it('takes the middle of a plateau where FAR = FRR', () => {
    // t in (0.3, 0.6]: FAR 1/2 (0.6), FRR 1/2 (0.3).
    const m = computeMetrics({ genuine: [0.3, 0.9], impostor: [0.1, 0.6] });
    expect(m.eer).toBe(0.5);
    expect(m.eerThreshold).toBeCloseTo(0.45, 12);
  });

  it('finds the lowest threshold meeting FAR 1 % and says when there are enough impostors', () => {
    const impostor = Array.from({ length: 100 }, (_, i) => i / 100);
    const m = computeMetrics({ genuine: [0.5, 0.95, 0.97, 0.99], impostor });
    expect(m.atFar1.threshold).toBe(0.99); // only the impostor at 0.99 is accepted: FAR 1 %
    expect(m.atFar1.far).toBe(0.01);
    expect(m.atFar1.frr).toBe(0.75);
    expect(m.atFar1.reliable).toBe(true);
    expect(m.atFar01.far).toBe(0);
    expect(m.atFar01.reliable).toBe(false);
    expect(m.atFar01.threshold).toBeGreaterThan(0.99);
    expect(m.atFar01.frr).toBe(1);
  });

  it('gives a monotone ROC from (FAR 1, FRR 0) to (FAR 0, FRR 1)', () => {
    const m = computeMetrics({ genuine: [0.3, 0.5, 0.5, 0.9], impostor: [0.2, 0.5, 0.6] });
    const first = m.roc[0];
    const last = m.roc[m.roc.length - 1];
    expect(first).toMatchObject({ far: 1, frr: 0 });
    expect(last).toMatchObject({ far: 0, frr: 1 });
    for (let k = 1; k < m.roc.length; k++) {
      const p = m.roc[k - 1];
      const q = m.roc[k];
      expect(q?.threshold).toBeGreaterThan(p?.threshold ?? 0);
      expect(q?.far).toBeLessThanOrEqual(p?.far ?? 0);
      expect(q?.frr).toBeGreaterThanOrEqual(p?.frr ?? 0);
    }
    expect(m.roc).toHaveLength(6); // 5 distinct scores + one above all
  });

  it('refuses empty or non-finite score lists', () => {
    expect(() => computeMetrics({ genuine: [], impostor: [0.1] })).toThrow();
    expect(() => computeMetrics({ genuine: [0.5, Number.NaN], impostor: [0.1] })).toThrow();
  });

  it('quantile interpolates linearly', () => {
    expect(quantile([0, 1, 2, 3], 0.5)).toBe(1.5);
    expect(quantile([0, 10], 0.99)).toBeCloseTo(9.9, 12);
  });
});

/** A tiny XML well-formedness check: tags nest, attributes are quoted, text has no stray `<` or `&`. */
function assertWellFormedXml(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const tag = /<[^>]*>/g;
  let last = 0;
  for (const m of xml.matchAll(tag)) {
    const text = xml.slice(last, m.index);
    expect(text).not.toMatch(/<|&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/);
    last = (m.index ?? 0) + m[0].length;
    const t = m[0];
    const close = /^<\/([A-Za-z][\w:-]*)\s*>$/.exec(t);
    if (close) {
      expect(stack.pop()).toBe(close[1]);
      continue;
    }
    const open = /^<([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*")*)\s*(\/?)>$/.exec(t);
    expect(open, `malformed tag ${t}`).not.toBeNull();
    names.push(open?.[1] as string);
    if (open?.[3] !== '/') stack.push(open?.[1] as string);
  }
  expect(xml.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  return names;
}

describe('scoreHistogramSvg', () => {
  const input = {
    genuine: [0.62, 0.71, 0.74, 0.8, 0.55],
    impostor: [0.1, 0.22, 0.3, 0.31, 0.45, 0.58],
    thresholds: [
      { label: 'EER 0.565', value: 0.565 },
      { label: 'FAR<1% & "strict"', value: 0.6 },
    ],
    title: 'faces <test>',
  };

  it('is well-formed SVG with both histograms and every threshold', () => {
    const svg = scoreHistogramSvg(input);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const names = assertWellFormedXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toContain('class="genuine"');
    expect(svg).toContain('class="impostor"');
    expect(svg.match(/class="threshold"/g)).toHaveLength(2);
    expect(svg).toContain('genuine (n=5)');
    expect(svg).toContain('impostor (n=6)');
    expect(svg).not.toContain('<test>');
  });

  it('is deterministic and changes with its input', () => {
    expect(scoreHistogramSvg(input)).toBe(scoreHistogramSvg({ ...input, genuine: [...input.genuine] }));
    expect(scoreHistogramSvg({ ...input, genuine: [...input.genuine, 0.9] })).not.toBe(
      scoreHistogramSvg(input),
    );
  });

  it('draws each histogram as fractions of its own count', () => {
    // One genuine score and 100 identical impostor scores: both bars reach the top of the plot.
    const svg = scoreHistogramSvg({ genuine: [0.8], impostor: new Array(100).fill(0.2), bins: 10 });
    const heights = [
      ...svg.matchAll(/<g fill="[^"]+" fill-opacity="0.55" class="(\w+)">\n<rect [^>]*height="([\d.]+)"/g),
    ].map((m) => [m[1], m[2]]);
    expect(heights).toHaveLength(2);
    expect(heights[0]?.[1]).toBe(heights[1]?.[1]);
    assertWellFormedXml(svg);
  });

  it('copes with empty lists', () => {
    assertWellFormedXml(scoreHistogramSvg({ genuine: [], impostor: [] }));
  });
});
