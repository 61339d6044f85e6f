import { Generator } from '@normkit/tensor';
import { layoutOf, type NormCase } from './cases.js';

/**
 * Deterministic inputs of a case, generated the same way in the main thread and in every peer
 * worker (each isolate makes its own copy from the seed; nothing large crosses a thread).
 * x rows have a per-row offset (mean up to +-2) so that mean subtraction matters; weight is near 1,
 * bias near 0; the running statistics (eval mode) are plausible values.
 */
export interface NormInputs {
  x: Float32Array;
  xShape: number[];
  dy: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

function normals(g: Generator, n: number, scale: number, shift: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.normal() * scale + shift;
  return a;
}

/** The activations of the last shape asked for (every op of a shape reuses them; 50 MB at most). */
let lastActivations: { key: string; x: Float32Array; dy: Float32Array } | null = null;

function activations(M: number, D: number, seed: number): { x: Float32Array; dy: Float32Array } {
  const key = `${M}x${D}:${seed}`;
  if (lastActivations?.key === key) return lastActivations;
  lastActivations = null; // let the previous shape's arrays go before allocating the next
  const g = new Generator(seed);
  const x = new Float32Array(M * D);
  for (let r = 0; r < M; r++) {
    const offset = 2 * (2 * g.uniform() - 1);
    for (let j = 0; j < D; j++) x[r * D + j] = g.normal() + offset;
  }
  lastActivations = { key, x, dy: normals(g, M * D, 1, 0) };
  return lastActivations;
}

/** Inputs are shared and must not be written to (kernels get copies; see kernels/normkit.ts). */
export function normInputs(c: NormCase, seed: number): NormInputs {
  const L = layoutOf(c.op, c.shape);
  const { x, dy } = activations(c.shape[0], c.shape[1], seed);
  const g = new Generator(seed + 1);
  const runningVar = new Float32Array(L.params);
  for (let i = 0; i < L.params; i++) runningVar[i] = 0.5 + g.uniform();
  return {
    x,
    xShape: L.xShape,
    dy,
    weight: normals(g, L.params, 0.1, 1),
    bias: normals(g, L.params, 0.1, 0),
    runningMean: normals(g, L.params, 0.5, 0),
    runningVar,
  };
}

/** Matmul operands A [M, K] and B [K, N], standard normal. */
export function matmulInputs(
  m: number,
  k: number,
  n: number,
  seed: number,
): { a: Float32Array; b: Float32Array } {
  const g = new Generator(seed);
  return { a: normals(g, m * k, 1, 0), b: normals(g, k * n, 1, 0) };
}
