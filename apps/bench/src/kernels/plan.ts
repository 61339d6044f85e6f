import type { Mode } from '../experiments/types.js';
import { PEERS, type PeerName } from '../peers/protocol.js';
import { NORM_OPS, type NormOp } from './cases.js';

/** What a kernels/matmul run measures. Tests shrink it (KernelOverrides) so a run takes seconds. */
export interface KernelPlan {
  shapes: [number, number][];
  ops: NormOp[];
  matmul: MatmulShape[];
  /** Samples per median (full: 9). */
  reps: number;
  /** Quick mode's time per implementation and case: a slower call takes fewer samples (min 1). */
  budgetMs: number;
  peers: PeerName[];
}

export interface MatmulShape {
  m: number;
  k: number;
  n: number;
  label: string;
}

export type KernelOverrides = Partial<KernelPlan>;

/** The activation shapes [B*T, C] of the issue: GPT-2 small, a wide layer, a narrow one, a small batch. */
const FULL_SHAPES: [number, number][] = [
  [8192, 768],
  [2048, 4096],
  [65536, 64],
  [512, 768],
];
const QUICK_SHAPES: [number, number][] = [
  [8192, 768],
  [512, 768],
];

const mm = (m: number, k: number, n: number, what: string): MatmulShape => ({
  m,
  k,
  n,
  label: `[${m},${k}]x[${k},${n}]${what ? ` ${what}` : ''}`,
});

/**
 * Matmul: 512^3, the GPT experiments' projections (B*T = 8192 tokens, C = 128: qkv, MLP up and
 * down), and each norm shape times a square weight, except [2048,4096] whose 4096x4096 weight would
 * make 69 GFLOP per call (minutes per rep for the slowest peer): it uses N = 1024.
 */
const FULL_MATMUL: MatmulShape[] = [
  mm(512, 512, 512, '512^3'),
  mm(8192, 128, 384, 'GPT qkv'),
  mm(8192, 128, 512, 'GPT MLP up'),
  mm(8192, 512, 128, 'GPT MLP down'),
  mm(512, 768, 768, ''),
  mm(8192, 768, 768, ''),
  mm(65536, 64, 64, ''),
  mm(2048, 4096, 1024, ''),
];
const QUICK_MATMUL: MatmulShape[] = [mm(512, 512, 512, '512^3'), mm(8192, 128, 512, 'GPT MLP up')];

/**
 * tfjs-cpu (plain JS loops, 100-350x slower than the copy floor) takes ~1.4 s per LayerNorm call at
 * [8192,768], two thirds of the quick run's kernel time for one uninformative column: it is timed in
 * --full only.
 */
const QUICK_PEERS: PeerName[] = ['onnxruntime', 'tfjs-wasm'];

/** Medians of 5 (quick; fewer for calls over 200 ms) or 9 (full, the issue asks for at least 7) samples. */
export function kernelPlan(mode: Mode, overrides: KernelOverrides = {}): KernelPlan {
  const full = mode === 'full';
  return {
    shapes: overrides.shapes ?? (full ? FULL_SHAPES : QUICK_SHAPES),
    ops: overrides.ops ?? [...NORM_OPS],
    matmul: overrides.matmul ?? (full ? FULL_MATMUL : QUICK_MATMUL),
    reps: overrides.reps ?? (full ? 9 : 5),
    budgetMs: overrides.budgetMs ?? (full ? Number.POSITIVE_INFINITY : 1000),
    peers: overrides.peers ?? (full ? [...PEERS] : QUICK_PEERS),
  };
}
