#!/usr/bin/python3
"""Golden values for src/reduce.test.ts, src/softmax.test.ts and src/indexing.test.ts.

Run from packages/tensor with Debian's python3 (torch 1.13, numpy 1.24; CI does not need them):
    /usr/bin/python3 test/gen_reduce_fixtures.py
Writes test/fixtures/reduce.json and test/fixtures/indexing.json.

Every case stores a `base` tensor (data flat, row-major) and an optional `view` that the test
applies the same way as `make_view` below (permute / expand / slice with a step), so reductions
are checked on non-contiguous and stride-0 inputs too. The oracle always runs in float64 on the
exact base values (float32 data are rounded to float32 first), so the expected values are the true
results that a float64-accumulating kernel should round to.
"""
import json
import math
import os
import warnings

import numpy as np
import torch

rng = np.random.default_rng(20240611)
# mean / var over empty axes and of one element divide by zero on purpose (NaN, as torch)
warnings.filterwarnings("ignore", category=RuntimeWarning)
HERE = os.path.dirname(os.path.abspath(__file__))


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def tens(a, dtype):
    a = np.asarray(a, dtype=np.float64)
    return {"dtype": dtype, "shape": list(a.shape), "data": [enc(v) for v in a.reshape(-1)]}


def rand_base(shape, dtype, kind="normal"):
    if kind == "ties":
        a = rng.integers(0, 3, size=shape).astype(np.float64)
    else:
        a = rng.standard_normal(shape) * 2.0
    if dtype == "float32":
        a = a.astype(np.float32).astype(np.float64)
    return np.asarray(a, dtype=np.float64)


def make_view(t, view):
    """The view the TS test builds with permute / expand / slice(axis, start, end, step)."""
    if view is None:
        return t
    if view["kind"] == "permute":
        return t.permute(*view["axes"])
    if view["kind"] == "expand":
        return t.expand(*view["shape"])
    if view["kind"] == "slice":
        idx = [slice(None)] * t.dim()
        idx[view["axis"]] = slice(view["start"], view["end"], view["step"])
        return t[tuple(idx)]
    raise ValueError(view)


def np_axes(axes):
    if axes is None:
        return None
    return tuple(axes) if isinstance(axes, list) else axes


def reduce_oracle(op, x, axes, keepdims, correction):
    if x.dim() == 0:
        # a 0-d tensor is reduced over nothing (axis 0 / -1 accepted, as torch): same as one element
        return reduce_oracle(op, x.reshape(1), 0, False, correction)
    a = x.numpy()
    if axes == [] and op == "logsumexp":
        return a.copy()  # log(exp(x)) over no axes is x itself
    ax = np_axes(axes)
    if op == "sum":
        return np.sum(a, axis=ax, keepdims=keepdims)
    if op == "mean":
        return np.mean(a, axis=ax, keepdims=keepdims)
    if op in ("variance", "std"):
        dims = tuple(range(x.dim())) if axes is None else ax
        ref = np.var(a, axis=ax, ddof=correction, keepdims=keepdims)
        if axes != []:  # torch reads dim=() as "all axes"; numpy as "none"
            var = torch.var(x, dim=dims, correction=correction, keepdim=keepdims).numpy()
            # torch (Welford) drifts ~1e-10 on rows like mean 1e4 std 0.01; numpy (two-pass) is the oracle
            assert np.allclose(var, ref, rtol=1e-9, atol=1e-20, equal_nan=True), (x.shape, axes, var, ref)
        return np.sqrt(ref) if op == "std" else ref
    if op == "max":
        return np.max(a, axis=ax, keepdims=keepdims)
    if op == "min":
        return np.min(a, axis=ax, keepdims=keepdims)
    if op == "logsumexp":
        dims = tuple(range(x.dim())) if axes is None else (ax if isinstance(ax, tuple) else (ax,))
        return torch.logsumexp(x, dim=dims, keepdim=keepdims).numpy()
    if op in ("argmax", "argmin"):
        f = np.argmax if op == "argmax" else np.argmin
        r = f(a, axis=ax, keepdims=keepdims)
        t = (torch.argmax if op == "argmax" else torch.argmin)(x.reshape(-1) if axes is None else x, dim=None if axes is None else axes)
        assert (t.numpy().reshape(-1) == np.asarray(r).reshape(-1)).all(), "torch and numpy disagree"
        return r.astype(np.float64)
    raise ValueError(op)


