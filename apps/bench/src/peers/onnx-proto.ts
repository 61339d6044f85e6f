/**
 * A minimal protobuf encoder for the ONNX messages a one-node model needs (field numbers from
 * onnx/onnx.proto3). Wire types: 0 varint, 2 length-delimited, 5 fixed32. int64 fields are varints
 * of the two's complement value, so -1 takes ten bytes. Only what the bench builds is supported.
 */
export class ProtoWriter {
  private readonly bytes: number[] = [];

  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes.push(...b);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(data.length));
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]!);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** TensorProto.DataType values used here. */
export const FLOAT = 1;
/** AttributeProto.AttributeType values used here. */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

export type Attribute = { name: string; float: number } | { name: string; int: number };

export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Attribute[];
}

export interface ModelSpec {
  node: NodeSpec;
  /** Graph inputs fed at run time (float32, fixed shapes). */
  inputs: { name: string; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
  initializers: Initializer[];
  opset: number;
  irVersion: number;
}

function attribute(a: Attribute): ProtoWriter {
  // AttributeProto: name = 1, f = 2, i = 3, type = 20
  const w = new ProtoWriter().string(1, a.name);
  if ('float' in a) return w.float(2, a.float).int(20, ATTR_FLOAT);
  return w.int(3, a.int).int(20, ATTR_INT);
}

function valueInfo(name: string, dims: number[]): ProtoWriter {
  // ValueInfoProto: name = 1, type = 2; TypeProto: tensor_type = 1;
  // TypeProto.Tensor: elem_type = 1, shape = 2; TensorShapeProto: dim = 1; Dimension: dim_value = 1
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, new ProtoWriter().int(1, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function tensorProto(t: Initializer): ProtoWriter {
  // TensorProto: dims = 1 (each a varint), data_type = 2, name = 8, raw_data = 9 (little-endian)
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  const raw = new Uint8Array(t.data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i]!, true);
  return w.int(2, FLOAT).string(8, t.name).bytesField(9, raw);
}

/** Serialize a ModelProto holding one node. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5
  const node = new ProtoWriter();
  for (const i of spec.node.inputs) node.string(1, i);
  for (const o of spec.node.outputs) node.string(2, o);
  node.string(3, `${spec.node.opType}_0`).string(4, spec.node.opType);
  for (const a of spec.node.attributes ?? []) node.message(5, attribute(a));
  // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
  const graph = new ProtoWriter().message(1, node).string(2, `${spec.node.opType.toLowerCase()}_graph`);
  for (const t of spec.initializers) graph.message(5, tensorProto(t));
  for (const i of spec.inputs) graph.message(11, valueInfo(i.name, i.dims));
  for (const o of spec.outputs) graph.message(12, valueInfo(o.name, o.dims));
  // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8
  // OperatorSetIdProto: domain = 1 ("" = ai.onnx), version = 2
  return new ProtoWriter()
    .int(1, spec.irVersion)
    .string(2, 'normkit-bench')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, spec.opset))
    .finish();
}
