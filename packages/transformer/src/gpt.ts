import { add, type Variable } from '@normkit/autograd';
import {
  crossEntropy,
  Dropout,
  decodeSafetensors,
  Embedding,
  encodeSafetensors,
  Linear,
  Module,
  ModuleList,
} from '@normkit/nn';
import { arange, type DType, formatShape, Generator, ShapeError, type Tensor } from '@normkit/tensor';
import { TransformerBlock } from './block.js';
import {
  type NormSpec,
  needsFinalNorm,
  type Placement,
  type PlacementSpec,
  resolveNorm,
  resolvePlacement,
} from './config.js';
import { type GenerateOptions, generate } from './generate.js';
import { initGPTWeights } from './gpt-init.js';
import { Instrumentation } from './instrumentation.js';
import { checkDropout, checkDtype, checkSize } from './internal/checks.js';
import { adaptNanoGPTState, stateDictProblems } from './load.js';
import { applyNorm, makeNorm, type NormModule } from './norm.js';
import { type TokenBatch, tokenTensor } from './tokens.js';

export interface GPTConfig {
  vocabSize: number;
  /** Longest context (positions 0 .. blockSize - 1). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** Default 'pre' (GPT-2). */
  placement?: PlacementSpec;
  /** Default LayerNorm with eps 1e-5. */
  norm?: NormSpec;
  /** QK-norm ('layer' or 'rms'); default none. */
  qkNorm?: NormSpec | null;
  /** Biases in Linears and norms (default true; nanoGPT's bias=False drops them). */
  bias?: boolean;
  /** Dropout after the embeddings, on attention weights and on each branch output (default 0). */
  dropout?: number;
  /** MLP hidden width / nEmbd (default 4). */
  mlpRatio?: number;
  dtype?: DType;
  /** Seed of the model's generator (weights, then dropout masks); default 0. */
  seed?: number;
  /** Record per-layer statistics during forward (model.instrumentation); default false. */
  instrument?: boolean;
}

/** The configuration with every default filled in and the placement resolved. */
export type ResolvedGPTConfig = Required<Omit<GPTConfig, 'placement' | 'norm' | 'qkNorm' | 'instrument'>> & {
  placement: Placement;
  norm: NormSpec;
  qkNorm: NormSpec | null;
};

/** nanoGPT's `transformer` ModuleDict: wte, wpe, drop, h, ln_f. */
export class GPTTrunk extends Module {
  constructor(
    readonly wte: Embedding,
    readonly wpe: Embedding,
    readonly drop: Dropout,
    readonly h: ModuleList<TransformerBlock>,
    readonly ln_f: NormModule | null,
  ) {
    super();
    for (const [k, m] of Object.entries({ wte, wpe, drop, h, ln_f })) this.registerModule(k, m);
  }
}

/**
 * A GPT (nanoGPT's model.py) whose blocks take any norm placement and norm kind:
 *   x = drop(wte[idx] + wpe[0..T-1]);  x = h_L(...h_1(x));  logits = ln_f(x) wte^T
 * ln_f exists when the placement leaves the residual stream unnormalized (pre, peri/sandwich, mix
 * ending in pre). The head is tied to the token embedding. State-dict keys and layouts are
 * nanoGPT's (Linear weights [out, in]), so its checkpoints load as they are (loadStateDict).
 */
export class GPT extends Module {
  readonly config: ResolvedGPTConfig;
  readonly transformer: GPTTrunk;
  readonly lm_head: Linear;
  readonly instrumentation: Instrumentation;
  /** Draws the initial weights, then every dropout mask (saved in training checkpoints). */
  readonly generator: Generator;

