import type { KernelRow, KernelSection } from '../results.js';
import type { BarChart } from './chart-types.js';

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/**
 * Norm kernels: one bar chart per activation shape, GB/s of each implementation per kernel, with
 * the copy floor of the same traffic as its own series (the height normkit is measured against).
 */
export function normCharts(section: KernelSection): BarChart[] {
  const shapes = unique(section.rows.map((r) => r.shape.join('x')));
  return shapes.map((shape) => {
    const rows = section.rows.filter((r) => r.shape.join('x') === shape);
    const kernels = unique(rows.map((r) => r.kernel));
    const impls = unique(rows.map((r) => r.impl));
    const value = (k: string, impl: string) =>
      rows.find((r) => r.kernel === k && r.impl === impl)?.gbps ?? null;
    const copy = (k: string) => {
      const r = rows.find((x) => x.kernel === k);
      return r ? r.bytes / (r.copyMs * 1e6) : null;
    };
    return {
      kind: 'bar',
      title: `Norm kernels at [${shape.replace('x', ',')}], float32`,
      yLabel: 'GB/s = (bytes read + written) / time',
      // log scale: the copy floor, native peers and plain-JS tfjs-cpu span three decades
      logY: true,
      categories: kernels.map((k) => k.replace('forward', 'fwd').replace('backward', 'bwd')),
      series: [
        ...impls.map((impl) => ({ name: impl, values: kernels.map((k) => value(k, impl)) })),
        { name: 'copy floor', values: kernels.map(copy) },
      ],
    } satisfies BarChart;
  });
}

/** Matmul: GFLOP/s per shape and implementation (log scale: peers differ by orders of magnitude). */
export function matmulCharts(section: KernelSection): BarChart[] {
  const rows: KernelRow[] = section.rows;
  if (rows.length === 0) return [];
  const layouts = unique(rows.map((r) => r.layout));
  const impls = unique(rows.map((r) => r.impl));
  return [
    {
      kind: 'bar',
      title: 'matmul float32, C = A B',
      yLabel: 'GFLOP/s (2MNK / time)',
      logY: true,
      categories: layouts,
      series: impls.map((impl) => ({
        name: impl,
        values: layouts.map((l) => rows.find((r) => r.layout === l && r.impl === impl)?.gflops ?? null),
      })),
    },
  ];
}
