import { linearScale, type Scale, tickLabel, yScale } from './axes.js';
import type { BarChart, Chart, LineChart, ProfileChart } from './chart-types.js';

/**
 * Charts as inline SVG (no script, no external resource): a report opens offline in any browser.
 * Every mark carries a <title> with its exact value (the browser shows it on hover).
 */
const W = 760;
const H = 360;
const M = { left: 70, right: 215, top: 36, bottom: 56 };
/** The bottom of the plot area; rotated category labels make the picture taller below it. */
const PB = H - M.bottom;
/** Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n2 = (v: number) => (Math.round(v * 100) / 100).toString();
const color = (i: number) => COLORS[i % COLORS.length]!;

function frame(chart: Chart, body: string[], y: Scale, xAxis: string[], xLabel: string, height = H): string {
  const x0 = M.left;
  const x1 = W - M.right;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-kind="${chart.kind}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const t of y.ticks) {
    const yy = n2(y(t));
    out.push(`<line x1="${x0}" x2="${x1}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 6}" y="${yy}" dy="4" text-anchor="end" font-size="11">${tickLabel(t)}</text>`);
  }
  out.push(...xAxis, ...body);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${M.top}" y2="${PB}" stroke="#333"/>`);
  out.push(`<line x1="${x0}" x2="${x1}" y1="${PB}" y2="${PB}" stroke="#333"/>`);
  const yl = `${chart.yLabel}${chart.logY ? ' (log scale)' : ''}`;
  out.push(
    `<text transform="translate(16 ${(M.top + PB) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(yl)}</text>`,
  );
  out.push(
    `<text x="${(x0 + x1) / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const ly = M.top + 8 + i * 18;
    out.push(`<rect x="${x1 + 14}" y="${ly - 9}" width="12" height="12" fill="${color(i)}"/>`);
    out.push(
      `<text x="${x1 + 32}" y="${ly + 1}" font-size="12" class="legend">${escapeXml(s.name.slice(0, 28))}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Polyline segments of a series; non-finite points (or <= 0 on a log axis) break the line. */
function paths(points: [number, number][], x: (v: number) => number, y: Scale): string[] {
  const segs: string[] = [];
  let cur: string[] = [];
  for (const [px, py] of points) {
    if (!Number.isFinite(px) || !Number.isFinite(py) || (y.log && py <= 0)) {
      if (cur.length) segs.push(cur.join(' '));
      cur = [];
      continue;
    }
    cur.push(`${cur.length ? 'L' : 'M'}${n2(x(px))},${n2(y(py))}`);
  }
  if (cur.length) segs.push(cur.join(' '));
  return segs;
}

function lineChart(c: LineChart): string {
  const all = c.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]).filter(Number.isFinite);
  const x = linearScale(
    xs.length ? Math.min(...xs) : 0,
    xs.length ? Math.max(...xs) : 1,
    M.left,
    W - M.right,
  );
  const y = yScale(
    all.map((p) => p[1]),
    c.logY === true,
    PB,
    M.top,
    false,
  );
  const xAxis = x.ticks.map(
    (t) => `<text x="${n2(x(t))}" y="${PB + 16}" text-anchor="middle" font-size="11">${tickLabel(t)}</text>`,
  );
  const body = c.series.map((s, i) => {
    const d = paths(s.points, x, y).join(' ');
    return `<path class="series" d="${d}" fill="none" stroke="${color(i)}" stroke-width="1.8"><title>${escapeXml(s.name)}</title></path>`;
  });
  return frame(c, body, y, xAxis, c.xLabel);
}

/** Bars (bar chart) or connected markers (profile) over categorical x positions. */
function categorical(c: BarChart | ProfileChart, categories: string[], bars: boolean): string {
  const x0 = M.left;
  const x1 = W - M.right;
  const band = (x1 - x0) / Math.max(1, categories.length);
  const y = yScale(
    c.series.flatMap((s) => s.values.map((v) => v ?? Number.NaN)),
    c.logY === true,
    PB,
    M.top,
    true, // magnitudes (GB/s, per-layer norms) read best from zero
  );
  const base = y.log ? PB : y(0);
  const step = Math.max(1, Math.ceil(categories.length / 24));
  // labels that do not fit their band (about 6 px per character at 11 px) are drawn at -35 degrees
  const longest = Math.max(...categories.map((c) => c.length), 0);
  const rotate = longest * 6 > band * step;
  const label = (cat: string, j: number) => {
    const cx = n2(x0 + band * (j + 0.5));
    const text = escapeXml(cat.slice(0, 40));
    return rotate
      ? `<text transform="translate(${cx} ${PB + 12}) rotate(-35)" text-anchor="end" font-size="11">${text}</text>`
      : `<text x="${cx}" y="${PB + 16}" text-anchor="middle" font-size="11">${text}</text>`;
  };
  const xAxis = categories.map((cat, j) => (j % step === 0 ? label(cat, j) : ''));
  const height = rotate ? H + Math.ceil(Math.min(40, longest) * 6 * 0.58) : H;
  const body: string[] = [];
  c.series.forEach((s, i) => {
    const marks: string[] = [];
    const pts: [number, number][] = [];
    s.values.forEach((v, j) => {
      const label = `${s.name}, ${categories[j]}: ${v === null ? 'n/a' : v}`;
      if (v === null || !Number.isFinite(v) || (y.log && v <= 0)) {
        pts.push([j, Number.NaN]);
        return;
      }
      if (bars) {
        const w = (band * 0.8) / c.series.length;
        const bx = x0 + band * (j + 0.1) + w * i;
        const top = y(v);
        marks.push(
          `<rect x="${n2(bx)}" y="${n2(Math.min(top, base))}" width="${n2(w)}" height="${n2(Math.abs(base - top))}" fill="${color(i)}"><title>${escapeXml(label)}</title></rect>`,
        );
      } else {
        marks.push(
          `<circle cx="${n2(x0 + band * (j + 0.5))}" cy="${n2(y(v))}" r="3" fill="${color(i)}"><title>${escapeXml(label)}</title></circle>`,
        );
      }
      pts.push([j, v]);
    });
    if (!bars) {
      const d = paths(pts, (j) => x0 + band * (j + 0.5), y).join(' ');
      marks.unshift(`<path d="${d}" fill="none" stroke="${color(i)}" stroke-width="1.5"/>`);
    }
    body.push(`<g class="series">${marks.join('')}</g>`);
  });
  return frame(c, body, y, xAxis, bars ? '' : 'layer', height);
}

export function renderChart(chart: Chart): string {
  switch (chart.kind) {
    case 'line':
      return lineChart(chart);
    case 'bar':
      return categorical(chart, chart.categories, true);
    case 'profile':
      return categorical(chart, chart.layers, false);
  }
}
