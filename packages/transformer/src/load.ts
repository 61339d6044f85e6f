import type { Variable } from '@normkit/autograd';
import { StateDictError } from '@normkit/nn';
import { formatShape, sameShape, Tensor } from '@normkit/tensor';

const MASK_KEY = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;
const WTE = 'transformer.wte.weight';
const HEAD = 'lm_head.weight';

interface Mismatch {
  key: string;
  expected: string;
  actual: string;
}

/**
 * A nanoGPT (or Hugging Face GPT-2 style) state dict made to fit a GPT, with what could not be made
 * to fit. Two differences are bridged:
 * - Causal-mask buffers: nanoGPT on torch < 2 registers `transformer.h.<i>.attn.bias`
 *   [1, 1, blockSize, blockSize] (HF adds `attn.masked_bias`). normkit builds its mask, so these
 *   keys are dropped; a `.attn.bias` of another shape is reported (it is not nanoGPT's mask).
 * - The tied head: torch's state_dict holds the shared tensor under both `transformer.wte.weight`
 *   and `lm_head.weight`; safetensors' save_model keeps one of the two names. Either alone loads
 *   into both; both must hold the same values (else the checkpoint was not tied).
 */
export function adaptNanoGPTState(
  dict: Record<string, Tensor | Variable>,
  blockSize: number,
): { dict: Record<string, Tensor | Variable>; mismatched: Mismatch[] } {
  const out: Record<string, Tensor | Variable> = {};
  const mismatched: Mismatch[] = [];
  const mask = [1, 1, blockSize, blockSize];
  for (const [key, v] of Object.entries(dict)) {
    const m = MASK_KEY.exec(key);
    if (m === null) {
      out[key] = v;
    } else if (m[1] === 'bias' && !sameShape(v.shape, mask)) {
      mismatched.push({
        key,
        expected: `nanoGPT's causal mask of shape ${formatShape(mask)}`,
        actual: `shape ${formatShape(v.shape)}`,
      });
    }
  }
  const wte = out[WTE];
  const head = out[HEAD];
  if (wte !== undefined && head === undefined) out[HEAD] = wte;
  else if (head !== undefined && wte === undefined) out[WTE] = head;
  else if (wte !== undefined && head !== undefined && sameShape(wte.shape, head.shape)) {
    const diff = maxAbsDiff(dataOf(wte), dataOf(head));
    if (diff !== 0) {
      mismatched.push({
        key: HEAD,
        expected: `the values of ${WTE} (the head is tied to it)`,
        actual: `values differing by up to ${diff}`,
      });
    }
  }
  return { dict: out, mismatched };
}

function dataOf(v: Tensor | Variable): Tensor {
  return v instanceof Tensor ? v : v.data;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.toTypedArray();
  const y = b.toTypedArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
}

/**
 * Every problem loading `dict` into a model whose state is `own` would meet (torch's
 * load_state_dict report), merged with `extra` into one StateDictError; null when there is none.
 */
export function stateDictProblems(
  moduleName: string,
  own: Record<string, Tensor>,
  dict: Record<string, Tensor | Variable>,
  strict: boolean,
  extra: Mismatch[],
): StateDictError | null {
  const missing = strict ? Object.keys(own).filter((k) => !Object.hasOwn(dict, k)) : [];
  const unexpected = strict ? Object.keys(dict).filter((k) => !Object.hasOwn(own, k)) : [];
  const mismatched = [...extra];
  for (const [k, t] of Object.entries(own)) {
    const v = dict[k];
    if (v === undefined) continue;
    const d = dataOf(v);
    if (!sameShape(d.shape, t.shape))
      mismatched.push({
        key: k,
        expected: `shape ${formatShape(t.shape)}`,
        actual: `shape ${formatShape(d.shape)}`,
      });
    else if (d.dtype !== t.dtype)
      mismatched.push({ key: k, expected: `dtype ${t.dtype}`, actual: `dtype ${d.dtype}` });
  }
  if (missing.length + unexpected.length + mismatched.length === 0) return null;
  return new StateDictError(moduleName, missing, unexpected, mismatched);
}
