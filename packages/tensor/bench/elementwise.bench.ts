// Elementwise, softmax and reduction kernels on the js and the wasm backend, next to the floor of a
// plain copy of the same bytes (TypedArray.set of the output's size): node --import tsx bench/elementwise.bench.ts [n]
// Each figure is the median of 9 timed batches (each batch loops until >= 2 ms) after a warm-up,
// in microseconds per call; the js and wasm runs of an op are interleaved batch by batch, so load
// from other processes hits both alike. Compare the ratios, not the absolute numbers.
import {
  abs,
  add,
  addInPlace,
  axpy,
  exp,
  gelu,
  geluBackward,
  logSoftmax,
  mul,
  mulInPlace,
  randn,
  softmax,
  sqrt,
  square,
  sub,
  sum,
  type Tensor,
  tanh,
  tanhBackward,
  tidy,
  zeros,
} from '../src/index.js';
import { WASM_MIN } from '../src/internal/wasm/elementwise-wasm.js';
import { compare } from './compare.js';

const sizes = process.argv[2] ? [Number(process.argv[2])] : [32_768, 262_144];
const C = 128; // row length of the row-vector broadcasts and softmax rows
for (const n of sizes) {
  console.log(`--- float32, ${n} elements ([${n / C}, ${C}]); medians of 9, us per call`);
  const shape = [n / C, C];
  const B = 4 * n;
  const t = (seed: number) => randn(shape, { seed });
  compare(
    'add(a, b, out)',
    () => {
      const [a, b, o] = [t(1), t(2), zeros(shape)];
      return () => add(a, b, o);
    },
    B,
  );
  compare(
    'mul(a, b) (fresh output)',
    () => {
      const [a, b] = [t(1), t(2)];
      return () => tidy(() => void mul(a, b));
    },
    B,
  );
  compare(
    'sub(a, 1.5, out)',
    () => {
      const [a, o] = [t(1), zeros(shape)];
      return () => sub(a, 1.5, o);
    },
    B,
  );
  compare(
    'add(a, row [C], out)',
    () => {
      const [a, r, o] = [t(1), randn([C], { seed: 3 }), zeros(shape)];
      return () => add(a, r, o);
    },
    B,
  );
  compare(
    'mul(a, col [R,1], out)',
    () => {
      const [a, c, o] = [t(1), randn([n / C, 1], { seed: 4 }), zeros(shape)];
      return () => mul(a, c, o);
    },
    B,
  );
  compare(
    'addInPlace(a, b)',
    () => {
      const [a, b] = [t(1), t(2)];
      return () => addInPlace(a, b);
    },
    B,
  );
  compare(
    'mulInPlace(a, 0.5)',
    () => {
      const a = t(1);
      return () => mulInPlace(a, 0.5);
    },
    B,
  );
  compare(
    'axpy(0.1, a, b)',
    () => {
      const [a, b] = [t(1), t(2)];
      return () => axpy(0.1, a, b);
    },
    B,
  );
  compare(
    'square(a, out)',
    () => {
      const [a, o] = [t(1), zeros(shape)];
      return () => square(a, o);
    },
    B,
  );
  compare(
    'sqrt(|a|, out)',
    () => {
      const [a, o] = [abs(t(1)), zeros(shape)];
      return () => sqrt(a, o);
    },
    B,
  );
  compare(
    'exp(a, out)',
    () => {
      const [a, o] = [t(1), zeros(shape)];
      return () => exp(a, o);
    },
    B,
  );
  compare(
    'gelu(a, {}, out)',
    () => {
      const [a, o] = [t(1), zeros(shape)];
      return () => gelu(a, {}, o);
    },
    B,
  );
  compare(
    "gelu(a, { approximate: 'tanh' }, out)",
    () => {
      const [a, o] = [t(1), zeros(shape)];
      return () => gelu(a, { approximate: 'tanh' }, o);
    },
    B,
  );
  compare(
    'geluBackward(dy, x, {}, out)',
    () => {
      const [g, a, o] = [t(2), t(1), zeros(shape)];
      return () => geluBackward(g, a, {}, o);
    },
    B,
  );
  compare(
    "geluBackward(dy, x, { approximate: 'tanh' }, out)",
    () => {
      const [g, a, o] = [t(2), t(1), zeros(shape)];
      return () => geluBackward(g, a, { approximate: 'tanh' }, o);
    },
    B,
  );
  compare(
    'tanh(a, out)',
    () => {
      const [a, o] = [t(1), zeros(shape)];
      return () => tanh(a, o);
    },
    B,
  );
  compare(
    'tanhBackward(dy, y, out)',
    () => {
      const [g, y, o] = [t(2), tanh(t(1)), zeros(shape)];
      return () => tanhBackward(g, y, o);
    },
    B,
  );
  compare(
    `softmax(a) rows of ${C}`,
    () => {
      const a = t(1);
      return () => tidy(() => void softmax(a));
    },
    B,
  );
  compare(
    `softmax(a) rows of 32`,
    () => {
      const a = randn([n / 32, 32], { seed: 1 });
      return () => tidy(() => void softmax(a));
    },
    B,
  );
  compare(
    `logSoftmax(a) rows of ${C}`,
    () => {
      const a = t(1);
      return () => tidy(() => void logSoftmax(a));
    },
    B,
  );
  compare(
    'sum(a, -1)',
    () => {
      const a = t(1);
      return () => tidy(() => void sum(a, -1));
    },
    B,
  );
  compare(
    'sum(a, 0) (bias gradient)',
    () => {
      const a = t(1);
      return () => tidy(() => void sum(a, 0));
    },
    B,
  );
}
console.log(`--- small rows (wasm below ${WASM_MIN} elements takes the JS kernel)`);
for (const m of [16, 64, 256, 1024]) {
  const mk = (): (() => void) => {
    const [a, b, o]: Tensor[] = [randn([m], { seed: 1 }), randn([m], { seed: 2 }), zeros([m])];
    return () => add(a, b, o);
  };
  compare(`add([${m}], [${m}], out)`, mk, 4 * m);
}
