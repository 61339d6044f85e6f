import type { PeerRow } from '../peers/protocol.js';
import type { KernelRow } from '../results.js';
import type { Timing } from '../timing.js';
import { NORMKIT_IMPLS } from './backends.js';
import type { CheckResult } from './check.js';

export interface CaseInfo {
  kernel: string;
  layout: string;
  shape: number[];
  bytes: number;
  flops: number;
  copyMs: number;
}

/**
 * Turn measured implementations of one case into table rows (ratios against copy and normkit).
 * vsNormkit is against the reference normkit row (normkit-wasm when timed, else normkit-js; see
 * backends.ts) and null on that row itself.
 */
export function caseRows(info: CaseInfo, measured: PeerRow[]): KernelRow[] {
  const reference = referenceNormkit(measured);
  const normkitMs = reference?.timing?.medianMs ?? null;
  return measured.map((r) =>
    row(info, r.impl, r.timing, r.check, r.note, r === reference ? null : normkitMs),
  );
}

/** The normkit row peers are compared with: the first timed one in NORMKIT_IMPLS order. */
export function referenceNormkit<R extends { impl: string; timing: Timing | null }>(
  measured: readonly R[],
): R | undefined {
  for (const impl of NORMKIT_IMPLS) {
    const r = measured.find((x) => x.impl === impl && x.timing !== null);
    if (r) return r;
  }
  return undefined;
}

function row(
  info: CaseInfo,
  impl: string,
  timing: Timing | null,
  check: CheckResult | null,
  note: string,
  normkitMs: number | null,
): KernelRow {
  const ms = timing?.medianMs ?? null;
  const failed = check && !check.ok ? `check failed (not timed): ${check.detail}` : '';
  return {
    ...info,
    impl,
    medianMs: ms,
    minMs: timing?.minMs ?? null,
    reps: timing?.reps ?? 0,
    gbps: ms === null ? null : info.bytes / (ms * 1e6),
    gflops: ms === null || info.flops === 0 ? null : info.flops / (ms * 1e6),
    xCopy: ms === null ? null : ms / info.copyMs,
    vsNormkit: ms === null || normkitMs === null ? null : ms / normkitMs,
    maxdiff: check?.maxdiff ?? null,
    ok: check?.ok ?? null,
    note: [failed, note].filter(Boolean).join('; '),
  };
}
