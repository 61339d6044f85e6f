import type { Variable } from '@normkit/autograd';
import { Dropout, GELU, Linear, Module } from '@normkit/nn';
import { Generator } from '@normkit/tensor';
import type { SublayerOptions } from './attention.js';
import { checkDropout, checkDtype, checkSize } from './internal/checks.js';

export interface MLPOptions extends SublayerOptions {
  /** Hidden width = mlpRatio * nEmbd (default 4, GPT-2). */
  mlpRatio?: number;
}

/** nanoGPT's MLP: y = dropout(c_proj(gelu(c_fc(x)))), GELU with the exact erf (torch's nn.GELU()). */
export class MLP extends Module {
  readonly nEmbd: number;
  readonly hidden: number;
  readonly c_fc: Linear;
  readonly gelu: GELU;
  readonly c_proj: Linear;
  readonly dropout: Dropout;

  constructor(options: MLPOptions) {
    super();
    const C = checkSize('MLP', 'nEmbd', options.nEmbd);
    const ratio = options.mlpRatio ?? 4;
    const hidden = ratio * C;
    if (!Number.isSafeInteger(hidden) || hidden < 1) {
      throw new RangeError(`MLP: mlpRatio * nEmbd expected an integer >= 1, got ${ratio} * ${C}`);
    }
    this.nEmbd = C;
    this.hidden = hidden;
    const dtype = checkDtype('MLP', options.dtype);
    const bias = options.bias ?? true;
    const p = checkDropout('MLP', options.dropout ?? 0);
    this.c_fc = this.registerModule('c_fc', new Linear(C, hidden, { bias, dtype, seed: 0 }));
    this.gelu = this.registerModule('gelu', new GELU());
    this.c_proj = this.registerModule('c_proj', new Linear(hidden, C, { bias, dtype, seed: 0 }));
    this.dropout = this.registerModule(
      'dropout',
      new Dropout(p, { generator: options.generator ?? new Generator(0) }),
    );
  }

  forward(x: Variable): Variable {
    return this.dropout.forward(this.c_proj.forward(this.gelu.forward(this.c_fc.forward(x))));
  }
}
