import { mul, relu, type TensorOperand, type Variable, variable } from '@normkit/autograd';
import { ones, randn, type Tensor, tensor, zeros } from '@normkit/tensor';
import { assertClose } from '@normkit/test-utils';
import { describe, expect, it } from 'vitest';
import { ModuleList, Sequential } from './containers.js';
import { Dropout, GELU, ReLU } from './layers/activation.js';
import { Embedding, Linear } from './layers/linear.js';
import { Module, Parameter } from './module.js';
import { BatchNorm1d } from './norms/batch-norm.js';
import { LayerNorm } from './norms/modules.js';
import { StateDictError } from './state-dict.js';

/** The documented user pattern: class fields register children and parameters. */
class Block extends Module {
  readonly ln_1 = this.registerModule('ln_1', new LayerNorm(4));
  readonly fc = this.registerModule('fc', new Linear(4, 4, { seed: 1 }));
  readonly scale = this.registerParameter('scale', new Parameter(ones([4])));
  readonly mask = this.registerBuffer('mask', ones([4]), { persistent: false });

  forward(x: TensorOperand): Variable {
    return mul(relu(this.fc.forward(this.ln_1.forward(x))), this.scale);
  }
}

class Net extends Module {
  readonly wte = this.registerModule('wte', new Embedding(10, 4, { seed: 2 }));
  readonly h = this.registerModule('h', new ModuleList([new Block(), new Block()]));
  readonly bn = this.registerModule('bn', new BatchNorm1d(4));
  readonly head = this.registerModule('head', new Linear(4, 10, { bias: false, seed: 3 }));
}

const values = (t: Tensor) => Array.from(t.toTypedArray());

