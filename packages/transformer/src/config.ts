/**
 * Norm placements and norm kinds, as plain data (discriminated unions with their constants).
 * With A the attention, M the MLP, N1/N2 a block's two norms and l = 1..L the layer:
 *
 *   post      x = N1(x + A(x));          x = N2(x + M(x))                      Vaswani et al. 2017
 *   pre       x = x + A(s N1(x));        x = x + M(s N2(x)); final norm        GPT-2/3, LLaMA
 *             s = 1/sqrt(l) with depthScaling (LayerNorm Scaling, Sun et al. 2025), else 1
 *   peri      x = x + N1o(A(N1(x)));     x = x + N2o(M(N2(x))); final norm     Kim et al. 2025
 *   sandwich  an alias of peri: CogView's Sandwich-LN (Ding et al. 2021) is the same formula
 *   deepnorm  x = N1(a x + A(x));        x = N2(a x + M(x))                    Wang et al. 2022
 *             a = (2L)^(1/4); Xavier-normal init with gain b = (8L)^(-1/4) (decoder-only)
 *   mix       post for l <= floor(ratio L), pre after; final norm if a pre layer exists (Li et al. 2024)
 *   b2t       h = N1(x + A(x));          x = N2(x + h + M(h))                  Takase et al. 2022
 */

export type NormKind = 'layer' | 'rms' | 'dyt' | 'none';

export interface NormConfig {
  kind: NormKind;
  /** Added to the variance (layer) or mean square (rms); default 1e-5 (nanoGPT, LLaMA 2). Ignored by dyt/none. */
  eps?: number;
  /** DyT's initial alpha (default 0.5, Zhu et al. 2025). */
  alphaInit?: number;
}

/** A norm as its kind alone ('rms') or a config object. */
export type NormSpec = NormKind | NormConfig;

export type Placement =
  | { kind: 'post' }
  | { kind: 'pre'; depthScaling: boolean }
  | { kind: 'peri' }
  | { kind: 'sandwich' }
  | { kind: 'deepnorm'; alpha: number; beta: number }
  | { kind: 'mix'; ratio: number }
  | { kind: 'b2t' };

export type PlacementKind = Placement['kind'];

/** What callers pass: a kind alone, or an object whose constants may be left to their defaults. */
export type PlacementSpec =
  | PlacementKind
  | { kind: 'post' | 'peri' | 'sandwich' | 'b2t' }
  | { kind: 'pre'; depthScaling?: boolean }
  | { kind: 'deepnorm'; alpha?: number; beta?: number }
  | { kind: 'mix'; ratio?: number };

/** The formula one layer runs (mix is post or pre per layer, sandwich is peri). */
export type LayerForm = 'post' | 'pre' | 'peri' | 'deepnorm' | 'b2t';

export const PLACEMENT_KINDS: readonly PlacementKind[] = [
  'post',
  'pre',
  'peri',
  'sandwich',
  'deepnorm',
  'mix',
  'b2t',
];
export const NORM_KINDS: readonly NormKind[] = ['layer', 'rms', 'dyt', 'none'];
export const DEFAULT_EPS = 1e-5;
export const DEFAULT_MIX_RATIO = 0.25;

function checkLayers(op: string, numLayers: number): void {
  if (!Number.isSafeInteger(numLayers) || numLayers < 1) {
    throw new RangeError(`${op}: numLayers expected an integer >= 1, got ${numLayers}`);
  }
}

/** DeepNorm's decoder-only constants: alpha = (2L)^(1/4), beta = (8L)^(-1/4) (Wang et al. 2022, table 1). */
export function deepnormConstants(numLayers: number): { alpha: number; beta: number } {
  checkLayers('deepnormConstants', numLayers);
  return { alpha: (2 * numLayers) ** 0.25, beta: (8 * numLayers) ** -0.25 };
}

