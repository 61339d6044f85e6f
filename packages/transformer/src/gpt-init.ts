import { type Module, normal_, xavierNormal_, zeros_ } from '@normkit/nn';
import type { Generator, Tensor } from '@normkit/tensor';
import type { Placement } from './config.js';

/**
 * Weight initialisation, drawn from one generator in namedParameters order (so a seed fixes the
 * model). Norm parameters keep their constructor values (LayerNorm/RMSNorm weight 1, bias 0, DyT
 * alpha = alphaInit). For the other parameters, by name:
 *
 * nanoGPT (every placement but deepnorm), GPT-2's scheme:
 *   *.weight of Linears and embeddings    N(0, 0.02^2)
 *   *.c_proj.weight (attention and MLP)   N(0, (0.02 / sqrt(2 L))^2): each residual branch adds
 *                                         variance, 2 L of them in all (Radford et al. 2019)
 *   Linear biases                         0
 *
 * deepnorm (Wang et al. 2022, figure 2, decoder-only constants): Xavier normal with gain beta on
 * the MLP (c_fc, c_proj), the value rows of c_attn and attn.c_proj, gain 1 on the query and key
 * rows; c_attn [3C, C] is three [C, C] projections (q, k, v rows), each initialised with its own
 * fans as torchscale's separate q_proj/k_proj/v_proj. Embeddings N(0, 0.02^2), biases 0.
 */
export function initGPTWeights(model: Module, placement: Placement, numLayers: number, gen: Generator): void {
  const projStd = 0.02 / Math.sqrt(2 * numLayers);
  const beta = placement.kind === 'deepnorm' ? placement.beta : null;
  for (const [name, p] of model.namedParameters()) {
    const t = p.data;
    if (isNormParameter(name)) continue;
    if (name.endsWith('.bias')) {
      zeros_(t);
      continue;
    }
    if (name.startsWith('transformer.wte.') || name.startsWith('transformer.wpe.') || beta === null) {
      normal_(t, 0, name.endsWith('c_proj.weight') ? projStd : 0.02, gen);
      continue;
    }
    if (name.endsWith('attn.c_attn.weight')) initQKV(t, beta, gen);
    else xavierNormal_(t, { gain: beta, rng: gen });
  }
}

/** q and k rows Xavier(gain 1), v rows Xavier(gain beta), each block [C, C]. */
function initQKV(w: Tensor, beta: number, gen: Generator): void {
  const C = w.shape[1]!;
  xavierNormal_(w.narrow(0, 0, C), { gain: 1, rng: gen });
  xavierNormal_(w.narrow(0, C, C), { gain: 1, rng: gen });
  xavierNormal_(w.narrow(0, 2 * C, C), { gain: beta, rng: gen });
}

/** Parameters of norm modules (ln_1, ln_2, ln_1_out, ln_2_out, ln_f, q_norm, k_norm). */
export function isNormParameter(name: string): boolean {
  return /(^|\.)(ln_\w+|q_norm|k_norm)\.\w+$/.test(name);
}
