/** Scales and tick marks for the SVG charts (linear with "nice" 1-2-5 steps, or log10). */
export interface Scale {
  (v: number): number;
  ticks: number[];
  log: boolean;
}

export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** A linear scale over [lo, hi] widened to nice tick boundaries, mapped onto [r0, r1]. */
export function linearScale(lo: number, hi: number, r0: number, r1: number, count = 5): Scale {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = a; t <= b + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  const f = ((v: number) => r0 + ((v - a) / (b - a)) * (r1 - r0)) as Scale;
  f.ticks = ticks;
  f.log = false;
  return f;
}

/**
 * A log10 scale over whole decades containing [lo, hi] (lo > 0), with the lower end at least 0.3
 * decades below lo so the smallest bar stays visible; ticks at powers of ten.
 */
export function logScale(lo: number, hi: number, r0: number, r1: number): Scale {
  let a = Math.floor(Math.log10(lo) - 0.3);
  let b = Math.ceil(Math.log10(hi));
  if (b === a) {
    a -= 1;
    b += 1;
  }
  const ticks: number[] = [];
  const decades = b - a;
  const every = Math.max(1, Math.ceil(decades / 8));
  for (let e = a; e <= b; e += every) ticks.push(10 ** e);
  const f = ((v: number) => r0 + ((Math.log10(v) - a) / (b - a)) * (r1 - r0)) as Scale;
  f.ticks = ticks;
  f.log = true;
  return f;
}

export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

/** The y scale for values (non-finite and, on a log axis, non-positive values are ignored). */
export function yScale(values: number[], logY: boolean, r0: number, r1: number, fromZero: boolean): Scale {
  const usable = values.filter((v) => Number.isFinite(v) && (!logY || v > 0));
  if (usable.length === 0) return logY ? logScale(1, 10, r0, r1) : linearScale(0, 1, r0, r1);
  let lo = Math.min(...usable);
  let hi = Math.max(...usable);
  if (logY) return logScale(lo, hi, r0, r1);
  if (fromZero) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
  }
  return linearScale(lo, hi, r0, r1);
}
