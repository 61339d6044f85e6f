/**
 * The kernel table's cases. A shape [M, D] is the activation of a transformer layer (M = B*T rows of
 * D features). Each norm sees it in the layout where that norm is used:
 *   layerNorm, rmsNorm: x [M, D], normalized over D (one row = one token); weight, bias [D]
 *   batchNorm:          x [M, D] as BatchNorm1d, channels C = D on axis 1, statistics over M
 *   groupNorm:          x [M/32, 32, D] (N, C = 32, spatial D), 8 groups of 4 channels, weight [32]
 *   instanceNorm:       x [M/32, 32, D], one instance per (n, c) plane of D values, weight [32]
 * Bytes are the algorithmic traffic: every tensor read once and every tensor written once
 * (float32 activations and parameters, float64 saved statistics, as normkit stores them).
 */
export const NORM_OPS = [
  'layerNorm',
  'rmsNorm',
  'batchNorm',
  'batchNormEval',
  'groupNorm',
  'instanceNorm',
] as const;
export type NormOp = (typeof NORM_OPS)[number];
export type Pass = 'forward' | 'backward';

export interface NormCase {
  op: NormOp;
  pass: Pass;
  shape: [number, number];
}

export const GROUP_CHANNELS = 32;
export const NUM_GROUPS = 8;
export const EPS = 1e-5;

export interface Layout {
  /** The shape x has for this op. */
  xShape: number[];
  /** Length of weight/bias (features or channels). */
  params: number;
  /** Number of saved statistics (rows, channels or groups). */
  stats: number;
  /** Human description for the table's layout column. */
  text: string;
}

export function layoutOf(op: NormOp, shape: readonly [number, number]): Layout {
  const [M, D] = shape;
  switch (op) {
    case 'layerNorm':
    case 'rmsNorm':
      return { xShape: [M, D], params: D, stats: M, text: `[${M},${D}] over D` };
    case 'batchNorm':
    case 'batchNormEval':
      return { xShape: [M, D], params: D, stats: D, text: `[${M},${D}] C=${D}` };
    case 'groupNorm':
    case 'instanceNorm': {
      const C = M % GROUP_CHANNELS === 0 ? GROUP_CHANNELS : 1;
      const N = M / C;
      const stats = op === 'groupNorm' ? N * (C === 1 ? 1 : NUM_GROUPS) : N * C;
      const what = op === 'groupNorm' ? `G=${C === 1 ? 1 : NUM_GROUPS}` : 'per plane';
      return { xShape: [N, C, D], params: C, stats, text: `[${N},${C},${D}] ${what}` };
    }
  }
}

/** Groups for groupNorm in this layout (1 when the channels do not split into NUM_GROUPS). */
export function groupsOf(layout: Layout): number {
  return layout.params === GROUP_CHANNELS ? NUM_GROUPS : 1;
}

/**
 * (bytes read + bytes written) of one call. E = activation elements, P = parameter length,
 * S = saved statistics. Forward reads x and the parameters, writes y and the statistics; backward
 * reads dy, x, the statistics and the weight, writes dx and the parameter gradients. batchNorm's
 * training forward also reads and writes the running mean and variance.
 */
export function bytesOf(c: NormCase): number {
  const L = layoutOf(c.op, c.shape);
  const E = c.shape[0] * c.shape[1];
  const P = L.params;
  const S = L.stats;
  const f32 = 4;
  const f64 = 8;
  const hasBias = c.op !== 'rmsNorm';
  const paramTensors = hasBias ? 2 : 1;
  const statTensors = c.op === 'rmsNorm' ? 1 : 2;
  if (c.pass === 'forward') {
    let bytes = 2 * E * f32 + paramTensors * P * f32 + statTensors * S * f64;
    if (c.op === 'batchNorm') bytes += 4 * P * f32; // running mean and var, read and written
    if (c.op === 'batchNormEval') bytes += 2 * P * f32; // running mean and var, read
    return bytes;
  }
  return 3 * E * f32 + statTensors * S * f64 + P * f32 + paramTensors * P * f32;
}

export function caseLabel(c: NormCase): string {
  return `${c.op} ${c.pass} [${c.shape.join(',')}]`;
}

/** Backward passes exist for every op but batchNormEval (eval mode is affine: not benchmarked). */
export function normCases(
  shapes: readonly (readonly [number, number])[],
  ops: readonly NormOp[] = NORM_OPS,
): NormCase[] {
  const out: NormCase[] = [];
  for (const shape of shapes) {
    for (const op of ops) {
      out.push({ op, pass: 'forward', shape: [shape[0], shape[1]] });
      if (op !== 'batchNormEval') out.push({ op, pass: 'backward', shape: [shape[0], shape[1]] });
    }
  }
  return out;
}
