#!/usr/bin/python3
"""Golden values for LayerNorm and RMSNorm from PyTorch 1.13 (Debian's python3-torch).

Run from packages/norms:  /usr/bin/python3 test/gen_ln_rms_fixtures.py
Writes test/fixtures/layer_norm.json and test/fixtures/rms_norm.json (committed; CI only reads them).

Every case stores its inputs (x, weight, bias, dy in the case's dtype, exactly as the tests rebuild
them) and its results:
  "torch":   (LayerNorm only) PyTorch run in the case's dtype; float32 keeps its statistics in float32;
  "torch64": the same inputs cast to float64 and run in float64, unrounded: the answer normkit's
             float32 kernels (float64 statistics and accumulation) are held to, rounded;
  "exact":   mean, rstd, y, dx, dweight, dbias in 60-digit decimal arithmetic (no PyTorch),
             rounded once to float64.
LayerNorm uses torch.native_layer_norm (mean, rstd) and autograd for dx, dweight, dbias with the loss
sum(y * dy). PyTorch 1.13 has no nn.RMSNorm, so RMSNorm is composed,
  y = x * rsqrt(mean(x^2 over the normalized dims) + eps) * weight,
and differentiated by autograd in float64 only ("torch64"; the tests round it for float32 cases).
Statistics are reshaped to normkit's layout: the leading dims only ([] when all dims are normalized).
"""
import json
import math
import os
from decimal import Decimal, localcontext

import torch

torch.manual_seed(1234)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
DT = {"float32": torch.float32, "float64": torch.float64}


def enc(t):
    """{ dtype, shape, data } with data flat row-major and non-finite values as strings."""
    if t is None:
        return None
    t = t.detach()
    vals = []
    for v in t.reshape(-1).tolist():
        if math.isnan(v):
            vals.append("nan")
        elif math.isinf(v):
            vals.append("inf" if v > 0 else "-inf")
        else:
            vals.append(v)
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": vals}


def lead(t, x, k):
    return t.reshape(x.shape[: x.dim() - k])


def run_ln(x, shape, w, b, dy, eps):
    x = x.clone().requires_grad_(True)
    w = None if w is None else w.clone().requires_grad_(True)
    b = None if b is None else b.clone().requires_grad_(True)
    y, mean, rstd = torch.native_layer_norm(x, shape, w, b, eps)
    if x.numel() > 0:
        (y * dy).sum().backward()
    k = len(shape)
    return {
        "y": enc(y), "mean": enc(lead(mean, x, k)), "rstd": enc(lead(rstd, x, k)),
        "dx": enc(x.grad if x.grad is not None else torch.zeros_like(x)),
        "dweight": enc(None if w is None else (w.grad if w.grad is not None else torch.zeros_like(w))),
        "dbias": enc(None if b is None else (b.grad if b.grad is not None else torch.zeros_like(b))),
    }


def run_rms(x, shape, w, dy, eps):
    """Composed RMSNorm in float64 with autograd."""
    x = x.double().clone().requires_grad_(True)
    w = None if w is None else w.double().clone().requires_grad_(True)
    dims = tuple(range(x.dim() - len(shape), x.dim()))
    rstd = torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + eps)
    y = x * rstd
    if w is not None:
        y = y * w
    if x.numel() > 0:
        (y * dy.double()).sum().backward()
    return {
        "y": enc(y), "rstd": enc(lead(rstd, x, len(shape))),
        "dx": enc(x.grad if x.grad is not None else torch.zeros_like(x)),
        "dweight": enc(None if w is None else (w.grad if w.grad is not None else torch.zeros_like(w))),
    }


