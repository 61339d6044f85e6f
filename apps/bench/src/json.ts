/**
 * Results are plain JSON so that a report can be re-rendered from the file alone and so that
 * workers hand back results by structured clone without transferring (and so detaching) any buffer.
 * JSON has no NaN or Infinity, but a diverged training run has a NaN loss, so non-finite numbers are
 * written as the strings "NaN", "Infinity", "-Infinity" and read back as numbers.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

export function stringifyResults(value: unknown, indent = 1): string {
  return JSON.stringify(
    value,
    (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    indent,
  );
}

export function parseResults<T = Json>(text: string): T {
  return JSON.parse(text, (_key, v) => (typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v)) as T;
}

/**
 * A deep copy of `value` made only of objects, arrays, numbers, strings, booleans and null.
 * Typed arrays become number arrays; undefined object fields are dropped (as JSON.stringify does).
 * Anything else (functions, class instances such as Tensor, Map, bigint) is an error naming the path,
 * so an experiment that returns a Tensor fails loudly in-process, not only in a worker.
 */
export function toPlainJson(value: unknown, path = 'result'): Json {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    return value;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, Number);
  }
  if (Array.isArray(value))
    return value.map((v, i) => toPlainJson(v === undefined ? null : v, `${path}[${i}]`));
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `${path}: expected plain JSON data, got an instance of ${proto?.constructor?.name ?? 'unknown'}`,
      );
    }
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toPlainJson(v, `${path}.${k}`);
    }
    return out;
  }
  throw new TypeError(`${path}: expected plain JSON data, got a ${typeof value}`);
}
