import { Variable } from '@normkit/autograd';
import { copyInto, fill, formatShape, sameShape, Tensor } from '@normkit/tensor';

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true). Shape/dtype mismatches always are. */
  strict?: boolean;
}

/** torch's _IncompatibleKeys: what a non-strict load skipped. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface StateDictMismatch {
  key: string;
  /** What the model holds, e.g. 'shape [3,4]' or 'dtype float32'. */
  expected: string;
  actual: string;
}

/** One key of a module tree's state: a parameter (its Variable) or a buffer (its tensor). */
export type StateEntry =
  | { key: string; kind: 'parameter'; p: Variable }
  | { key: string; kind: 'buffer'; counter: boolean; t: Tensor };

/** Every problem of one loadStateDict call, listed together (nothing was written). */
export class StateDictError extends Error {
  readonly missingKeys: string[];
  readonly unexpectedKeys: string[];
  readonly mismatched: StateDictMismatch[];

  constructor(
    moduleName: string,
    missingKeys: string[],
    unexpectedKeys: string[],
    mismatched: StateDictMismatch[],
  ) {
    const quote = (keys: string[]) => keys.map((k) => `"${k}"`).join(', ');
    const lines = [`loadStateDict: error(s) loading the state dict into ${moduleName}:`];
    if (missingKeys.length > 0) lines.push(`  missing key(s): ${quote(missingKeys)}`);
    if (unexpectedKeys.length > 0) lines.push(`  unexpected key(s): ${quote(unexpectedKeys)}`);
    for (const m of mismatched) {
      lines.push(
        `  mismatch for "${m.key}": the model expects ${m.expected}, the state dict has ${m.actual}`,
      );
    }
    super(lines.join('\n'));
    this.name = 'StateDictError';
    this.missingKeys = missingKeys;
    this.unexpectedKeys = unexpectedKeys;
    this.mismatched = mismatched;
  }
}

/** A value that cannot be copied into the entry, described; null when it fits. */
function mismatch(e: StateEntry, value: unknown): StateDictMismatch | null {
  const target = e.kind === 'parameter' ? e.p.data : e.t;
  const v = value instanceof Variable ? value.data : value;
  if (!(v instanceof Tensor)) {
    const got = v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
    return { key: e.key, expected: 'a Tensor', actual: got };
  }
  if (!sameShape(v.shape, target.shape)) {
    return {
      key: e.key,
      expected: `shape ${formatShape(target.shape)}`,
      actual: `shape ${formatShape(v.shape)}`,
    };
  }
  if (e.kind === 'buffer' && e.counter) {
    const n = v.size === 1 ? v.item() : Number.NaN;
    if (!Number.isInteger(n) || n < 0) {
      return { key: e.key, expected: 'a non-negative integer count', actual: String(n) };
    }
    return null;
  }
  if (v.dtype !== target.dtype) {
    return { key: e.key, expected: `dtype ${target.dtype}`, actual: `dtype ${v.dtype}` };
  }
  return null;
}

/** Check everything, then copy in place (see Module.loadStateDict). */
export function loadInto(
  moduleName: string,
  entries: readonly StateEntry[],
  dict: Record<string, Tensor | Variable>,
  options: LoadStateDictOptions,
): LoadStateDictResult {
  if (dict === null || typeof dict !== 'object') {
    throw new TypeError(
      `loadStateDict: dict must be an object of Tensors, got ${dict === null ? 'null' : typeof dict}`,
    );
  }
  const strict = options.strict ?? true;
  const expected = new Set(entries.map((e) => e.key));
  const missingKeys: string[] = [];
  const mismatched: StateDictMismatch[] = [];
  for (const e of entries) {
    if (!Object.hasOwn(dict, e.key)) missingKeys.push(e.key);
    else {
      const m = mismatch(e, dict[e.key]);
      if (m) mismatched.push(m);
    }
  }
  const unexpectedKeys = Object.keys(dict).filter((k) => !expected.has(k));
  if (mismatched.length > 0 || (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))) {
    const [miss, unexp] = strict ? [missingKeys, unexpectedKeys] : [[], []];
    throw new StateDictError(moduleName, miss, unexp, mismatched);
  }
  for (const e of entries) {
    if (!Object.hasOwn(dict, e.key)) continue;
    const raw = dict[e.key]!;
    const v = raw instanceof Variable ? raw.data : raw;
    if (e.kind === 'parameter') copyInto(e.p.data, v);
    else if (e.counter) fill(e.t, v.item());
    else copyInto(e.t, v);
  }
  return { missingKeys, unexpectedKeys };
}