def exact_stats(x, shape, w, b, dy, eps, remove_mean):
    """mean, rstd, y and the gradients of sum(y * dy) in 60-digit decimal arithmetic, rounded once.

    The oracle for normkit, independent of PyTorch (whose float64 statistics are off by up to ~4e-11
    relative on the mean 1e4, std 0.01 row). With xhat = (x - mean) * rstd and g = dy * weight:
      dx = rstd * (g - mean(g) - xhat * mean(g * xhat))   (RMSNorm: mean = 0 and no mean(g) term),
      dweight = sum over rows of dy * xhat, dbias = sum over rows of dy.
    normkit's conventions: a row with NaN/Infinity is NaN; var + eps == 0 gives rstd = 0, xhat = 0,
    y = bias, dx = 0; an empty row has var 0.
    """
    k = len(shape)
    n = math.prod(shape)
    lead_shape = list(x.shape[: x.dim() - k])
    m = math.prod(lead_shape)
    rows = x.double().reshape(m, n).tolist()
    grows = dy.double().reshape(m, n).tolist()
    wv = [1.0] * n if w is None else w.double().reshape(-1).tolist()
    bv = [0.0] * n if b is None else b.double().reshape(-1).tolist()
    means, rstds, ys, dxs = [], [], [], []
    nan = Decimal("NaN")
    dw = [Decimal(0)] * n
    db = [Decimal(0)] * n
    with localcontext() as ctx:
        ctx.prec = 60
        for row, grow in zip(rows, grows):
            gy = [Decimal(v) for v in grow]
            db = [db[j] + gy[j] for j in range(n)]
            if any(not math.isfinite(v) for v in row):
                means.append(float("nan"))
                rstds.append(float("nan"))
                ys += [float("nan")] * n
                dxs += [float("nan")] * n
                dw = [nan] * n
                continue
            d = [Decimal(v) for v in row]
            mu = (sum(d, Decimal(0)) / n if n else Decimal(0)) if remove_mean else Decimal(0)
            var = sum(((v - mu) ** 2 for v in d), Decimal(0)) / n if n else Decimal(0)
            t = var + Decimal(eps)
            rs = Decimal(0) if t == 0 else 1 / t.sqrt()
            xh = [(v - mu) * rs for v in d]
            g = [gy[j] * Decimal(wv[j]) for j in range(n)]
            mg = sum(g, Decimal(0)) / n if remove_mean and n else Decimal(0)
            mgx = sum((g[j] * xh[j] for j in range(n)), Decimal(0)) / n if n else Decimal(0)
            means.append(float(mu))
            rstds.append(float(rs))
            ys += [float(xh[j] * Decimal(wv[j]) + Decimal(bv[j])) for j in range(n)]
            dxs += [float(rs * (g[j] - mg - xh[j] * mgx)) for j in range(n)]
            dw = [dw[j] + gy[j] * xh[j] for j in range(n)]
    st = lambda a: torch.tensor(a, dtype=torch.float64).reshape(lead_shape)
    vec = lambda a: torch.tensor([float(v) for v in a], dtype=torch.float64).reshape(shape)
    out = {"rstd": enc(st(rstds)), "y": enc(torch.tensor(ys, dtype=torch.float64).reshape(x.shape)),
           "dx": enc(torch.tensor(dxs, dtype=torch.float64).reshape(x.shape)), "dweight": enc(vec(dw))}
    if remove_mean:
        out["mean"] = enc(st(means))
        out["dbias"] = enc(vec(db))
    return out


def randn(shape, dtype):
    return torch.randn(*shape, dtype=torch.float64).to(DT[dtype])


def ln_case(name, x, shape, dtype, affine, eps=1e-5, hard=False, note=""):
    x = x.to(DT[dtype])
    ns = list(shape)
    w = randn(ns, dtype) if affine in ("wb", "w") else None
    b = randn(ns, dtype) if affine in ("wb", "b") else None
    dy = randn(list(x.shape), dtype)
    c = {"name": name, "note": note, "dtype": dtype, "normalized_shape": ns, "eps": eps, "hard": hard,
         "x": enc(x), "weight": enc(w), "bias": enc(b), "dy": enc(dy),
         "torch": run_ln(x, ns, w, b, dy, eps), "exact": exact_stats(x, ns, w, b, dy, eps, True)}
    if dtype == "float32":
        d = lambda t: None if t is None else t.double()
        c["torch64"] = run_ln(x.double(), ns, d(w), d(b), dy.double(), eps)
    return c


def rms_case(name, x, shape, dtype, weight, eps=None, hard=False, note=""):
    """eps None: normkit's default, torch.finfo(dtype).eps (as torch >= 2.4's nn.RMSNorm(eps=None))."""
    x = x.to(DT[dtype])
    ns = list(shape)
    w = randn(ns, dtype) if weight else None
    dy = randn(list(x.shape), dtype)
    e = torch.finfo(DT[dtype]).eps if eps is None else eps
    r64 = run_rms(x, ns, w, dy, e)
    return {"name": name, "note": note, "dtype": dtype, "normalized_shape": ns, "eps": eps, "eps_used": e,
            "hard": hard, "x": enc(x), "weight": enc(w), "dy": enc(dy), "torch64": r64,
            "exact": exact_stats(x, ns, w, None, dy, e, False)}


