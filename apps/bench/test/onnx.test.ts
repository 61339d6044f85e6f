import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { matmulModel } from '../src/peers/onnx-models.js';
import { encodeModel, ProtoWriter } from '../src/peers/onnx-proto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter (protobuf wire format)', () => {
  it('encodes the examples of the protobuf encoding guide', () => {
    // "message Test1 { int32 a = 1; }" with a = 150 is 08 96 01
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    // "message Test2 { string b = 2; }" with b = "testing" is 12 07 74 65 73 74 69 6e 67
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    // an embedded message "Test3 { Test1 c = 3; }" is 1a 03 08 96 01
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601');
  });

  it("writes negative int64 as ten-byte two's complement varints and floats as little-endian fixed32", () => {
    expect(hex(new ProtoWriter().int(3, -1).finish())).toBe('18ffffffffffffffffff01');
    // 1e-5 as float32 is 0x3727c5ac; field 2, wire type 5 -> tag 0x15
    expect(hex(new ProtoWriter().float(2, 1e-5).finish())).toBe('15acc52737');
  });
});

/** The ONNX encoding is checked by the strictest reader at hand: onnxruntime loading and running it. */
const ort = await import('onnxruntime-node').catch(() => null);

describe.skipIf(ort === null)('one-node models in onnxruntime-node', () => {
  it('runs a LayerNormalization-17 model equal to a plain float64 layer norm', async () => {
    const x = Float32Array.from([1, 2, 3, 4, 10, 10, 10, 11]);
    const scale = Float32Array.from([1, 2, 0.5, -1]);
    const bias = Float32Array.from([0, 0.5, 0, 1]);
    const model = encodeModel({
      node: {
        opType: 'LayerNormalization',
        inputs: ['X', 's', 'b'],
        outputs: ['Y'],
        attributes: [
          { name: 'axis', int: -1 },
          { name: 'epsilon', float: 1e-5 },
        ],
      },
      inputs: [{ name: 'X', dims: [2, 4] }],
      outputs: [{ name: 'Y', dims: [2, 4] }],
      initializers: [
        { name: 's', dims: [4], data: scale },
        { name: 'b', dims: [4], data: bias },
      ],
      opset: 17,
      irVersion: 8,
    });
    const session = await ort!.InferenceSession.create(model);
    const y = (await session.run({ X: new ort!.Tensor('float32', x, [2, 4]) })).Y!.data as Float32Array;
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(x.subarray(r * 4, r * 4 + 4));
      const mean = row.reduce((a, b) => a + b) / 4;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      for (let j = 0; j < 4; j++)
        expected.push(((row[j]! - mean) / Math.sqrt(variance + 1e-5)) * scale[j]! + bias[j]!);
    }
    assertClose(y, expected, { atol: 1e-5, label: 'ORT LayerNormalization' });
  });

  it('runs a MatMul-13 model with both operands fed at run time', async () => {
    const session = await ort!.InferenceSession.create(encodeModel(matmulModel(2, 3, 2)));
    const a = new ort!.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const b = new ort!.Tensor('float32', Float32Array.from([1, 0, 0, 1, 2, -1]), [3, 2]);
    const y = (await session.run({ A: a, B: b })).Y!.data as Float32Array;
    // [1 2 3; 4 5 6] @ [1 0; 0 1; 2 -1] = [7 -1; 16 -1]
    expect(Array.from(y)).toEqual([7, -1, 16, -1]);
  });

  it('rejects a malformed model with a clear error (so a broken encoder cannot pass silently)', async () => {
    const bytes = encodeModel(matmulModel(2, 3, 2)).slice(0, 20);
    await expect(ort!.InferenceSession.create(bytes)).rejects.toThrow();
  });
});
