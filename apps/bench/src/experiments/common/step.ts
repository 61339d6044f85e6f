import type { Variable } from '@normkit/autograd';
import { tidy } from '@normkit/tensor';

/**
 * One optimizer update of a hand-written training loop (the MLP and LSTM experiments), inside
 * tidy(): on the wasm backend everything the step allocates (batch, activations, the graph) is
 * freed when it returns, so a long run keeps its memory flat (as @normkit/transformer's train()).
 * Parameters and optimizer state are kept by @normkit/nn, the gradients by backward (so p.grad
 * stays valid until the next zeroGrad disposes it). Returns the loss before the update.
 */
export function tidyStep(optimizer: { zeroGrad(): void; step(): void }, loss: () => Variable): number {
  return tidy(() => {
    optimizer.zeroGrad();
    const l = loss();
    const value = l.item();
    l.backward();
    optimizer.step();
    return value;
  });
}
