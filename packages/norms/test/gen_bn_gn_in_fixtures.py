#!/usr/bin/python3
"""Golden values for BatchNorm, GroupNorm and InstanceNorm from PyTorch 1.13 (Debian python3-torch).

Run from packages/norms:  /usr/bin/python3 test/gen_bn_gn_in_fixtures.py
Writes test/fixtures/batch_norm.json, group_norm.json, instance_norm.json. CI does not run this;
the tests only read the committed JSON.

Every case holds the inputs, the forward output y, the saved statistics in float64 (mean and
rstd = 1/sqrt(biased var + eps): from torch.native_batch_norm / torch.native_group_norm run on the
float64 input, or computed in float64 here for InstanceNorm and eval mode), the running statistics
after the call (torch updates them in place), and the autograd gradients dx, dweight, dbias of
L = sum(y * dy). Cases are generated in float64 and float32 (the same values rounded). For the
hard float32 cases ("hard": true) torch's float32 kernels keep float32 statistics and lose digits,
so the case also holds "expected64": the float64 torch result on the same (exactly representable)
inputs, which is what normkit's float32 output is compared with. Every float32 case holds
"expected64" too (normkit float32 = one rounding of the float64 answer). Hard cases with finite
inputs also hold "exact": statistics, y and gradients in exact rational arithmetic (fractions;
only rstd = 1/sqrt(var + eps) is rounded once), because torch's float64 kernels themselves lose
about 1e-10 relative on rows with mean 1e4 and std 0.01.
"""

import json
import math
import os
from fractions import Fraction

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "float32", torch.float64: "float64"}


def enc(t):
    if t is None:
        return None
    t = t.detach().cpu()
    data = []
    for v in t.flatten().tolist():
        if isinstance(v, float) and math.isnan(v):
            data.append("nan")
        elif v == math.inf:
            data.append("inf")
        elif v == -math.inf:
            data.append("-inf")
        else:
            data.append(v)
    return {"dtype": DTYPES.get(t.dtype, "int64"), "shape": list(t.shape), "data": data}


def grads(y, inputs, dy):
    """dx, dweight, dbias of L = sum(y * dy) (None where an input is absent)."""
    present = [t for t in inputs if t is not None]
    gs = iter(torch.autograd.grad(y, present, dy))
    return [next(gs) if t is not None else None for t in inputs]


def leaf(t, dtype):
    return None if t is None else t.detach().to(dtype).clone().requires_grad_(True)


def maybe(flag, shape):
    return torch.randn(shape, dtype=torch.float64) if flag else None


