import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Mode } from './experiments/types.js';
import { parseResults, stringifyResults } from './json.js';
import type { PeerStatus } from './kernels/peer-host.js';
import type { ExperimentResult } from './runner/runner.js';

/** The shape of results.json (schema normkit-bench/results@1). Everything the report shows is here. */
export const SCHEMA = 'normkit-bench/results@1';

export interface Environment {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryGB: number;
}

/** One implementation of one case, norm or matmul. Times in ms, null when not timed. */
export interface KernelRow {
  /** e.g. "layerNorm forward" or "matmul" */
  kernel: string;
  /** e.g. "[8192,768] over D" or "[8192,128]x[128,512] GPT MLP up" */
  layout: string;
  shape: number[];
  impl: string;
  /** bytes read + bytes written by one call (algorithmic traffic) */
  bytes: number;
  /** floating-point operations of one call (matmul: 2 M N K), 0 for norms */
  flops: number;
  medianMs: number | null;
  minMs: number | null;
  reps: number;
  /** bytes / median time */
  gbps: number | null;
  /** flops / median time (matmul) */
  gflops: number | null;
  /** median time of Float32Array.set copying bytes / 2 bytes, in this run */
  copyMs: number;
  /** medianMs / copyMs: 1 = as fast as a plain copy of the same traffic */
  xCopy: number | null;
  /** medianMs / normkit's medianMs for the same case (above 1: normkit is faster) */
  vsNormkit: number | null;
  maxdiff: number | null;
  ok: boolean | null;
  note: string;
}

export interface KernelSection {
  /** samples per median; a call slower than budgetMs / reps takes fewer (budgetMs / its time, at least 1) */
  reps: number;
  budgetMs: number;
  rows: KernelRow[];
  peers: PeerStatus[];
}

export interface Results {
  schema: typeof SCHEMA;
  createdAt: string;
  command: string[];
  mode: Mode;
  seed: number;
  jobs: number;
  text: { path: string; bytes: number } | null;
  environment: Environment;
  kernels: KernelSection | null;
  matmul: KernelSection | null;
  experiments: ExperimentResult[] | null;
  durationMs: number;
}

export function environment(): Environment {
  const list = cpus();
  return {
    node: process.versions.node,
    v8: process.versions.v8,
    platform: platform(),
    arch: arch(),
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGB: Math.round(totalmem() / 2 ** 30),
  };
}

/** results/2025-11-26T13-45-12Z style: sortable and valid on every file system. */
export function timestampDir(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

export function writeResults(dir: string, results: Results): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'results.json');
  writeFileSync(path, `${stringifyResults(results)}\n`);
  return path;
}

export function readResults(dir: string): Results {
  const path = join(dir, 'results.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`report: no results.json in ${dir}`);
  }
  const r = parseResults<Results>(text);
  if (r?.schema !== SCHEMA) {
    throw new Error(`report: ${path} has schema ${JSON.stringify(r?.schema)}, expected ${SCHEMA}`);
  }
  return r;
}
