import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, randn, type Tensor, tensor } from '@normkit/tensor';
import {
  assertClose,
  type FixtureTensor,
  fixturePath,
  fixtureTensorData,
  loadFixture,
} from '@normkit/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBFloat16, decodeFloat16 } from './internal/half.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Expected {
  metadata: Record<string, string>;
  tensors: Record<string, FixtureTensor & { source_dtype: string }>;
}

describe('decodeSafetensors: file written by test/gen_safetensors_fixture.py', () => {
  const bytes = new Uint8Array(readFileSync(fixturePath(packageDir, 'mixed.safetensors')));
  const expected = loadFixture<Expected>(packageDir, 'mixed.expected.json');

  it('reads F32, F64, F16, BF16 (specials, subnormals, 0-d, size 0) and the metadata exactly', () => {
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual(expected.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = tensors[name]!;
      expect(got.shape, name).toEqual(want.shape);
      expect(got.dtype, name).toBe(want.dtype);
      // every value is exact in the loaded dtype: compare with atol 0, and signed zeros bit for bit
      const values = got.toTypedArray();
      const wantValues = fixtureTensorData(want);
      assertClose(values, wantValues, { atol: 0, label: name });
      for (let i = 0; i < values.length; i++)
        expect(Object.is(values[i], wantValues[i]), `${name}[${i}]`).toBe(true);
    }
  });

  it('options.dtype float64 widens everything exactly; float32 rounds F64 to nearest', () => {
    const wide = decodeSafetensors(bytes, { dtype: 'float64' }).tensors;
    const narrow = decodeSafetensors(bytes, { dtype: 'float32' }).tensors;
    for (const [name, want] of Object.entries(expected.tensors)) {
      const exact = fixtureTensorData(want);
      expect(wide[name]!.dtype).toBe('float64');
      assertClose(wide[name]!.toTypedArray(), exact, { atol: 0, label: name });
      expect(narrow[name]!.dtype).toBe('float32');
      assertClose(narrow[name]!.toTypedArray(), exact.map(Math.fround), { atol: 0, label: name });
    }
  });

  it('reads from a Uint8Array that is a window into a larger buffer', () => {
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 5);
    const { tensors } = decodeSafetensors(big.subarray(5, 5 + bytes.length));
    assertClose(tensors['f32.randn']!.toTypedArray(), fixtureTensorData(expected.tensors['f32.randn']!), {
      atol: 0,
    });
  });
});

describe('encodeSafetensors writes the reference layout', () => {
  const bytesOf = (values: number[]) => new Uint8Array(values);

  it('matches the byte vectors of the reference Rust tests (test_serialization, test_empty)', () => {
    // huggingface/safetensors safetensors/src/tensor.rs: "attn.0", F32 [1,2,3] holding 0..5
    const attn = tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]);
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    const want = new Uint8Array(8 + header.length + 24);
    want[0] = 64;
    want.set(new TextEncoder().encode(header), 8);
    want.set(new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer), 8 + header.length);
    expect(encodeSafetensors({ 'attn.0': attn })).toEqual(want);
    expect(encodeSafetensors({})).toEqual(
      bytesOf([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]),
    );
    const meta = '{"__metadata__":{"framework":"pt"}}     ';
    expect(encodeSafetensors({}, { framework: 'pt' })).toEqual(
      new Uint8Array([40, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode(meta)]),
    );
  });

  it('matches canonical.safetensors: F64 before F32, then by name, metadata first, padded', () => {
    const spec = loadFixture<{ metadata: Record<string, string>; tensors: Record<string, FixtureTensor> }>(
      packageDir,
      'canonical.json',
    );
    const dict: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(spec.tensors)) {
      dict[name] = tensor(fixtureTensorData(t), t.shape, { dtype: t.dtype as 'float32' | 'float64' });
    }
    const want = new Uint8Array(readFileSync(fixturePath(packageDir, 'canonical.safetensors')));
    expect(encodeSafetensors(dict, spec.metadata)).toEqual(want);
  });

  it('writes views (transposed, sliced) in row-major order', () => {
    const base = tensor([0, 1, 2, 3, 4, 5], [2, 3], { dtype: 'float64' });
    const { tensors } = decodeSafetensors(
      encodeSafetensors({
        t: base.transpose(),
        s: base.slice(1, 0, 3, 2),
        e: base.select(0, 1).expand([2, 3]),
      }),
    );
    expect(tensors.t!.toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(tensors.s!.toArray()).toEqual([
      [0, 2],
      [3, 5],
    ]);
    expect(tensors.e!.toArray()).toEqual([
      [3, 4, 5],
      [3, 4, 5],
    ]);
    expect(tensors.t!.dtype).toBe('float64');
  });

  it('rejects a reserved name, non-tensor values and non-string metadata', () => {
    const t = tensor([1]);
    expect(() => encodeSafetensors({ __metadata__: t })).toThrow(
      /encodeSafetensors: tensor name "__metadata__" is reserved/,
    );
    expect(() => encodeSafetensors({ w: [1, 2] as unknown as Tensor })).toThrow(
      /encodeSafetensors: tensors\["w"\] expected a Tensor, got object/,
    );
    expect(() => encodeSafetensors({ w: t }, { epoch: 3 as unknown as string })).toThrow(
      /encodeSafetensors: metadata\["epoch"\] expected a string, got number/,
    );
    expect(() => encodeSafetensors(null as unknown as Record<string, Tensor>)).toThrow(TypeError);
  });
});

