import type { NormCase } from '../kernels/cases.js';
import type { CheckResult } from '../kernels/check.js';
import type { Outputs } from '../kernels/normkit.js';
import type { RepPolicy, Timing } from '../timing.js';

export const PEERS = ['onnxruntime', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type PeerName = (typeof PEERS)[number];

/** One measured (or skipped) implementation of a case. */
export interface PeerRow {
  impl: string;
  timing: Timing | null;
  check: CheckResult | null;
  note: string;
}

export type PeerRequest =
  | { type: 'init' }
  | { type: 'norm'; case: NormCase; seed: number; policy: RepPolicy; reference: Outputs }
  | {
      type: 'matmul';
      m: number;
      k: number;
      n: number;
      seed: number;
      policy: RepPolicy;
      samples: [number, number][];
    };

export type PeerReply =
  | { type: 'ready'; available: boolean; version: string; note: string }
  | { type: 'rows'; rows: PeerRow[] }
  | { type: 'error'; message: string };
