import type { KernelRow } from '../results.js';
import { fmt, fmtDiff, textTable } from '../table.js';
import { isNormkit } from './backends.js';

/**
 * The per-case progress line: each implementation's time, throughput, ratio and maxdiff. normkit
 * rows give their ratio to the copy floor (and normkit-js its ratio to normkit-wasm), peers theirs
 * to normkit.
 */
export function formatCaseLine(label: string, rows: KernelRow[]): string {
  const parts = rows.map((r) => {
    if (r.medianMs === null) return `${r.impl} - (${r.note || 'not timed'})`;
    const rate = r.gflops !== null ? `${fmt(r.gflops)} GFLOP/s` : `${fmt(r.gbps)} GB/s`;
    const copy = `x${fmt(r.xCopy)} copy`;
    const vsNormkit = r.vsNormkit === null ? '' : `x${fmt(r.vsNormkit)} normkit`;
    const vs = isNormkit(r.impl) ? [copy, vsNormkit].filter(Boolean).join(' ') : vsNormkit;
    return `${r.impl} ${fmt(r.medianMs)} ms ${rate} ${vs} maxdiff ${fmtDiff(r.maxdiff)}`;
  });
  return `${label}: ${parts.join(' | ')}`;
}

/**
 * The summary table. t/copy = time / copy-floor time for the same traffic; t/normkit = time /
 * the reference normkit row's time for the same case (normkit-wasm where it ran; above 1: normkit
 * is faster), blank on that row.
 */
export function formatKernelTable(rows: KernelRow[], matmul = false): string {
  const headers = [
    'kernel',
    'layout',
    'impl',
    'median ms',
    matmul ? 'GFLOP/s' : 'GB/s',
    't/copy',
    't/normkit',
    'maxdiff',
    'note',
  ];
  const body = rows.map((r) => [
    r.kernel,
    r.layout,
    r.impl,
    fmt(r.medianMs),
    fmt(matmul ? r.gflops : r.gbps),
    fmt(r.xCopy),
    r.vsNormkit === null && isNormkit(r.impl) ? '' : fmt(r.vsNormkit),
    fmtDiff(r.maxdiff),
    r.note,
  ]);
  return textTable(headers, body, [false, false, false, true, true, true, true, true, false]);
}
