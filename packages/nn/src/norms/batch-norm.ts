import { reshape, type TensorOperand, type Variable } from '@normkit/autograd';
import { fill, formatShape, ones, ShapeError, type Tensor, zeros } from '@normkit/tensor';
import { dtypeOf, type ModuleOptions } from '../module.js';
import { batchNorm, instanceNorm } from './differentiable.js';
import { AffineNorm, checkChannels, checkEps, registerAffine } from './modules.js';

/**
 * BatchNorm and InstanceNorm modules: per-channel affine [C] plus, when trackRunningStats, the
 * buffers torch has under torch's state-dict keys: running_mean (zeros), running_var (ones) and
 * num_batches_tracked (a float64 counter). Running statistics follow torch:
 *   running = (1 - momentum) * running + momentum * batch statistic (variance unbiased),
 *   momentum null (BatchNorm only): the cumulative average, factor 1 / num_batches_tracked.
 */

export interface RunningNormOptions extends ModuleOptions {
  /** default 1e-5 */
  eps?: number;
  /** default 0.1; null = cumulative moving average (BatchNorm only) */
  momentum?: number | null;
  /** Learn a per-channel weight and bias [numFeatures]. */
  affine?: boolean;
  /** Keep running statistics for eval mode. */
  trackRunningStats?: boolean;
}

class RunningNorm extends AffineNorm {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(
    op: string,
    numFeatures: number,
    options: RunningNormOptions,
    defaults: boolean,
    nullMomentum: boolean,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new RangeError(`${op}: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const okMomentum =
      momentum === null ? nullMomentum : Number.isFinite(momentum) && momentum >= 0 && momentum <= 1;
    if (!okMomentum) {
      const allowed = nullMomentum ? 'a number in [0, 1] or null' : 'a number in [0, 1]';
      throw new RangeError(`${op}: momentum must be ${allowed}, got ${momentum}`);
    }
    this.numFeatures = numFeatures;
    this.eps = checkEps(op, options.eps ?? 1e-5);
    this.momentum = momentum;
    const dtype = dtypeOf(op, options);
    const affine = options.affine ?? defaults;
    registerAffine(this, [numFeatures], dtype, affine, affine);
    const track = options.trackRunningStats ?? defaults;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'float64' }) : null, {
      counter: true,
    });
  }

  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }
  /** Training steps seen (torch's num_batches_tracked); null without running statistics. */
  get numBatchesTracked(): number | null {
    return this.getBuffer('num_batches_tracked')?.item() ?? null;
  }
  get trackRunningStats(): boolean {
    return this.runningMean !== null;
  }

  /** Running statistics back to mean 0, variance 1, count 0 (torch's reset_running_stats). */
  resetRunningStats(): void {
    if (this.runningMean) fill(this.runningMean, 0);
    if (this.runningVar) fill(this.runningVar, 1);
    const count = this.getBuffer('num_batches_tracked');
    if (count) fill(count, 0);
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, ` +
      `trackRunningStats=${this.trackRunningStats}`
    );
  }
}

function rankError(op: string, expected: string, x: TensorOperand): ShapeError {
  return new ShapeError(
    op,
    'x',
    expected,
    `${x.shape.length}D input`,
    `${op}: expected ${expected} (got ${x.shape.length}D input of shape ${formatShape(x.shape)})`,
  );
}

/**
 * BatchNorm over every axis but the channel axis 1. training: batch statistics, running
 * statistics updated; eval: the running statistics (or the batch's when trackRunningStats is false).
 */
class BatchNormBase extends RunningNorm {
  forward(x: TensorOperand): Variable {
    checkChannels(this.constructor.name, x, this.numFeatures, 'numFeatures');
    const count = this.getBuffer('num_batches_tracked');
    const counter = this.training && count ? { value: count.item() } : undefined;
    const y = batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
      numBatchesTracked: counter,
    });
    if (counter && count) fill(count, counter.value);
    return y;
  }
}

/** torch.nn.BatchNorm1d: x [N, C] or [N, C, L]. Defaults affine = trackRunningStats = true. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: RunningNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options, true, true);
  }

  override forward(x: TensorOperand): Variable {
    if (x.shape.length !== 2 && x.shape.length !== 3) throw rankError('BatchNorm1d', '2D or 3D input', x);
    return super.forward(x);
  }
}

/** torch.nn.BatchNorm2d: x [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: RunningNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options, true, true);
  }

  override forward(x: TensorOperand): Variable {
    if (x.shape.length !== 4) throw rankError('BatchNorm2d', '4D input', x);
    return super.forward(x);
  }
}

/**
 * InstanceNorm: each (sample, channel) plane normalized with its own statistics (in eval too,
 * unless trackRunningStats). Defaults as torch: affine = trackRunningStats = false. An unbatched
 * input (no N axis) is normalized as a batch of one.
 */
class InstanceNormBase extends RunningNorm {
  readonly #spatial: number;

  constructor(op: string, spatial: number, numFeatures: number, options: RunningNormOptions) {
    super(op, numFeatures, options, false, false);
    this.#spatial = spatial;
  }

  forward(x: TensorOperand): Variable {
    const op = this.constructor.name;
    const rank = x.shape.length;
    const batched = this.#spatial + 2;
    if (rank === batched - 1) return reshape(this.forward(reshape(x, [1, ...x.shape])), x.shape);
    if (rank !== batched)
      throw rankError(op, `${batched - 1}D (unbatched) or ${batched}D (batched) input`, x);
    checkChannels(op, x, this.numFeatures, 'numFeatures');
    return instanceNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum!,
      eps: this.eps,
    });
  }
}

/** torch.nn.InstanceNorm1d: x [N, C, L] or unbatched [C, L]. */
export class InstanceNorm1d extends InstanceNormBase {
  constructor(numFeatures: number, options: RunningNormOptions = {}) {
    super('InstanceNorm1d', 1, numFeatures, options);
  }
}

/** torch.nn.InstanceNorm2d: x [N, C, H, W] or unbatched [C, H, W]. */
export class InstanceNorm2d extends InstanceNormBase {
  constructor(numFeatures: number, options: RunningNormOptions = {}) {
    super('InstanceNorm2d', 2, numFeatures, options);
  }
}