def hard_rows(dtype):
    """Rows [6, 4]: the issue's hard inputs next to an ordinary row."""
    rows = [
        [40000.0, 40001.0, 40002.0, 40003.0],
        (1e4 + 0.01 * torch.randn(4, dtype=torch.float64)).tolist(),
        [3.25, 3.25, 3.25, 3.25],
        [1e30, -2e30, 3e30, 0.5e30],
        [1e-3, -2e-3, 0.5e-3, 4e-3],
        torch.randn(4, dtype=torch.float64).tolist(),
    ]
    return torch.tensor(rows, dtype=torch.float64).to(DT[dtype])


def nan_rows(dtype):
    x = randn([3, 5], dtype)
    x[1, 2] = float("nan")
    return x


def layer_norm_cases():
    cases = []
    for dtype in ("float32", "float64"):
        t = dtype[-2:]
        cases += [
            ln_case(f"rank1_wb_f{t}", randn([4, 8], dtype), [8], dtype, "wb"),
            ln_case(f"rank1_none_f{t}", randn([3, 7], dtype), [7], dtype, "none"),
            ln_case(f"rank2_w_f{t}", randn([2, 3, 4], dtype), [3, 4], dtype, "w"),
            ln_case(f"rank3_b_f{t}", randn([2, 2, 3, 4], dtype), [2, 3, 4], dtype, "b"),
            ln_case(f"rank1_wb_3d_f{t}", randn([2, 3, 6], dtype) * 3 + 1, [6], dtype, "wb", eps=1e-3),
            ln_case(f"whole_shape_wb_f{t}", randn([3, 4], dtype), [3, 4], dtype, "wb",
                    note="normalized shape = whole shape: statistics have shape []"),
            ln_case(f"d1_wb_f{t}", randn([5, 1], dtype), [1], dtype, "wb", note="d = 1: y = bias, dx = 0"),
            ln_case(f"zero_rows_wb_f{t}", randn([0, 4], dtype), [4], dtype, "wb", note="M = 0"),
            ln_case(f"eps0_f{t}", randn([3, 6], dtype), [6], dtype, "wb", eps=0.0, note="eps = 0, non-constant rows"),
            ln_case(f"nan_row_wb_f{t}", nan_rows(dtype), [5], dtype, "wb",
                    note="NaN in row 1 only: that row is NaN, the others exact; dweight is NaN"),
            ln_case(f"hard_rows_wb_f{t}", hard_rows(dtype), [4], dtype, "wb", hard=True,
                    note="[40000..40003]; mean 1e4 std 0.01; constant; |x|~1e30; small; ordinary"),
        ]
    return cases


def rms_norm_cases():
    cases = []
    for dtype in ("float32", "float64"):
        t = dtype[-2:]
        zero = randn([3, 5], dtype)
        zero[1] = 0
        const = randn([3, 4], dtype)
        const[0] = 2.5
        cases += [
            rms_case(f"rank1_w_f{t}", randn([4, 8], dtype), [8], dtype, True),
            rms_case(f"rank1_none_f{t}", randn([3, 7], dtype), [7], dtype, False, eps=1e-6),
            rms_case(f"rank2_w_f{t}", randn([2, 3, 4], dtype), [3, 4], dtype, True, eps=1e-6),
            rms_case(f"rank3_w_f{t}", randn([2, 2, 3, 4], dtype), [2, 3, 4], dtype, True),
            rms_case(f"whole_shape_w_f{t}", randn([3, 4], dtype), [3, 4], dtype, True),
            rms_case(f"d1_w_f{t}", randn([5, 1], dtype), [1], dtype, True),
            rms_case(f"zero_rows_w_f{t}", randn([0, 4], dtype), [4], dtype, True),
            rms_case(f"zero_row_default_eps_f{t}", zero, [5], dtype, True, note="a zero row with the default eps"),
            rms_case(f"constant_row_f{t}", const, [4], dtype, True, eps=0.0),
            rms_case(f"eps0_f{t}", randn([3, 6], dtype), [6], dtype, True, eps=0.0),
            rms_case(f"nan_row_w_f{t}", nan_rows(dtype), [5], dtype, True),
            rms_case(f"large_small_w_f{t}", torch.tensor([[1e30, -2e30, 3e30, 0.5e30], [1e-30, 2e-30, -3e-30, 1e-31],
                                                          [1e4 + 0.01, 1e4 - 0.01, 1e4, 1e4 + 0.02]]),
                     [4], dtype, True, eps=0.0, hard=True, note="x^2 overflows/underflows float32"),
        ]
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "test/gen_ln_rms_fixtures.py", "torch": torch.__version__}
    for name, cases in (("layer_norm.json", layer_norm_cases()), ("rms_norm.json", rms_norm_cases())):
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            json.dump({**meta, "cases": cases}, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