def exact_norm(x, G, pooled, w, b, dy, eps):
    """Channel norm of x [N, C, *] with exact rational arithmetic (batch statistics).

    Statistic k of element (n, c) is (0 if pooled else n * G) + c // (C / G). Returns float64
    tensors mean, rstd (one rounding of 1/sqrt), y, dx, dweight, dbias."""
    N, C = x.shape[:2]
    S = x[0, 0].numel() if N > 0 else 1
    Cg = C // G
    xs = [Fraction(v) for v in x.double().flatten().tolist()]
    ds = [Fraction(v) for v in dy.double().flatten().tolist()]
    ws = [Fraction(v) for v in w.double().tolist()] if w is not None else [Fraction(1)] * C
    bs = [Fraction(v) for v in b.double().tolist()] if b is not None else [Fraction(0)] * C
    groups = {}
    for i in range(len(xs)):
        n, c = i // (C * S), (i // S) % C
        groups.setdefault((0 if pooled else n * G) + c // Cg, []).append(i)
    K = len(groups)
    mean, rstd = [0.0] * K, [0.0] * K
    y, dx = [Fraction(0)] * len(xs), [Fraction(0)] * len(xs)
    dw, db = [Fraction(0)] * C, [Fraction(0)] * C
    for k, idx in groups.items():
        M = len(idx)
        m = sum(xs[i] for i in idx) / M
        var = sum((xs[i] - m) ** 2 for i in idx) / M
        r = Fraction(1 / math.sqrt(var + Fraction(eps)))
        mean[k], rstd[k] = float(m), float(r)
        xhat = {i: (xs[i] - m) * r for i in idx}
        g = {i: ds[i] * ws[(i // S) % C] for i in idx}
        mg = sum(g.values()) / M
        mgx = sum(g[i] * xhat[i] for i in idx) / M
        for i in idx:
            c = (i // S) % C
            y[i] = xhat[i] * ws[c] + bs[c]
            dx[i] = r * (g[i] - mg - xhat[i] * mgx)
            dw[c] += ds[i] * xhat[i]
            db[c] += ds[i]
    f64 = lambda v, shape: torch.tensor([float(t) for t in v], dtype=torch.float64).reshape(shape)
    stats_shape = [K] if pooled else [N, G]
    out = {"mean": f64(mean, stats_shape), "rstd": f64(rstd, stats_shape), "y": f64(y, x.shape), "dx": f64(dx, x.shape)}
    if w is not None:
        out.update(dweight=f64(dw, [C]), dbias=f64(db, [C]))
    return {k: enc(v) for k, v in out.items()}


# ---------------------------------------------------------------- BatchNorm
def bn_run(x, w, b, rm, rv, nbt, training, momentum, eps, dy, dtype):
    """One torch BatchNorm call through the nn module (its momentum=None logic uses num_batches_tracked)."""
    C = x.shape[1]
    cls = torch.nn.BatchNorm1d if x.dim() <= 3 else torch.nn.BatchNorm2d
    track = rm is not None
    m = cls(C, eps=eps, momentum=momentum, affine=w is not None, track_running_stats=track).to(dtype)
    xs = leaf(x, dtype)
    ws, bs = leaf(w, dtype), leaf(b, dtype)
    if w is not None:
        m.weight = torch.nn.Parameter(ws)
        m.bias = torch.nn.Parameter(bs)
    if track:
        m.running_mean.copy_(rm.to(dtype))
        m.running_var.copy_(rv.to(dtype))
        m.num_batches_tracked.fill_(nbt)
    m.train(training)
    y = m(xs)
    dx, dw, db = grads(y, [xs, m.weight if w is not None else None, m.bias if w is not None else None], dy.to(dtype))
    out = {"y": y, "dx": dx, "dweight": dw, "dbias": db}
    if track:
        out.update(running_mean=m.running_mean, running_var=m.running_var, num_batches_tracked=int(m.num_batches_tracked))
    return out


def bn_stats(x, rm, rv, training, eps):
    x64 = x.double()
    if training:
        _, mean, rstd = torch.native_batch_norm(x64, None, None, None, None, True, 0.0, eps)
        return mean, rstd
    return rm.double(), 1 / torch.sqrt(rv.double() + eps)


def bn_cases():
    specs = [
        # name, shape, affine, running, training, momentum, nbt, eps
        ("rank2_affine_m0.1", [6, 4], True, True, True, 0.1, 0, 1e-5),
        ("rank3_affine_mNone", [3, 4, 5], True, True, True, None, 2, 1e-5),
        ("rank4_noaffine_m0.1", [2, 3, 4, 4], False, True, True, 0.1, 0, 1e-5),
        ("rank2_noaffine_mNone_first", [5, 3], False, True, True, None, 0, 1e-3),
        ("rank3_no_running_stats", [4, 3, 3], True, False, True, 0.1, 0, 1e-5),
        ("rank3_eval_affine", [3, 4, 5], True, True, False, 0.1, 7, 1e-5),
        ("rank4_eval_noaffine", [2, 3, 3, 2], False, True, False, 0.1, 0, 1e-5),
        ("rank2_eval_affine", [4, 5], True, True, False, 0.1, 0, 1e-5),
    ]
    inputs = []
    for name, shape, affine, running, training, momentum, nbt, eps in specs:
        C = shape[1]
        x = torch.randn(shape, dtype=torch.float64) * 2 + 0.5
        rm = torch.randn(C, dtype=torch.float64) if running else None
        rv = torch.rand(C, dtype=torch.float64) + 0.5 if running else None
        inputs.append((name, x, maybe(affine, [C]), maybe(affine, [C]), rm, rv, training, momentum, nbt, eps, False))
    # hard: per-channel means 1e4 + 10 c, std 0.01; and one constant channel
    x = 1e4 + 10 * torch.arange(3, dtype=torch.float64).view(1, 3, 1) + 0.01 * torch.randn(8, 3, 4, dtype=torch.float64)
    inputs.append(("hard_offset_1e4_std0.01", x, maybe(True, [3]), maybe(True, [3]), torch.zeros(3), torch.ones(3), True, 0.1, 0, 1e-5, True))
    x = torch.randn(4, 3, 2, dtype=torch.float64)
    x[:, 1] = 3.5
    inputs.append(("hard_constant_channel", x, maybe(True, [3]), maybe(True, [3]), torch.zeros(3), torch.ones(3), True, 0.1, 0, 1e-5, True))
    return inputs


def bn_fixture():
    cases = []
    for name, x, w, b, rm, rv, training, momentum, nbt, eps, hard in bn_cases():
        dy = torch.randn(x.shape, dtype=torch.float64)
        for dtype in (torch.float64, torch.float32):
            xd = x.to(dtype)  # float32 cases: the rounded values; expected64 is computed on exactly these
            res = bn_run(xd, w, b, rm, rv, nbt, training, momentum, eps, dy, dtype)
            mean, rstd = bn_stats(xd, None if rm is None else rm.to(dtype), None if rv is None else rv.to(dtype), training, eps)
            case = {
                "name": name, "dtype": DTYPES[dtype], "hard": hard, "training": training,
                "momentum": momentum, "eps": eps, "num_batches_tracked": nbt if rm is not None else None,
                "x": enc(xd), "weight": enc(None if w is None else w.to(dtype)), "bias": enc(None if b is None else b.to(dtype)),
                "running_mean": enc(None if rm is None else rm.to(dtype)), "running_var": enc(None if rv is None else rv.to(dtype)),
                "dy": enc(dy.to(dtype)),
                "expected": {k: (v if isinstance(v, int) else enc(v)) for k, v in res.items()} | {"mean": enc(mean), "rstd": enc(rstd)},
            }
            if hard and not torch.isnan(x).any():
                case["exact"] = exact_norm(xd, x.shape[1], True, None if w is None else w.to(dtype), None if b is None else b.to(dtype), dy.to(dtype), eps)
            if dtype == torch.float32:
                r64 = bn_run(xd.double(), None if w is None else w.to(dtype).double(), None if b is None else b.to(dtype).double(),
                             None if rm is None else rm.to(dtype).double(), None if rv is None else rv.to(dtype).double(),
                             nbt, training, momentum, eps, dy.to(dtype).double(), torch.float64)
                case["expected64"] = {k: (v if isinstance(v, int) else enc(v)) for k, v in r64.items()}
            cases.append(case)
    return cases


# ---------------------------------------------------------------- GroupNorm
def gn_cases():
    specs = [
        ("rank3_G3_affine", [2, 6, 5], 3, True),
        ("rank2_G2_affine", [3, 4], 2, True),
        ("rank4_G2_noaffine", [2, 4, 3, 3], 2, False),
        ("rank3_G1_affine", [2, 4, 3], 1, True),
        ("rank3_GC_affine", [2, 4, 3], 4, True),
    ]
    out = [(n, torch.randn(s, dtype=torch.float64) * 1.5 - 0.3, g, a, False) for n, s, g, a in specs]
    x = 1e4 + 0.01 * torch.randn(2, 4, 6, dtype=torch.float64)
    x[:, 2:] += 7.0
    out.append(("hard_offset_1e4_std0.01", x, 2, True, True))
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    x[0, 2:] = -1.25
    out.append(("hard_constant_group", x, 2, True, True))
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    x[1, 2, 1] = math.nan
    out.append(("nan_in_one_group", x, 2, True, True))
    return out


def gn_run(x, G, w, b, eps, dy, dtype):
    xs, ws, bs = leaf(x, dtype), leaf(w, dtype), leaf(b, dtype)
    y = F.group_norm(xs, G, ws, bs, eps)
    dx, dw, db = grads(y, [xs, ws, bs], dy.to(dtype))
    return {"y": y, "dx": dx, "dweight": dw, "dbias": db}


def gn_fixture():
    cases = []
    eps = 1e-5
    for name, x, G, affine, hard in gn_cases():
        N, C = x.shape[:2]
        w, b = maybe(affine, [C]), maybe(affine, [C])
        dy = torch.randn(x.shape, dtype=torch.float64)
        for dtype in (torch.float64, torch.float32):
            xd = x.to(dtype)
            wd, bd = (None, None) if w is None else (w.to(dtype), b.to(dtype))
            res = gn_run(xd, G, wd, bd, eps, dy, dtype)
            HxW = xd[0, 0].numel()
            _, mean, rstd = torch.native_group_norm(xd.double(), None, None, N, C, HxW, G, eps)
            case = {
                "name": name, "dtype": DTYPES[dtype], "hard": hard, "num_groups": G, "eps": eps,
                "x": enc(xd), "weight": enc(wd), "bias": enc(bd), "dy": enc(dy.to(dtype)),
                "expected": {k: enc(v) for k, v in res.items()} | {"mean": enc(mean), "rstd": enc(rstd)},
            }
            if hard and not torch.isnan(x).any():
                case["exact"] = exact_norm(xd, G, False, wd, bd, dy.to(dtype), eps)
            if dtype == torch.float32:
                r64 = gn_run(xd.double(), G, None if wd is None else wd.double(), None if bd is None else bd.double(),
                             eps, dy.to(dtype).double(), torch.float64)
                case["expected64"] = {k: enc(v) for k, v in r64.items()}
            cases.append(case)
    return cases


# ---------------------------------------------------------------- InstanceNorm
def in_cases():
    specs = [
        # name, shape, affine, running, use_input_stats, momentum
        ("rank3_affine_running_m0.1", [2, 3, 5], True, True, True, 0.1),
        ("rank4_noaffine_running_m0.3", [2, 3, 2, 3], False, True, True, 0.3),
        ("rank3_affine_no_running", [3, 2, 4], True, False, True, 0.1),
        ("rank3_eval_running_affine", [2, 3, 4], True, True, False, 0.1),
        ("rank4_eval_running_noaffine", [2, 2, 3, 2], False, True, False, 0.1),
    ]
    out = []
    for name, shape, affine, running, uis, momentum in specs:
        C = shape[1]
        x = torch.randn(shape, dtype=torch.float64) * 1.3 + 0.2
        rm = torch.randn(C, dtype=torch.float64) if running else None
        rv = torch.rand(C, dtype=torch.float64) + 0.5 if running else None
        out.append((name, x, affine, rm, rv, uis, momentum, False))
    x = 1e4 + 0.01 * torch.randn(2, 3, 8, dtype=torch.float64)
    out.append(("hard_offset_1e4_std0.01", x, True, torch.zeros(3), torch.ones(3), True, 0.1, True))
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    x[1, 0] = 2.75
    out.append(("hard_constant_plane", x, True, None, None, True, 0.1, True))
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    x[0, 1, 2] = math.nan
    out.append(("nan_in_one_plane", x, True, torch.zeros(3), torch.ones(3), True, 0.1, True))
    return out


def in_run(x, w, b, rm, rv, uis, momentum, eps, dy, dtype):
    xs, ws, bs = leaf(x, dtype), leaf(w, dtype), leaf(b, dtype)
    rmd = None if rm is None else rm.to(dtype).clone()
    rvd = None if rv is None else rv.to(dtype).clone()
    y = F.instance_norm(xs, rmd, rvd, ws, bs, uis, momentum, eps)
    dx, dw, db = grads(y, [xs, ws, bs], dy.to(dtype))
    out = {"y": y, "dx": dx, "dweight": dw, "dbias": db}
    if rm is not None:
        out.update(running_mean=rmd, running_var=rvd)
    return out


def in_fixture():
    cases = []
    eps = 1e-5
    for name, x, affine, rm, rv, uis, momentum, hard in in_cases():
        C = x.shape[1]
        w, b = maybe(affine, [C]), maybe(affine, [C])
        dy = torch.randn(x.shape, dtype=torch.float64)
        for dtype in (torch.float64, torch.float32):
            xd = x.to(dtype)
            wd, bd = (None, None) if w is None else (w.to(dtype), b.to(dtype))
            rmd, rvd = (None, None) if rm is None else (rm.to(dtype), rv.to(dtype))
            res = in_run(xd, wd, bd, rmd, rvd, uis, momentum, eps, dy, dtype)
            # saved statistics in float64: per (n, c) plane, or the running ones repeated over n
            x64 = xd.double().flatten(2)
            if uis:
                mean = x64.mean(dim=2)
                rstd = 1 / torch.sqrt(x64.var(dim=2, unbiased=False) + eps)
            else:
                mean = rmd.double().expand(x64.shape[0], C)
                rstd = (1 / torch.sqrt(rvd.double() + eps)).expand(x64.shape[0], C)
            case = {
                "name": name, "dtype": DTYPES[dtype], "hard": hard, "use_input_stats": uis, "momentum": momentum, "eps": eps,
                "x": enc(xd), "weight": enc(wd), "bias": enc(bd), "running_mean": enc(rmd), "running_var": enc(rvd),
                "dy": enc(dy.to(dtype)),
                "expected": {k: enc(v) for k, v in res.items()} | {"mean": enc(mean), "rstd": enc(rstd)},
            }
            if hard and uis and not torch.isnan(x).any():
                case["exact"] = exact_norm(xd, C, False, wd, bd, dy.to(dtype), eps)
            if dtype == torch.float32:
                r64 = in_run(xd.double(), None if wd is None else wd.double(), None if bd is None else bd.double(),
                             None if rmd is None else rmd.double(), None if rvd is None else rvd.double(),
                             uis, momentum, eps, dy.to(dtype).double(), torch.float64)
                case["expected64"] = {k: enc(v) for k, v in r64.items()}
            cases.append(case)
    return cases


def write(name, cases):
    path = os.path.join(HERE, "fixtures", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {"generator": "test/gen_bn_gn_in_fixtures.py", "torch": torch.__version__, "cases": cases}
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    write("batch_norm.json", bn_fixture())
    write("group_norm.json", gn_fixture())
    write("instance_norm.json", in_fixture())