SHAPES = [
    ([], None),
    ([7], None),
    ([1], None),
    ([0], None),
    ([3, 4], None),
    ([4, 3], {"kind": "permute", "axes": [1, 0]}),
    ([4, 1], None),
    ([1, 5], {"kind": "expand", "shape": [3, 5]}),
    ([0, 3], None),
    ([3, 0], None),
    ([2, 3, 4], None),
    ([4, 2, 3], {"kind": "permute", "axes": [1, 2, 0]}),
    ([5, 3, 4], {"kind": "slice", "axis": 0, "start": 1, "end": 5, "step": 2}),
    ([2, 1, 3], None),
    ([3, 1, 4], {"kind": "expand", "shape": [3, 2, 4]}),
    ([3, 0, 2], None),
    ([2, 3, 2, 3], {"kind": "permute", "axes": [3, 1, 0, 2]}),
]


def axes_choices(nd):
    if nd == 0:
        return [None, 0, [-1]]
    out = [None, -1, 0, []]
    if nd >= 2:
        out += [[0, -1], 1]
    if nd >= 3:
        out += [[-2, 0], [1, 2]]
    return out


def add_reduce_cases(cases):
    ops = ["sum", "mean", "variance", "std", "max", "min", "logsumexp"]
    k = 0
    for op in ops:
        for shape, view in SHAPES:
            base_shape = shape
            for axes in axes_choices(len(make_view(torch.zeros(base_shape), view).shape)):
                k += 1
                if rng.random() < 0.6:  # keep the file small: a random 40% of the grid
                    continue
                dtype = "float32" if k % 2 else "float64"
                base = rand_base(base_shape, dtype)
                x = make_view(torch.from_numpy(base), view)
                nd = x.dim()
                axis_list = list(range(nd)) if axes is None else ([axes] if isinstance(axes, int) else axes)
                count = int(np.prod([x.shape[a] for a in axis_list])) if nd else 1
                if op in ("max", "min") and count == 0:
                    continue  # an error in both libraries; tested separately
                keepdims = bool(rng.random() < 0.5)
                correction = int(rng.integers(0, 2)) if op in ("variance", "std") else None
                exp = reduce_oracle(op, x, axes, keepdims, correction)
                case = {"op": op, "base": tens(base, dtype), "view": view, "axes": axes, "keepdims": keepdims,
                        "expected": tens(exp, "float64")}
                if correction is not None:
                    case["correction"] = correction
                cases.append(case)


def add_special_reduce_cases(cases):
    inf, nan = math.inf, math.nan
    def case(op, rows, dtype, axes=-1, keepdims=False, correction=None, view=None):
        base = np.asarray(rows, dtype=np.float64)
        if dtype == "float32":
            base = base.astype(np.float32).astype(np.float64)
        x = make_view(torch.from_numpy(base), view)
        exp = reduce_oracle(op, x, axes, keepdims, correction if correction is not None else 1)
        c = {"op": op, "base": tens(base, dtype), "view": view, "axes": axes, "keepdims": keepdims,
             "expected": tens(exp, "float64"), "label": "special"}
        if op in ("variance", "std"):
            c["correction"] = 1 if correction is None else correction
        cases.append(c)

    hard = [[40000, 40001, 40002, 40003]]
    offset = (1e4 + 0.01 * rng.standard_normal((3, 64)))
    for dt in ("float32", "float64"):
        case("variance", hard, dt)
        case("std", hard, dt, correction=0)
        case("variance", offset, dt)
        case("std", offset, dt, axes=[0, 1])
        case("mean", offset, dt)
    case("variance", offset, "float32", axes=0, view={"kind": "permute", "axes": [1, 0]})
    nanrows = [[1, nan, 3], [2, 5, -1], [nan, nan, 0], [-inf, -inf, -inf]]
    for op in ("max", "min", "sum", "mean", "logsumexp"):
        case(op, nanrows, "float32")
        case(op, nanrows, "float64", axes=0)
    lse = [[-inf, -inf, -inf], [1000, 1000, -inf], [-1000, -1001, -1002], [inf, 1, -inf], [88, 89, 90]]
    case("logsumexp", lse, "float32")
    case("logsumexp", lse, "float64", keepdims=True)
    ties = [[1, 3, 3, 2], [nan, 1, nan, 5], [-inf, -inf, -inf, -inf], [inf, inf, 1, inf], [2, nan, 7, 7]]
    for op in ("argmax", "argmin"):
        case(op, ties, "float32")
        case(op, ties, "float64", axes=None)
        case(op, ties, "float64", axes=0, keepdims=True)


