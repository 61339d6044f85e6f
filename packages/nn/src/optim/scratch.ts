import { allocate, type DType, dispose, keep, Tensor } from '@normkit/tensor';
import { sameDims } from './checks.js';

/**
 * Temporary buffers for an optimizer's update (Adam's denominator, SGD's weight-decayed gradient).
 * Updates run one parameter at a time, so two buffers the size of the LARGEST parameter (per dtype)
 * serve every parameter: the memory cost is 2 x max(param size), not 2 x total, and nothing is
 * allocated per step once each parameter has its views. The views of a parameter are cached and
 * rebuilt only when its shape changes or a larger parameter forced the buffers to grow.
 * The buffers are created inside the first step (usually inside a tidy) and live as long as the
 * optimizer, so they are keep()-ed; buffers outgrown by a larger parameter are disposed.
 */
export class Scratch {
  /** The pair of buffers per dtype, each as a flat tensor. */
  private readonly buffers = new Map<DType, Tensor[]>();
  private readonly views = new Map<object, Tensor[]>();

  /** Buffer k (0 or 1) viewed as a contiguous tensor of this shape and dtype. Owner keys the cache. */
  get(owner: object, shape: readonly number[], dtype: DType, k: 0 | 1): Tensor {
    const cached = this.views.get(owner);
    const view = cached?.[k];
    if (view !== undefined && view.dtype === dtype && sameDims(view.shape, shape)) return view;
    const size = shape.reduce((a, b) => a * b, 1);
    let bufs = this.buffers.get(dtype);
    if (bufs === undefined || bufs[0]!.size < size) {
      // grow both; every cached view (of any dtype) is dropped, so the outgrown pair is reached by
      // nothing (an update uses its two temporaries before the next parameter asks) and is freed
      if (bufs !== undefined) dispose(bufs);
      const n = Math.max(size, 1);
      bufs = [keep(new Tensor(allocate(dtype, n), [n])), keep(new Tensor(allocate(dtype, n), [n]))];
      this.buffers.set(dtype, bufs);
      this.views.clear();
    }
    const pair = [new Tensor(bufs[0]!.data, shape), new Tensor(bufs[1]!.data, shape)];
    this.views.set(owner, pair);
    return pair[k]!;
  }
}
