import { describe, expect, it } from 'vitest';
import { linearScale, logScale, niceStep, tickLabel } from '../src/report/axes.js';
import { escapeXml, renderChart } from '../src/report/svg.js';
import { findAll, parseXml } from './xml.js';

describe('axes', () => {
  it('picks 1-2-5 steps and widens a linear domain to whole steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.7, 5)).toBeCloseTo(0.2, 12);
    expect(niceStep(4500, 5)).toBe(1000);
    const s = linearScale(0.3, 9.2, 0, 100);
    expect(s.ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(s(0)).toBe(0);
    expect(s(10)).toBe(100);
    expect(s(5)).toBe(50);
  });

  it('handles a constant series and maps a log domain by decades', () => {
    expect(linearScale(3, 3, 0, 1).ticks.length).toBeGreaterThan(1);
    const l = logScale(0.02, 300, 100, 0); // y axis: larger values higher up (smaller pixel y)
    expect(l.ticks).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(l(0.01)).toBe(100);
    expect(l(1000)).toBe(0);
    expect(l(10)).toBeCloseTo(100 - (3 / 5) * 100, 9);
    expect([tickLabel(1000), tickLabel(1e6), tickLabel(0.5), tickLabel(1e-4)]).toEqual([
      '1000',
      '1e6',
      '0.5',
      '1e-4',
    ]);
  });
});

describe('renderChart', () => {
  const parse = (svg: string) => findAll(parseXml(svg), 'svg')[0]!;

  it('draws a log-y line chart whose NaN and non-positive points break the line', () => {
    const svg = parse(
      renderChart({
        kind: 'line',
        title: 'loss <post-LN & pre-LN>',
        xLabel: 'step',
        yLabel: 'loss',
        logY: true,
        series: [
          {
            name: 'post',
            points: [
              [0, 10],
              [1, 1],
              [2, Number.NaN],
              [3, 0.1],
              [4, 0.01],
            ],
          },
          {
            name: 'pre',
            points: [
              [0, 5],
              [1, -1],
              [2, 0.5],
            ],
          },
        ],
      }),
    );
    expect(svg.attrs['data-kind']).toBe('line');
    const paths = findAll(svg, 'path').filter((p) => p.attrs.class === 'series');
    // each series: two segments ("M.. L.." then "M.. L.." / "M.." and "M..")
    expect(paths.map((p) => (p.attrs.d!.match(/M/g) ?? []).length)).toEqual([2, 2]);
    expect(findAll(svg, 'text').some((t) => t.text === 'loss (log scale)')).toBe(true);
    expect(findAll(svg, 'title')[0]!.text).toBe('loss <post-LN & pre-LN>');
  });

  it('draws grouped bars from zero, skipping null values, with a title on every bar', () => {
    const svg = parse(
      renderChart({
        kind: 'bar',
        title: 'GB/s',
        yLabel: 'GB/s',
        categories: ['ln fwd', 'ln bwd'],
        series: [
          { name: 'normkit', values: [3, 4] },
          { name: 'ort', values: [12, null] },
        ],
      }),
    );
    const bars = findAll(svg, 'rect').filter((r) => findAll(r, 'title').length === 1);
    expect(bars).toHaveLength(3);
    const h = (i: number) => Number(bars[i]!.attrs.height);
    expect(h(2) / h(0)).toBeCloseTo(12 / 3, 1); // heights proportional to values (axis from 0)
    expect(findAll(bars[2]!, 'title')[0]!.text).toBe('ort, ln fwd: 12');
  });

  it('draws a per-layer profile with one marker per known value', () => {
    const svg = parse(
      renderChart({
        kind: 'profile',
        title: 'grad norm',
        yLabel: '|g|',
        logY: true,
        layers: ['h.0', 'h.1', 'h.2'],
        series: [{ name: 'post', values: [1, 10, null] }],
      }),
    );
    expect(findAll(svg, 'circle')).toHaveLength(2);
    expect(findAll(svg, 'text').map((t) => t.text)).toEqual(
      expect.arrayContaining(['h.0', 'h.1', 'h.2', 'layer']),
    );
  });

  it('escapes markup in every label', () => {
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
    const svg = renderChart({
      kind: 'bar',
      title: '<script>',
      yLabel: 'y',
      categories: ['<x>'],
      series: [{ name: '&', values: [1] }],
    });
    expect(svg).not.toContain('<script>');
    expect(() => parseXml(svg)).not.toThrow();
  });
});
