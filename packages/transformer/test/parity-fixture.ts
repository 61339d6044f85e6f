// Reads the parity fixtures written by test/gen_parity_fixtures.py (PyTorch 1.13) and builds the
// matching normkit model for a case.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '@normkit/nn';
import type { DType, Tensor } from '@normkit/tensor';
import { fixturePath, loadFixture } from '@normkit/test-utils';
import { GPT, type GPTConfig, type NormKind, type PlacementSpec } from '../src/index.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

export interface ParityCase {
  name: string;
  placement: PlacementSpec;
  norm: NormKind;
  qkNorm: 'layer' | 'rms' | null;
  bias: boolean;
  /** whole gradients stored (float32: LayerNorm cases only) */
  full: boolean;
  loss64: number;
  loss32: number;
  /** torch's named_parameters() order: the order of gproj rows and of the concatenated grad */
  parameters: string[];
}

export interface ParityFixture {
  torch: string;
  dims: { vocabSize: number; blockSize: number; nEmbd: number; nHead: number; nLayer: number; batch: number };
  eps: number;
  idx: number[][];
  targets: number[][];
  cases: ParityCase[];
}

export const parity = loadFixture<ParityFixture>(packageDir, 'parity.json');

function readTensors(name: string, dtype?: DType): Record<string, Tensor> {
  const bytes = readFileSync(fixturePath(packageDir, name));
  return decodeSafetensors(bytes, { dtype, source: name }).tensors;
}

const cache = new Map<string, Record<string, Tensor>>();
/** parity-weights (as dtype), parity-f64 or parity-f32, decoded once. */
export function fixtureTensors(name: string, dtype?: DType): Record<string, Tensor> {
  const key = `${name}:${dtype}`;
  if (!cache.has(key)) cache.set(key, readTensors(name, dtype));
  return cache.get(key)!;
}

export function caseConfig(c: ParityCase, dtype: DType): GPTConfig {
  const { dims, eps } = parity;
  return {
    vocabSize: dims.vocabSize,
    blockSize: dims.blockSize,
    nLayer: dims.nLayer,
    nHead: dims.nHead,
    nEmbd: dims.nEmbd,
    placement: c.placement,
    norm: { kind: c.norm, eps },
    qkNorm: c.qkNorm === null ? null : { kind: c.qkNorm, eps },
    bias: c.bias,
    dtype,
  };
}

/** The case's model with its weights: the superset's tensors under the model's own keys. */
export function caseModel(c: ParityCase, dtype: DType): GPT {
  const model = new GPT(caseConfig(c, dtype));
  const weights = fixtureTensors('parity-weights.safetensors', dtype);
  const dict: Record<string, Tensor> = {};
  for (const [name] of model.namedParameters()) dict[name] = weights[name]!;
  model.loadStateDict(dict); // strict: lm_head.weight comes from the tie
  return model;
}

/**
 * The generator's probe r_j: ((i+1) 2654435761 + (j+1) 2246822519) mod 2^32, top 16 bits / 2^16
 * minus 1/2. Every step is exact in float64 for the sizes used, so both sides get the same vector.
 */
export function probe(n: number, j: number): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = ((i + 1) * 2654435761 + (j + 1) * 2246822519) % 4294967296;
    r[i] = Math.floor(h / 65536) / 65536 - 0.5;
  }
  return r;
}
