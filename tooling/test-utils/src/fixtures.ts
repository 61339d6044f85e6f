import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Fixtures are JSON written by a package's committed generator script (PyTorch or NumPy).
 * A tensor is stored as { dtype, shape, data } with data flat in row-major order; non-finite
 * values are written as the strings "nan", "inf", "-inf" because JSON has no literal for them.
 */
export interface FixtureTensor {
  dtype: 'float32' | 'float64' | 'int64';
  shape: number[];
  data: (number | string)[];
}

export function fixturePath(packageDir: string, name: string): string {
  return join(packageDir, 'test', 'fixtures', name);
}

export function loadFixture<T = unknown>(packageDir: string, name: string): T {
  const path = fixturePath(packageDir, name);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`fixture ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function decodeNumber(value: number | string): number {
  if (typeof value === 'number') return value;
  if (value === 'nan') return Number.NaN;
  if (value === 'inf') return Number.POSITIVE_INFINITY;
  if (value === '-inf') return Number.NEGATIVE_INFINITY;
  throw new Error(`fixture value ${JSON.stringify(value)} is not a number`);
}

/** The flat data of a fixture tensor as a Float64Array (float32 fixtures hold exact float32 values). */
export function fixtureTensorData(t: FixtureTensor): Float64Array {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) {
    throw new Error(`fixture tensor of shape [${t.shape}] has ${t.data.length} values, expected ${size}`);
  }
  return Float64Array.from(t.data, decodeNumber);
}