describe('Module registration and names', () => {
  it('gives PyTorch-style dotted names for nested modules, lists and Sequential', () => {
    const net = new Net();
    // a module's own parameters come before its children's (torch: ['scale', 'ln_1.weight', ...])
    const block = ['scale', 'ln_1.weight', 'ln_1.bias', 'fc.weight', 'fc.bias'];
    expect(net.namedParameters().map((e) => e[0])).toEqual([
      'wte.weight',
      ...block.map((k) => `h.0.${k}`),
      ...block.map((k) => `h.1.${k}`),
      'bn.weight',
      'bn.bias',
      'head.weight',
    ]);
    const seq = new Sequential(
      new Linear(3, 4),
      new ReLU(),
      new LayerNorm(4),
      new Linear(4, 2, { bias: false }),
    );
    expect(seq.namedParameters().map((e) => e[0])).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
      '3.weight',
    ]);
    expect(net.namedModules().map((e) => e[0])).toEqual([
      '',
      'wte',
      'h',
      'h.0',
      'h.0.ln_1',
      'h.0.fc',
      'h.1',
      'h.1.ln_1',
      'h.1.fc',
      'bn',
      'head',
    ]);
    expect(net.namedParameters({ recurse: false })).toEqual([]);
  });

  it('stateDict has parameters and persistent buffers with torch keys (BatchNorm snake_case)', () => {
    const net = new Net();
    const keys = Object.keys(net.stateDict());
    expect(keys.filter((k) => k.startsWith('bn.'))).toEqual([
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
    // the non-persistent buffer is a buffer but not state
    expect(net.namedBuffers().map((e) => e[0])).toContain('h.0.mask');
    expect(keys).not.toContain('h.0.mask');
    expect(net.bn.runningMean).toBe(net.stateDict()['bn.running_mean']);
    expect(net.stateDict()['bn.num_batches_tracked']!.dtype).toBe('float64');
  });

  it('lists a tied parameter once but keeps both state-dict keys (torch behaviour)', () => {
    const net = new Net();
    net.head.weight = net.wte.weight; // [10, 4] both
    expect(net.parameters().filter((p) => p === net.wte.weight)).toHaveLength(1);
    expect(net.namedParameters().map((e) => e[0])).not.toContain('head.weight');
    const sd = net.stateDict();
    expect(sd['head.weight']).toBe(sd['wte.weight']);
    expect(net.numParameters()).toBe(new Net().numParameters() - 40);
  });

  it('counts parameters (numParameters) and trainable ones', () => {
    expect(new Linear(4, 3).numParameters()).toBe(15);
    expect(new Linear(4, 3, { bias: false }).numParameters()).toBe(12);
    const ln = new LayerNorm(8);
    ln.weight!.requiresGrad = false;
    expect(ln.numParameters()).toBe(16);
    expect(ln.numParameters({ trainableOnly: true })).toBe(8);
  });

  it('rejects bad names, clashes between kinds, non-leaf parameters and unknown lookups', () => {
    const m = new Module();
    m.registerParameter('w', new Parameter(zeros([2])));
    expect(() => m.registerParameter('a.b', null)).toThrow(
      `registerParameter: name must be a non-empty string without '.', got "a.b"`,
    );
    expect(() => m.registerModule('', null)).toThrow(
      `registerModule: name must be a non-empty string without '.', got ""`,
    );
    expect(() => m.registerBuffer('w', zeros([2]))).toThrow(
      "registerBuffer: 'w' is already registered as a parameter of Module",
    );
    const p = variable(ones([2]));
    expect(() => m.registerParameter('q', mul(p, 2))).toThrow(
      "registerParameter: 'q' must be a leaf Variable; it was computed by mul (detach() it first)",
    );
    expect(() => m.registerParameter('t', ones([2]) as unknown as Variable)).toThrow(
      "registerParameter: 't' must be a Variable (e.g. a Parameter) or null",
    );
    expect(() => m.registerModule('c', {} as Module)).toThrow("registerModule: 'c' must be a Module or null");
    expect(() => m.getParameter('v')).toThrow("Module: no parameter named 'v' (registered: 'w')");
    expect(() => m.getBuffer('v')).toThrow("Module: no buffer named 'v' (registered: none)");
    expect(() => m.getModule('v')).toThrow("Module: no module named 'v' (registered: none)");
    // same kind, same name: replaces (attribute assignment)
    const w2 = new Parameter(ones([3]));
    m.registerParameter('w', w2);
    expect(m.parameters()).toEqual([w2]);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips into another model, in place (the Variables and their buffers stay the same objects)', () => {
    const a = new Net();
    const b = new Net();
    b.apply((m) => {
      for (const p of m.parameters({ recurse: false })) p.data = randn(p.shape, { seed: 9 });
    });
    b.bn.runningMean!.data.fill(5);
    const before = b.parameters().map((p) => [p, p.data] as const);
    a.train().bn.forward(randn([6, 4], { seed: 4 })); // running statistics and the counter move
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    for (const [p, data] of before) expect(p.data).toBe(data);
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sa)) expect(values(sb[k]!), k).toEqual(values(sa[k]!));
    expect(b.bn.numBatchesTracked).toBe(1);
  });

  it('lists missing, unexpected and mismatched keys in one error and changes nothing', () => {
    const m = new Sequential(new Linear(3, 2, { seed: 1 }), new LayerNorm(2), new BatchNorm1d(2));
    const sd = { ...m.stateDict() };
    const w0 = values(m.at(0).stateDict().weight!);
    sd['0.weight'] = zeros([3, 2]); // transposed shape
    sd['1.weight'] = zeros([2], { dtype: 'float64' });
    delete sd['0.bias'];
    delete sd['2.running_var'];
    sd['3.weight'] = zeros([1]);
    sd['1.weight_g'] = zeros([1]);
    sd['2.num_batches_tracked'] = tensor(1.5);
    let error: StateDictError | undefined;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      error = e as StateDictError;
    }
    expect(error).toBeInstanceOf(StateDictError);
    expect(error!.missingKeys).toEqual(['0.bias', '2.running_var']);
    expect(error!.unexpectedKeys).toEqual(['3.weight', '1.weight_g']);
    expect(error!.mismatched).toEqual([
      { key: '0.weight', expected: 'shape [2,3]', actual: 'shape [3,2]' },
      { key: '1.weight', expected: 'dtype float32', actual: 'dtype float64' },
      { key: '2.num_batches_tracked', expected: 'a non-negative integer count', actual: '1.5' },
    ]);
    expect(error!.message).toBe(
      [
        'loadStateDict: error(s) loading the state dict into Sequential:',
        '  missing key(s): "0.bias", "2.running_var"',
        '  unexpected key(s): "3.weight", "1.weight_g"',
        '  mismatch for "0.weight": the model expects shape [2,3], the state dict has shape [3,2]',
        '  mismatch for "1.weight": the model expects dtype float32, the state dict has dtype float64',
        '  mismatch for "2.num_batches_tracked": the model expects a non-negative integer count, the state dict has 1.5',
      ].join('\n'),
    );
    expect(values(m.at(0).stateDict().weight!)).toEqual(w0);
  });

  it('strict false loads what matches and reports the rest; mismatches still throw', () => {
    const m = new Linear(2, 2, { seed: 0 });
    const r = m.loadStateDict({ weight: ones([2, 2]), extra: zeros([1]) }, { strict: false });
    expect(r).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    expect(values(m.weight.data)).toEqual([1, 1, 1, 1]);
    expect(() => m.loadStateDict({ weight: ones([2]) }, { strict: false })).toThrow(
      'mismatch for "weight": the model expects shape [2,2], the state dict has shape [2]',
    );
    expect(() => m.loadStateDict({ weight: [1, 2] as unknown as Tensor, bias: zeros([2]) })).toThrow(
      'mismatch for "weight": the model expects a Tensor, the state dict has Array',
    );
    expect(() => m.loadStateDict(null as unknown as Record<string, Tensor>)).toThrow(
      'loadStateDict: dict must be an object of Tensors, got null',
    );
  });

  it('loads num_batches_tracked from any dtype (torch stores int64) and Variables as values', () => {
    const bn = new BatchNorm1d(2);
    const sd: Record<string, Tensor | Variable> = { ...bn.stateDict() };
    sd.num_batches_tracked = tensor(7, undefined, { dtype: 'float32' });
    sd.weight = variable(tensor([2, 3]));
    bn.loadStateDict(sd);
    expect(bn.numBatchesTracked).toBe(7);
    expect(values(bn.weight!.data)).toEqual([2, 3]);
  });
});