describe('round trip', () => {
  const value32 = fc.float({ noDefaultInfinity: false, noNaN: false });
  const value64 = fc.double();
  const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
  const entry = fc.oneof(
    shape.chain((s) =>
      fc
        .array(value32, { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) })
        .map((v) => tensor(v, s)),
    ),
    shape.chain((s) =>
      fc
        .array(value64, { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) })
        .map((v) => tensor(v, s, { dtype: 'float64' })),
    ),
  );
  const name = fc.oneof(
    fc.string(),
    fc.constantFrom('__proto__', 'constructor', '0', '10', 'a.b', '\u{1F600}', ''),
  );

  it('decode(encode(dict, metadata)) gives the same names, shapes, dtypes, bits and metadata', () => {
    fc.assert(
      fc.property(
        fc.dictionary(name, entry, { maxKeys: 6 }),
        fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), { nil: undefined }),
        (dict, metadata) => {
          fc.pre(!Object.keys(dict).includes('__metadata__'));
          const bytes = encodeSafetensors(dict, metadata);
          const out = decodeSafetensors(bytes);
          expect(Object.keys(out.tensors).sort()).toEqual(Object.keys(dict).sort());
          expect(out.metadata).toEqual(metadata ?? {});
          for (const key of Object.keys(dict)) {
            const a = dict[key]!;
            const b = out.tensors[key]!;
            expect(b.shape).toEqual(a.shape);
            expect(b.dtype).toBe(a.dtype);
            const x = a.toTypedArray();
            const y = b.toTypedArray();
            for (let i = 0; i < x.length; i++) expect(Object.is(x[i], y[i])).toBe(true);
          }
          // alignment: the header length is a multiple of 8, so sorted data starts aligned
          const n = new DataView(bytes.buffer).getUint32(0, true);
          expect(n % 8).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps larger tensors intact (randn, 3 x 257 float32 and float64)', () => {
    const a = randn([3, 257], { generator: new Generator(7) });
    const b = randn([257, 3], { generator: new Generator(8), dtype: 'float64' });
    const out = decodeSafetensors(encodeSafetensors({ a, b })).tensors;
    assertClose(out.a!.toTypedArray(), a.toTypedArray(), { atol: 0 });
    assertClose(out.b!.toTypedArray(), b.toTypedArray(), { atol: 0 });
  });
});

describe('F16 / BF16 decoding over all 65536 bit patterns', () => {
  const bits = new Uint8Array(2 * 65536);
  for (let h = 0; h < 65536; h++) {
    bits[2 * h] = h & 0xff;
    bits[2 * h + 1] = h >>> 8;
  }

  for (const [label, decode, maxFinite, nanCount] of [
    ['F16', decodeFloat16, 0x7bff, 2 * 1023],
    ['BF16', decodeBFloat16, 0x7f7f, 2 * 127],
  ] as const) {
    it(`${label}: positive codes increase strictly, sign bit negates, ${nanCount} NaNs`, () => {
      const out32 = new Float32Array(65536);
      const out64 = new Float64Array(65536);
      decode(bits, out32);
      decode(bits, out64);
      assertClose(out64, out32, { atol: 0, label });
      for (let h = 1; h <= maxFinite + 1; h++) expect(out32[h]! > out32[h - 1]!, `${label} ${h}`).toBe(true);
      expect(out32[maxFinite + 1]).toBe(Number.POSITIVE_INFINITY);
      for (let h = 0; h < 0x8000; h++) {
        if (!Number.isNaN(out32[h]!)) expect(Object.is(out32[h | 0x8000], -out32[h]!)).toBe(true);
      }
      expect(out32.filter(Number.isNaN).length).toBe(nanCount);
    });
  }

  it('F16 spot values by formula: subnormal step 2^-24, 1 + 2^-10, max 65504', () => {
    const out = new Float64Array(4);
    decodeFloat16(new Uint8Array([0x01, 0x00, 0x01, 0x3c, 0xff, 0x7b, 0xff, 0x03]), out);
    expect(Array.from(out)).toEqual([2 ** -24, 1 + 2 ** -10, 65504, 1023 * 2 ** -24]);
  });
});