/** Constructors with the defaults filled in. */
export const placements = {
  post: (): Placement => ({ kind: 'post' }),
  pre: (options: { depthScaling?: boolean } = {}): Placement => ({
    kind: 'pre',
    depthScaling: options.depthScaling ?? false,
  }),
  peri: (): Placement => ({ kind: 'peri' }),
  sandwich: (): Placement => ({ kind: 'sandwich' }),
  deepnorm: (numLayers: number): Placement => ({ kind: 'deepnorm', ...deepnormConstants(numLayers) }),
  mix: (ratio = DEFAULT_MIX_RATIO): Placement => resolvePlacement({ kind: 'mix', ratio }, 1),
  b2t: (): Placement => ({ kind: 'b2t' }),
};

function positive(op: string, arg: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${op}: ${arg} expected a finite number > 0, got ${v}`);
  }
  return v;
}

/** Validate a placement and fill its defaults (deepnorm's constants come from numLayers). */
export function resolvePlacement(spec: PlacementSpec, numLayers: number, op = 'resolvePlacement'): Placement {
  const p = typeof spec === 'string' ? { kind: spec } : spec;
  if (p === null || typeof p !== 'object' || !PLACEMENT_KINDS.includes(p.kind)) {
    const got = p !== null && typeof p === 'object' ? JSON.stringify(p.kind) : JSON.stringify(spec);
    throw new RangeError(`${op}: placement.kind expected one of ${PLACEMENT_KINDS.join(', ')}, got ${got}`);
  }
  checkLayers(op, numLayers);
  switch (p.kind) {
    case 'pre': {
      const depthScaling = (p as { depthScaling?: boolean }).depthScaling ?? false;
      if (typeof depthScaling !== 'boolean') {
        throw new TypeError(`${op}: placement.depthScaling expected a boolean, got ${typeof depthScaling}`);
      }
      return { kind: 'pre', depthScaling };
    }
    case 'deepnorm': {
      const q = p as { alpha?: number; beta?: number };
      const d = deepnormConstants(numLayers);
      return {
        kind: 'deepnorm',
        alpha: positive(op, 'placement.alpha', q.alpha ?? d.alpha),
        beta: positive(op, 'placement.beta', q.beta ?? d.beta),
      };
    }
    case 'mix': {
      const ratio = (p as { ratio?: number }).ratio ?? DEFAULT_MIX_RATIO;
      if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
        throw new RangeError(`${op}: placement.ratio expected a number in [0, 1], got ${ratio}`);
      }
      return { kind: 'mix', ratio };
    }
    default:
      return { kind: p.kind } as Placement;
  }
}

/** The formula layer `layer` (1-based) of numLayers runs under placement p. */
export function layerForm(p: Placement, layer: number, numLayers: number): LayerForm {
  if (p.kind === 'sandwich') return 'peri';
  if (p.kind !== 'mix') return p.kind;
  return layer <= Math.floor(p.ratio * numLayers) ? 'post' : 'pre';
}

/**
 * Whether the model needs a final norm before the head: when its last layer is pre or peri, whose
 * residual stream is never normalized (post, deepnorm and b2t end each layer with a norm).
 */
export function needsFinalNorm(p: Placement, numLayers: number): boolean {
  const last = layerForm(p, numLayers, numLayers);
  return last === 'pre' || last === 'peri';
}

/** Validate a norm spec and fill its defaults. */
export function resolveNorm(spec: NormSpec, op = 'resolveNorm'): Required<NormConfig> {
  const n = typeof spec === 'string' ? { kind: spec } : spec;
  if (n === null || typeof n !== 'object' || !NORM_KINDS.includes(n.kind)) {
    const got = n !== null && typeof n === 'object' ? JSON.stringify(n.kind) : JSON.stringify(spec);
    throw new RangeError(`${op}: norm.kind expected one of ${NORM_KINDS.join(', ')}, got ${got}`);
  }
  const eps = n.eps ?? DEFAULT_EPS;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${op}: norm.eps expected a finite number >= 0, got ${eps}`);
  }
  const alphaInit = n.alphaInit ?? 0.5;
  if (typeof alphaInit !== 'number' || !Number.isFinite(alphaInit)) {
    throw new RangeError(`${op}: norm.alphaInit expected a finite number, got ${alphaInit}`);
  }
  return { kind: n.kind, eps, alphaInit };
}