def add_arg_cases(cases):
    for op in ("argmax", "argmin"):
        for shape, view in SHAPES:
            x0 = make_view(torch.zeros(shape), view)
            nd = x0.dim()
            for axes in [None] + list(range(-nd, nd)):
                count = x0.numel() if axes is None else x0.shape[axes]
                if count == 0 or rng.random() < 0.65:
                    continue
                dtype = "float32" if rng.random() < 0.5 else "float64"
                base = rand_base(shape, dtype, kind="ties")
                x = make_view(torch.from_numpy(base), view)
                keepdims = bool(rng.random() < 0.5)
                exp = reduce_oracle(op, x, axes, keepdims, None)
                cases.append({"op": op, "base": tens(base, dtype), "view": view, "axes": axes,
                              "keepdims": keepdims, "expected": tens(exp, "float64")})


def add_softmax_cases(cases):
    inf = math.inf
    for shape, view in SHAPES:
        x0 = make_view(torch.zeros(shape), view)
        nd = x0.dim()
        for axis in ([-1] if nd == 0 else sorted({-1, 0, nd - 2 if nd >= 2 else 0})):
            for op in ("softmax", "logSoftmax"):
                if rng.random() < 0.4:
                    continue
                dtype = "float32" if rng.random() < 0.5 else "float64"
                base = rand_base(shape, dtype)
                x = make_view(torch.from_numpy(base), view)
                f = torch.softmax if op == "softmax" else torch.log_softmax
                exp = f(x.reshape(1), 0).reshape(()) if nd == 0 else f(x, axis)
                cases.append({"op": op, "base": tens(base, dtype), "view": view, "axis": axis,
                              "expected": tens(exp.numpy(), "float64")})
    rows = [[1000, 999, -inf, 998], [-inf, -inf, -inf, -inf], [0, 0, 0, 0], [-1000, 1000, 0, -inf],
            [1e-3, -2e-3, 3e-3, 5]]
    for dtype in ("float32", "float64"):
        base = np.asarray(rows, dtype=np.float32 if dtype == "float32" else np.float64).astype(np.float64)
        for op, f in (("softmax", torch.softmax), ("logSoftmax", torch.log_softmax)):
            for axis, view in ((-1, None), (0, {"kind": "permute", "axes": [1, 0]})):
                x = make_view(torch.from_numpy(base), view)
                cases.append({"op": op, "base": tens(base, dtype), "view": view, "axis": axis,
                              "expected": tens(f(x, axis).numpy(), "float64"), "label": "special"})


def add_sum_to_cases(cases):
    pairs = [([2, 3, 4], [3, 4]), ([2, 3, 4], [1, 4]), ([2, 3, 4], [2, 1, 1]), ([2, 3, 4], []),
             ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([3, 1], [1]), ([0, 3], [3]), ([2, 0], [1, 1]),
             ([2, 3, 4], [2, 3, 4]), ([5], [1])]
    for i, (shape, target) in enumerate(pairs):
        dtype = "float32" if i % 2 else "float64"
        base = rand_base(shape, dtype)
        view = {"kind": "permute", "axes": list(range(len(shape)))[::-1]} if i % 3 == 0 else None
        bshape = shape[::-1] if view else shape
        base = rand_base(bshape, dtype)
        x = make_view(torch.from_numpy(base), view)
        exp = x.sum_to_size(target) if target else x.sum()
        cases.append({"op": "sumTo", "base": tens(base, dtype), "view": view, "shape": target,
                      "expected": tens(exp.numpy(), "float64")})


