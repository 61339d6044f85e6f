import { type DType, Generator, getDefaultGenerator, isDType } from '@normkit/tensor';

/** Construction options shared by the built-in modules (re-exported by module.ts). */

/** Options every built-in module takes. dtype: 'float32' (default) or 'float64'. */
export interface ModuleOptions {
  dtype?: DType;
}

/** Options of modules with random initialisation: a Generator to draw from, or a seed for a fresh one. */
export interface InitOptions extends ModuleOptions {
  seed?: number;
  generator?: Generator;
}

/** The generator an initialiser draws from: options.generator, a fresh Generator(seed), or the default one. */
export function generatorOf(options: { seed?: number; generator?: Generator } = {}): Generator {
  if (options.generator) return options.generator;
  return options.seed === undefined ? getDefaultGenerator() : new Generator(options.seed);
}

/** The module dtype from options, checked (normkit has float32 and float64 only). */
export function dtypeOf(op: string, options: ModuleOptions = {}): DType {
  const dtype = options.dtype ?? 'float32';
  if (!isDType(dtype))
    throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  return dtype;
}
