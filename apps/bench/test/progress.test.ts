import { describe, expect, it } from 'vitest';
import { parseResults, stringifyResults, toPlainJson } from '../src/json.js';
import { bar, eta, formatDuration, Progress } from '../src/progress.js';

describe('progress display', () => {
  it('formats durations, bars and the ETA', () => {
    expect([
      formatDuration(0),
      formatDuration(59_400),
      formatDuration(61_000),
      formatDuration(3_720_000),
    ]).toEqual(['0s', '59s', '1m01s', '1h02m']);
    expect(bar(0.5, 10)).toBe('[#####.....]');
    expect(eta(30_000, 0.25)).toBe(90_000);
    expect(Number.isNaN(eta(1000, 0))).toBe(true);
  });

  it('prints throttled plain lines when the output is not a terminal', () => {
    const out: string[] = [];
    let t = 0;
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: false }, () => t, 10_000);
    p.start('kernels', 20);
    for (let i = 0; i < 20; i++) {
      t += 1000;
      p.advance();
    }
    p.finish();
    // a line at each 10% (every 2 units) except 100%, then the closing line
    expect(out).toHaveLength(10);
    expect(out[0]).toMatch(/^kernels \[#+\.+\] 2\/20 10% elapsed 2s ETA 18s\n$/);
    expect(out.at(-1)).toBe('kernels: 20/20 done in 20s\n');
    expect(out.join('')).not.toContain('\x1b');
  });

  it('redraws a status block in place on a terminal', () => {
    const out: string[] = [];
    let t = 0;
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: true, columns: 100 }, () => t);
    p.start('experiments', 2);
    t += 500;
    p.setLive('j1', 'post-ln step 1/10 loss 3.2');
    t += 500;
    p.log('a permanent line');
    const text = out.join('');
    expect(text).toContain('\x1b[2F\x1b[0J'); // moved up over bar + live line, cleared
    expect(text).toContain('a permanent line\n');
    expect(text.endsWith('  post-ln step 1/10 loss 3.2\n')).toBe(true);
  });
});

describe('results JSON', () => {
  it('round-trips NaN and infinities, and reduces values to plain JSON', () => {
    const v = {
      loss: Number.NaN,
      up: Number.POSITIVE_INFINITY,
      down: Number.NEGATIVE_INFINITY,
      xs: [1, Number.NaN],
    };
    expect(parseResults(stringifyResults(v))).toEqual(v);
    expect(toPlainJson({ a: new Float32Array([0.5, 2]), b: undefined, c: [undefined] })).toEqual({
      a: [0.5, 2],
      c: [null],
    });
    expect(() => toPlainJson({ m: new Map() })).toThrow(
      'result.m: expected plain JSON data, got an instance of Map',
    );
    expect(() => toPlainJson({ f: () => 1 })).toThrow('result.f: expected plain JSON data, got a function');
  });
});
