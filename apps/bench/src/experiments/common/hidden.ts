import { add, noGrad } from '@normkit/autograd';
import { arange, type Tensor } from '@normkit/tensor';
import type { GPT } from '@normkit/transformer';

/**
 * The residual stream of a GPT on one batch, as the norms see it: entry l (l = 0 .. L-1) is the
 * input of block l + 1 (entry 0 the embeddings), entry L the output of the last block (what ln_f
 * normalizes, for the placements that have it). Each is a float64 copy [B * T, C]. Eval mode, no
 * graph. Mirrors GPT.forward: x = wte[idx] + wpe[0..T-1], then the blocks in order.
 */
export function residualStreams(model: GPT, idx: Tensor): Float64Array[] {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const tr = model.transformer;
      const T = idx.shape[1]!;
      let x = add(tr.wte.forward(idx), tr.wpe.forward(arange(0, T, 1, { dtype: 'float64' })));
      const out = [toFloat64(x.data)];
      for (const block of tr.h) {
        x = block.forward(x);
        out.push(toFloat64(x.data));
      }
      return out;
    });
  } finally {
    model.train(wasTraining);
  }
}

function toFloat64(t: Tensor): Float64Array {
  const c = t.contiguous();
  return Float64Array.from(c.data.subarray(c.offset, c.offset + c.size));
}
