/**
 * An SVG picture of the genuine and impostor score distributions (two histograms, each normalised to its own
 * count so a small genuine set stays visible next to a large impostor set) with threshold lines. No dependencies;
 * the same input gives the same bytes (fixed number formatting, no dates, no random ids).
 */
export interface ScoreHistogramOptions {
  genuine: readonly number[];
  impostor: readonly number[];
  /** Vertical lines, e.g. `{ label: 'EER 0.571', value: 0.571 }`. */
  thresholds?: readonly { label: string; value: number }[];
  title?: string;
  /** Number of bins over the score range (default 40). */
  bins?: number;
  width?: number;
  height?: number;
}

const COLOURS = { genuine: '#2a9d4b', impostor: '#d1495b', threshold: '#1f3a93' };
const THRESHOLD_DASHES = ['6 3', '2 2', '8 3 2 3', '1 3'];

export function scoreHistogramSvg(options: ScoreHistogramOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 360;
  const bins = Math.max(1, Math.floor(options.bins ?? 40));
  const thresholds = options.thresholds ?? [];
  const margin = { left: 56, right: 16, top: 58, bottom: 48 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  // The x range covers every score and threshold, widened to tenths so the axis labels are round numbers.
  const values = [...options.genuine, ...options.impostor, ...thresholds.map((t) => t.value)].filter(
    Number.isFinite,
  );
  let lo = values.length > 0 ? Math.floor(Math.min(...values) * 10) / 10 : 0;
  let hi = values.length > 0 ? Math.ceil(Math.max(...values) * 10) / 10 : 1;
  if (hi <= lo) {
    lo -= 0.1;
    hi += 0.1;
  }
  const binWidth = (hi - lo) / bins;
  const histogram = (scores: readonly number[]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const s of scores) {
      if (!Number.isFinite(s)) continue;
      const k = Math.min(bins - 1, Math.max(0, Math.floor((s - lo) / binWidth)));
      counts[k] = (counts[k] as number) + 1;
    }
    return counts.map((c) => (scores.length === 0 ? 0 : c / scores.length));
  };
  const genuine = histogram(options.genuine);
  const impostor = histogram(options.impostor);
  const top = Math.max(...genuine, ...impostor, 1e-9);

  const x = (v: number) => margin.left + ((v - lo) / (hi - lo)) * plotW;
  const y = (fraction: number) => margin.top + plotH - (fraction / top) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title !== undefined) {
    out.push(
      `<text x="${fmt(width / 2)}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
    );
  }
  for (const [name, fractions] of [
    ['impostor', impostor],
    ['genuine', genuine],
  ] as const) {
    out.push(`<g fill="${COLOURS[name]}" fill-opacity="0.55" class="${name}">`);
    fractions.forEach((f, k) => {
      if (f === 0) return;
      const x0 = x(lo + k * binWidth);
      const x1 = x(lo + (k + 1) * binWidth);
      out.push(
        `<rect x="${fmt(x0)}" y="${fmt(y(f))}" width="${fmt(x1 - x0)}" height="${fmt(y(0) - y(f))}"/>`,
      );
    });
    out.push('</g>');
  }
  // Axes with ticks every 0.1 on x and at 0 / top on y.
  out.push(
    `<g stroke="#333333" fill="none"><path d="M${fmt(margin.left)} ${fmt(margin.top)}V${fmt(y(0))}H${fmt(margin.left + plotW)}"/></g>`,
  );
  out.push('<g fill="#333333" text-anchor="middle">');
  const ticks = Math.round((hi - lo) * 10);
  for (let k = 0; k <= ticks; k++) {
    const v = lo + k / 10;
    out.push(`<text x="${fmt(x(v))}" y="${fmt(y(0) + 16)}">${v.toFixed(1)}</text>`);
  }
  out.push(`<text x="${fmt(margin.left + plotW / 2)}" y="${fmt(height - 8)}">cosine similarity</text>`);
  out.push('</g>');
  out.push(
    `<g fill="#333333" text-anchor="end"><text x="${fmt(margin.left - 6)}" y="${fmt(y(top) + 4)}">${(top * 100).toFixed(1)}%</text><text x="${fmt(margin.left - 6)}" y="${fmt(y(0))}">0%</text></g>`,
  );
  thresholds.forEach((t, k) => {
    if (!Number.isFinite(t.value)) return;
    const tx = fmt(x(t.value));
    const dash = THRESHOLD_DASHES[k % THRESHOLD_DASHES.length] as string;
    out.push(
      `<g stroke="${COLOURS.threshold}" class="threshold"><line x1="${tx}" y1="${fmt(margin.top)}" x2="${tx}" y2="${fmt(y(0))}" stroke-dasharray="${dash}"/></g>`,
    );
    out.push(
      `<text x="${fmt(x(t.value) + 3)}" y="${fmt(margin.top + 12 + 13 * k)}" fill="${COLOURS.threshold}">${escapeXml(t.label)}</text>`,
    );
  });
  // Legend in the top margin, so it never covers a bar.
  const legend = (name: 'genuine' | 'impostor', lx: number, n: number) =>
    `<rect x="${fmt(lx)}" y="26" width="10" height="10" fill="${COLOURS[name]}" fill-opacity="0.55"/><text x="${fmt(lx + 14)}" y="35">${name} (n=${n})</text>`;
  out.push(
    `<g>${legend('genuine', margin.left, options.genuine.length)}${legend('impostor', margin.left + 150, options.impostor.length)}</g>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Two decimals are finer than a pixel; trailing zeros dropped for smaller files. */
function fmt(v: number): string {
  return Number(v.toFixed(2)).toString();
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
