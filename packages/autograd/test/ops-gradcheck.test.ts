import { describe, expect, it } from 'vitest';
import * as A from '../src/index.js';
import { elementwiseCases } from './gradcheck-cases-elementwise.js';
import { structuralCases } from './gradcheck-cases-structural.js';

/**
 * Every differentiable op against central finite differences in float64 (gradcheck's defaults:
 * eps 1e-6, atol 1e-5, rtol 1e-3), on seeded random shapes and values, with broadcasting in both
 * directions, size-1 axes and non-contiguous (transposed / sliced) inputs. Inputs of non-smooth
 * ops are kept away from their kinks so the finite difference is meaningful.
 */
const cases = [...elementwiseCases, ...structuralCases];

describe('gradcheck of every op', () => {
  it('covers every entry of the rules table', () => {
    const covered = new Set(cases.map((c) => c.op));
    expect(Object.keys(A.rules).filter((k) => !covered.has(k as A.RuleName))).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const report = A.gradcheck(c.f, c.inputs());
    expect(report.ok).toBe(true);
    expect(report.checked).toBeGreaterThan(0);
  });
});
