import type { KernelRow } from '../results.js';
import { fmt, fmtDiff, textTable } from '../table.js';

/** The per-case progress line: each implementation's time, throughput, ratio and maxdiff. */
export function formatCaseLine(label: string, rows: KernelRow[]): string {
  const parts = rows.map((r) => {
    if (r.medianMs === null) return `${r.impl} - (${r.note || 'not timed'})`;
    const rate = r.gflops !== null ? `${fmt(r.gflops)} GFLOP/s` : `${fmt(r.gbps)} GB/s`;
    const vs = r.impl === 'normkit' ? `x${fmt(r.xCopy)} copy` : `x${fmt(r.vsNormkit)} normkit`;
    return `${r.impl} ${fmt(r.medianMs)} ms ${rate} ${vs} maxdiff ${fmtDiff(r.maxdiff)}`;
  });
  return `${label}: ${parts.join(' | ')}`;
}

/**
 * The summary table. t/copy = time / copy-floor time for the same traffic; t/normkit = time /
 * normkit's time for the same case (above 1: normkit is faster).
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
    r.impl === 'normkit' ? '' : fmt(r.vsNormkit),
    fmtDiff(r.maxdiff),
    r.note,
  ]);
  return textTable(headers, body, [false, false, false, true, true, true, true, true, false]);
}