def indexing_cases():
    cases = []
    # indexSelect: numpy.take is the oracle (N-d and negative indices)
    for shape, view, axis, idx in [
        ([5, 3], None, 0, [[1, 4, 4], [0, -1, 2]]),
        ([5, 3], None, 1, [2, 0, -3, 2]),
        ([3, 5], {"kind": "permute", "axes": [1, 0]}, 0, [4, 0, 4]),
        ([2, 4, 3], None, 1, [3]),
        ([2, 4, 3], {"kind": "permute", "axes": [2, 0, 1]}, -1, [[0, 3], [1, 1]]),
        ([4, 2], None, 0, []),
    ]:
        base = rand_base(shape, "float32")
        x = make_view(torch.from_numpy(base), view)
        exp = np.take(x.numpy(), np.asarray(idx, dtype=np.int64), axis=axis)
        cases.append({"op": "indexSelect", "base": tens(base, "float32"), "view": view, "axis": axis,
                      "indices": idx, "expected": tens(exp, "float64")})
    # indexAdd: torch index_add_ with the flattened (non-negative) indices
    for tshape, axis, idx in [
        ([5, 3], 0, [[1, 4, 1], [0, -1, 1]]),
        ([3, 4], 1, [0, 0, 0, 3, -1]),
        ([2, 3, 2], 1, [[2], [2]]),
    ]:
        d = tshape[axis]
        flat = [(i + d) % d for i in np.asarray(idx).reshape(-1).tolist()]
        ishape = list(np.asarray(idx).shape)
        sshape = tshape[:axis] + ishape + tshape[axis + 1:]
        target = rand_base(tshape, "float64")
        src = rand_base(sshape, "float64")
        flat_src = torch.from_numpy(src).reshape(tshape[:axis] + [len(flat)] + tshape[axis + 1:])
        exp = torch.from_numpy(target.copy()).index_add_(axis, torch.tensor(flat, dtype=torch.long), flat_src)
        cases.append({"op": "indexAdd", "target": tens(target, "float64"), "axis": axis, "indices": idx,
                      "src": tens(src, "float64"), "expected": tens(exp.numpy(), "float64")})
    # gather / scatterAdd: torch with indices taken modulo the axis size (torch has no negatives)
    for xshape, ishape, axis in [([3, 4], [3, 2], 1), ([3, 4], [2, 4], 0), ([2, 3, 4], [2, 2, 3], -2),
                                 ([4], [6], 0)]:
        d = xshape[axis]
        index = rng.integers(-d, d, size=ishape)
        base = rand_base(xshape, "float32")
        exp = torch.gather(torch.from_numpy(base), axis, torch.from_numpy(index % d))
        cases.append({"op": "gather", "base": tens(base, "float32"), "view": None, "axis": axis,
                      "index": tens(index, "float32"), "expected": tens(exp.numpy(), "float64")})
        src_shape = [s + 1 for s in ishape]
        target = rand_base(xshape, "float64")
        src = rand_base(src_shape, "float64")
        exp = torch.from_numpy(target.copy()).scatter_add_(axis, torch.from_numpy(index % d), torch.from_numpy(src))
        cases.append({"op": "scatterAdd", "target": tens(target, "float64"), "axis": axis,
                      "index": tens(index, "float64"), "src": tens(src, "float64"),
                      "expected": tens(exp.numpy(), "float64")})
    for shape, view in [([4, 5], None), ([2, 3, 4], None), ([5, 3], {"kind": "permute", "axes": [1, 0]}),
                        ([0, 3], None)]:
        base = rand_base(shape, "float32")
        x = make_view(torch.from_numpy(base), view)
        for op, f in (("tril", torch.tril), ("triu", torch.triu)):
            for diagonal in (0, 1, -2, 7):
                cases.append({"op": op, "base": tens(base, "float32"), "view": view, "diagonal": diagonal,
                              "expected": tens(f(x, diagonal).numpy(), "float64")})
    # concat: the pieces are permuted views of their bases
    bases = [rand_base([3, 2], "float64"), rand_base([3, 1], "float64"), rand_base([3, 0], "float64")]
    views = [{"kind": "permute", "axes": [1, 0]}] * 3
    xs = [make_view(torch.from_numpy(b), v) for b, v in zip(bases, views)]
    cases.append({"op": "concat", "bases": [tens(b, "float64") for b in bases], "views": views, "axis": 0,
                  "expected": tens(torch.cat(xs, 0).numpy(), "float64")})
    return cases


def main():
    reduce_cases = []
    add_reduce_cases(reduce_cases)
    add_special_reduce_cases(reduce_cases)
    add_arg_cases(reduce_cases)
    softmax_cases = []
    add_softmax_cases(softmax_cases)
    sum_to_cases = []
    add_sum_to_cases(sum_to_cases)
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    meta = {"generator": "test/gen_reduce_fixtures.py", "torch": torch.__version__, "numpy": np.__version__}
    with open(os.path.join(HERE, "fixtures", "reduce.json"), "w") as f:
        json.dump({**meta, "reduce": reduce_cases, "softmax": softmax_cases, "sumTo": sum_to_cases}, f)
    with open(os.path.join(HERE, "fixtures", "indexing.json"), "w") as f:
        json.dump({**meta, "cases": indexing_cases()}, f)
    print(f"reduce.json: {len(reduce_cases)} reduce, {len(softmax_cases)} softmax, {len(sum_to_cases)} sumTo cases")


if __name__ == "__main__":
    main()