  constructor(config: GPTConfig) {
    super();
    const op = 'GPT';
    const L = checkSize(op, 'nLayer', config.nLayer);
    const V = checkSize(op, 'vocabSize', config.vocabSize);
    const T = checkSize(op, 'blockSize', config.blockSize);
    const C = checkSize(op, 'nEmbd', config.nEmbd);
    const dtype = checkDtype(op, config.dtype);
    const placement = resolvePlacement(config.placement ?? 'pre', L, op);
    const norm = config.norm ?? 'layer';
    const normConfig = resolveNorm(norm, op); // validated here so errors name GPT
    if (config.qkNorm) resolveNorm(config.qkNorm, op);
    const bias = config.bias ?? true;
    const dropout = checkDropout(op, config.dropout ?? 0);
    this.config = {
      vocabSize: V,
      blockSize: T,
      nLayer: L,
      nHead: config.nHead,
      nEmbd: C,
      placement,
      norm,
      qkNorm: config.qkNorm ?? null,
      bias,
      dropout,
      mlpRatio: config.mlpRatio ?? 4,
      dtype,
      seed: config.seed ?? 0,
    };
    this.generator = new Generator(this.config.seed);
    this.instrumentation = new Instrumentation(config.instrument ?? false);
    const shared = {
      ...this.config,
      generator: this.generator,
      instrumentation: this.instrumentation,
      numLayers: L,
    };
    const blocks = Array.from({ length: L }, (_, i) => new TransformerBlock({ ...shared, layer: i + 1 }));
    const finalNorm = needsFinalNorm(placement, L) ? makeNorm(normConfig, C, { dtype, bias }) : null;
    this.transformer = this.registerModule(
      'transformer',
      new GPTTrunk(
        new Embedding(V, C, { dtype, seed: 0 }),
        new Embedding(T, C, { dtype, seed: 0 }),
        new Dropout(dropout, { generator: this.generator }),
        new ModuleList(blocks),
        finalNorm,
      ),
    );
    this.lm_head = this.registerModule('lm_head', new Linear(C, V, { bias: false, dtype, seed: 0 }));
    this.lm_head.weight = this.transformer.wte.weight; // weight tying (Press & Wolf 2017), as nanoGPT
    initGPTWeights(this, placement, L, this.generator);
  }

  /**
   * idx [B, T] -> logits [B, T, vocabSize]; with targets [B, T], also the mean cross-entropy
   * (nanoGPT's F.cross_entropy(logits.view(-1, V), targets.view(-1))).
   */
  forward(idx: TokenBatch, targets?: TokenBatch): { logits: Variable; loss: Variable | null } {
    const { vocabSize: V, blockSize, nLayer } = this.config;
    const ids = tokenTensor('GPT.forward', 'idx', idx, V, blockSize);
    const T = ids.shape[1]!;
    const tr = this.transformer;
    const pos = arange(0, T, 1, { dtype: 'float64' });
    let x = tr.drop.forward(add(tr.wte.forward(ids), tr.wpe.forward(pos)));
    if (this.instrumentation.enabled) this.instrumentation.begin(nLayer);
    for (const block of tr.h) x = block.forward(x);
    const logits = this.lm_head.forward(applyNorm(tr.ln_f, x));
    if (targets === undefined) return { logits, loss: null };
    const t = tokenTensor('GPT.forward', 'targets', targets, V, blockSize);
    if (t.shape[0] !== ids.shape[0] || t.shape[1] !== T) {
      throw new ShapeError(
        'GPT.forward',
        'targets',
        `the shape of idx ${formatShape(ids.shape)}`,
        formatShape(t.shape),
      );
    }
    return { logits, loss: crossEntropy(logits, t) };
  }

  /**
   * Load a state dict (nanoGPT's keys). Beyond Module.loadStateDict: nanoGPT's causal-mask buffers
   * (`transformer.h.<i>.attn.bias`) are accepted and dropped, and the tied head may appear as
   * `transformer.wte.weight`, `lm_head.weight` or both (equal). Every problem is listed in one
   * StateDictError and nothing is written.
   */
  override loadStateDict(
    dict: Record<string, Tensor | Variable>,
    options: { strict?: boolean } = {},
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    const adapted = adaptNanoGPTState(dict, this.config.blockSize);
    if (adapted.mismatched.length > 0) {
      throw stateDictProblems(
        'GPT',
        this.stateDict(),
        adapted.dict,
        options.strict ?? true,
        adapted.mismatched,
      );
    }
    return super.loadStateDict(adapted.dict, options);
  }

  /** Load a .safetensors file's bytes (converted to the model's dtype). */
  loadSafetensors(
    bytes: Uint8Array,
    options: { strict?: boolean } = {},
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    const { tensors } = decodeSafetensors(bytes, { dtype: this.config.dtype, source: 'GPT.loadSafetensors' });
    return this.loadStateDict(tensors, options);
  }

  /** The state dict as .safetensors bytes (with lm_head.weight, as torch's state_dict()). */
  toSafetensors(metadata?: Record<string, string>): Uint8Array {
    return encodeSafetensors(this.stateDict(), metadata);
  }

  /** Continue `prompt` by sampling (see generate.ts); no graph is recorded. */
  generate(prompt: readonly number[], options: GenerateOptions): number[] {
    return generate(this, prompt, options);
  }

  override extraRepr(): string {
    const c = this.config;
    return `nLayer=${c.nLayer}, nHead=${c.nHead}, nEmbd=${c.nEmbd}, vocabSize=${c.vocabSize}, blockSize=${c.blockSize}`;
  }
}
