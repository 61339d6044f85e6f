import { type Backend, setBackend, type Tensor } from '@normkit/tensor';
import type { PeerRow } from '../peers/protocol.js';
import { measureRotation, type RepPolicy, type Timing } from '../timing.js';
import { onBackend, placementProblem } from './backends.js';
import type { CheckResult } from './check.js';

/** normkit's kernel for one case on one backend (and precision), before it is timed. */
export interface Variant {
  impl: string;
  backend: Backend;
  /**
   * Allocate operands and outputs (under `backend`, which is installed), run once, check. `run`
   * must leave global settings as it found them (setNormPrecision: set and restore inside).
   */
  prepare(): { run: () => void; check: CheckResult; tensors: readonly (Tensor | undefined)[] };
}

export interface Measured {
  /** one row per variant, in order: timed, or why not */
  rows: PeerRow[];
  /** the copy floor, timed in the same rotation */
  floor: Timing | Error;
}

/**
 * Prepare every variant, each inside onBackend(its backend) (scopes nested, so all stay allocated
 * until the last is done), then time those whose check passed together with the copy floor in
 * rotation (measureRotation: one sample of each per round). Timing the variants one after another
 * let a slow phase of the machine land on one of them: the ratios between normkit's backends and
 * against the copy could move by 1.5x between runs.
 */
export function measureVariants(
  variants: readonly Variant[],
  floor: () => void,
  policy: RepPolicy,
): Measured {
  const rows: PeerRow[] = [];
  const timed: { row: PeerRow; run: () => void }[] = [];
  let floorTiming: Timing | Error = new Error('not timed');
  const open = (k: number): void => {
    if (k === variants.length) {
      const timings = measureRotation([...timed.map((t) => t.run), floor], policy);
      timed.forEach(({ row }, i) => {
        const t = timings[i]!;
        if (t instanceof Error) row.note = failure(t);
        else row.timing = t;
      });
      floorTiming = timings[timed.length]!;
      return;
    }
    const v = variants[k]!;
    onBackend(v.backend, () => {
      rows.push(prepareOne(v, timed));
      open(k + 1);
    });
  };
  open(0);
  return { rows, floor: floorTiming };
}

function prepareOne(v: Variant, timed: { row: PeerRow; run: () => void }[]): PeerRow {
  try {
    const p = v.prepare();
    const misplaced = placementProblem(v.backend, p.tensors);
    if (misplaced)
      return {
        impl: v.impl,
        timing: null,
        check: { ...p.check, ok: false },
        note: `not timed: ${misplaced}`,
      };
    const row: PeerRow = { impl: v.impl, timing: null, check: p.check, note: '' };
    if (p.check.ok)
      timed.push({
        row,
        run: () => {
          // the rotation runs inside the last variant's scope: install this one's backend per call
          setBackend(v.backend);
          p.run();
        },
      });
    return row;
  } catch (error) {
    return { impl: v.impl, timing: null, check: null, note: failure(error) };
  }
}

function failure(error: unknown): string {
  return `failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`;
}