describe('train / eval, apply, to, determinism', () => {
  it('train() and eval() switch every descendant, Dropout and BatchNorm included', () => {
    const seq = new Sequential(
      new Linear(4, 4, { seed: 0 }),
      new Dropout(0.5, { seed: 1 }),
      new BatchNorm1d(4),
    );
    const x = randn([8, 4], { seed: 2 });
    expect(seq.modules().every((m) => m.training)).toBe(true);
    seq.eval();
    expect(seq.modules().some((m) => m.training)).toBe(false);
    // eval: dropout is the identity and BatchNorm uses running stats (mean 0, var 1): y = lin / sqrt(1 + eps)
    const lin = seq.at(0).forward(x).data;
    const y = seq.forward(x).data;
    const expected = values(lin).map((v) => v / Math.sqrt(1 + 1e-5));
    assertClose(values(y), expected, { atol: 1e-6, label: 'eval output' });
    expect(seq.at(2).getBuffer('num_batches_tracked')!.item()).toBe(0);
    // train: some elements dropped, BatchNorm normalizes with batch statistics and counts the step
    seq.train();
    const drop = seq.at(1).forward(lin).data;
    const zerosCount = values(drop).filter((v) => v === 0).length;
    expect(zerosCount).toBeGreaterThan(0);
    expect(zerosCount).toBeLessThan(32);
    seq.forward(x);
    expect((seq.at(2) as BatchNorm1d).numBatchesTracked).toBe(1);
  });

  it('apply visits children before their parent', () => {
    const seq = new Sequential(new Sequential(new ReLU()), new GELU());
    const order: string[] = [];
    seq.apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['ReLU', 'Sequential', 'GELU', 'Sequential']);
  });

  it('to(float64) casts parameters in place and float buffers, not the counter', () => {
    const net = new Net();
    const w = net.head.weight;
    const before = values(w.data);
    net.to('float64');
    expect(net.head.weight).toBe(w);
    expect(w.dtype).toBe('float64');
    expect(values(w.data)).toEqual(before);
    expect(net.bn.runningVar!.dtype).toBe('float64');
    expect(net.bn.getBuffer('num_batches_tracked')!.dtype).toBe('float64');
    expect(net.h.at(0).forward(randn([2, 4], { dtype: 'float64' })).dtype).toBe('float64');
    expect(() => net.to('int8' as 'float64')).toThrow("to: dtype must be 'float32' or 'float64', got int8");
  });

  it('same seed, same initialisation; a shared generator continues its stream', async () => {
    const { Generator } = await import('@normkit/tensor');
    expect(values(new Linear(5, 3, { seed: 7 }).weight.data)).toEqual(
      values(new Linear(5, 3, { seed: 7 }).weight.data),
    );
    expect(values(new Linear(5, 3, { seed: 7 }).weight.data)).not.toEqual(
      values(new Linear(5, 3, { seed: 8 }).weight.data),
    );
    const g1 = new Generator(3);
    const g2 = new Generator(3);
    const a = [new Linear(2, 2, { generator: g1 }), new Linear(2, 2, { generator: g1 })];
    const b = [new Linear(2, 2, { generator: g2 }), new Linear(2, 2, { generator: g2 })];
    expect(values(a[1]!.weight.data)).toEqual(values(b[1]!.weight.data));
    expect(values(a[1]!.weight.data)).not.toEqual(values(a[0]!.weight.data));
  });

  it('zeroGrad clears every gradient', () => {
    const m = new Linear(2, 2);
    for (const p of m.parameters()) p.grad = ones(p.shape);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('prints a torch-style tree', () => {
    const seq = new Sequential(new Linear(4, 8, { bias: false }), new GELU({ approximate: 'tanh' }));
    expect(seq.toString()).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=4, outFeatures=8, bias=false)',
        "  (1): GELU(approximate='tanh')",
        ')',
      ].join('\n'),
    );
  });
});

describe('containers', () => {
  it('Sequential and ModuleList index, iterate and check bounds', () => {
    const a = new ReLU();
    const b = new GELU();
    const seq = new Sequential(a, b);
    expect(seq.length).toBe(2);
    expect(seq.at(-1)).toBe(b);
    expect([...seq]).toEqual([a, b]);
    expect(() => seq.at(2)).toThrow('Sequential.at: index 2 is out of range for 2 modules');
    expect(() => seq.append({} as ReLU)).toThrow('Sequential: item 2 must be a Module with a forward method');
    const list = new ModuleList<Linear>().extend([new Linear(1, 1), new Linear(1, 1)]);
    expect(list.namedChildren().map((e) => e[0])).toEqual(['0', '1']);
    expect(() => list.at(-3)).toThrow('ModuleList.at: index -3 is out of range for 2 modules');
    expect(() => list.append({} as Linear)).toThrow('ModuleList: item 2 must be a Module');
    // re-registering an index replaces the item (torch's seq[1] = m)
    const relu = new ReLU();
    seq.registerModule('1', relu);
    expect([...seq]).toEqual([a, relu]);
    const empty = new Sequential().forward(ones([2]));
    expect(values(empty.data)).toEqual([1, 1]);
  });
});
