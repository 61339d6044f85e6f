#!/usr/bin/python3
"""Golden values for src/elementwise.test.ts, src/unary.test.ts and src/math.test.ts.

Run from packages/tensor with Debian's python3 (numpy 1.24, torch 1.13; CI does not need them):
    /usr/bin/python3 test/gen_elementwise_fixtures.py
Writes test/fixtures/elementwise.json.

Oracles, none of them shared with the TypeScript code:
- binary ops and where: NumPy ufuncs in the operands' dtype (float32 arrays with float32 scalars,
  so float32 + - * / are NumPy's correctly rounded float32 results);
- unary ops: torch in float64 on the exact (float32-rounded for float32) inputs; for float32 the
  float64 result is then rounded to float32, i.e. the correctly rounded answer up to one rounding;
  sign comes from NumPy (NaN for NaN, where torch.sign gives 0);
- erf/erfc: Python's math.erf / math.erfc (the C library's);
- gelu: torch.nn.functional.gelu in float64, plus an independent tail-accurate reference
  (math.erfc for 'none', 1200-digit decimal arithmetic for 'tanh').

Each binary/where operand is either {"scalar": v} or {"base": tensor, "views": [...]}: the test
builds the base contiguously, then applies the views in order exactly as make_view does here
(permute / slice with a step / expand), so non-contiguous and stride-0 inputs are covered.
"""
import json
import math
import os
from decimal import Decimal, getcontext

import numpy as np
import torch

rng = np.random.default_rng(20240612)
HERE = os.path.dirname(os.path.abspath(__file__))
NP = {"float32": np.float32, "float64": np.float64}


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


def base(shape, dtype, kind="mixed"):
    """Small integers give ties for the comparisons; halves and quarters keep pow finite."""
    if kind == "mask":
        a = rng.integers(0, 2, size=shape).astype(np.float64)
    else:
        a = rng.integers(-3, 4, size=shape) + rng.choice([0.0, 0.25, 0.5], size=shape)
    return np.asarray(a, dtype=NP[dtype])


def make_view(a, views):
    for v in views:
        if v["kind"] == "permute":
            a = np.transpose(a, v["axes"])
        elif v["kind"] == "slice":
            idx = [slice(None)] * a.ndim
            idx[v["axis"]] = slice(v["start"], v["end"], v["step"])
            a = a[tuple(idx)]
        elif v["kind"] == "expand":
            a = np.broadcast_to(a, v["shape"])
        else:
            raise ValueError(v)
    return a


def T(axes):
    return {"kind": "permute", "axes": axes}


def S(axis, start, end, step=1):
    return {"kind": "slice", "axis": axis, "start": start, "end": end, "step": step}


def E(shape):
    return {"kind": "expand", "shape": shape}


def operand(spec, dtype):
    """spec: a number, a shape (list), or (shape, views[, kind]). Returns (json, numpy value)."""
    if isinstance(spec, (int, float)):
        return {"scalar": spec}, NP[dtype](spec)
    shape, views, kind = (spec, [], "mixed") if isinstance(spec, list) else (spec + ("mixed",))[:3]
    b = base(shape, dtype, kind)
    return {"base": tens(b, dtype), "views": views}, make_view(b, views)


BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}

BINARY_CASES = [
    ("same shape", [3, 4], [3, 4]),
    ("row broadcast", [2, 3, 4], [4]),
    ("row broadcast, reversed", [4], [2, 3, 4]),
    ("outer", [3, 1], [1, 4]),
    ("both sides stretch", [2, 1, 4], [3, 1]),
    ("size-1 dims", [1, 3, 1], [2, 1, 1]),
    ("all ones", [1, 1], [1]),
    ("0-d with matrix", [], [2, 3]),
    ("matrix with 0-d", [2, 3], []),
    ("0-d with 0-d", [], []),
    ("size-0 with row", [0, 3], [3]),
    ("size-0 with ones", [2, 0], [1, 1]),
    ("size-0 with 0-d", [0], []),
    ("transposed with strided slice", ([4, 3], [T([1, 0])]), ([3, 8], [S(1, 1, 8, 2)])),
    ("expanded view with transposed", ([1, 4], [E([3, 4])]), ([4, 3], [T([1, 0])])),
    ("permuted 3-d with column", ([4, 2, 3], [T([1, 2, 0])]), [3, 1]),
    ("offset slice with transposed", ([5, 4], [S(0, 1, 4)]), ([4, 3], [T([1, 0])])),
    ("reversed-order slice", ([3, 6], [S(1, 0, 6, 3)]), ([2, 3], [T([1, 0])])),
    ("tensor op scalar", [2, 3], 2.5),
    ("scalar op tensor", 0.1, [2, 3]),
    ("transposed op scalar", ([3, 2], [T([1, 0])]), -1.5),
    ("scalar op sliced", 3, ([2, 6], [S(1, 0, 6, 2)])),
    ("0-d op scalar", [], 0.5),
]


def binary_cases():
    cases = []
    for dtype in ("float32", "float64"):
        for name, sa, sb in BINARY_CASES:
            ja, a = operand(sa, dtype)
            jb, b = operand(sb, dtype)
            expected = {}
            with np.errstate(all="ignore"):
                for op, f in BINARY.items():
                    expected[op] = tens(np.asarray(f(a, b)).astype(NP[dtype]), dtype)
            cases.append({"name": name, "dtype": dtype, "a": ja, "b": jb, "expected": expected})
        # every pair of IEEE special values: column [9,1] against row [9]
        sp = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0, 0.5], dtype=NP[dtype])
        a, b = sp.reshape(9, 1), sp
        expected = {}
        with np.errstate(all="ignore"):
            for op, f in BINARY.items():
                expected[op] = tens(np.asarray(f(a, b)).astype(NP[dtype]), dtype)
        cases.append(
            {
                "name": "special values",
                "dtype": dtype,
                "a": {"base": tens(a, dtype), "views": []},
                "b": {"base": tens(b, dtype), "views": []},
                "expected": expected,
            }
        )
    return cases


WHERE_CASES = [
    ("same shape", ([3, 4], [], "mask"), [3, 4], [3, 4]),
    ("three-way broadcast", ([2, 1, 4], [], "mask"), [3, 1], [4]),
    ("masked fill", ([3, 4], [], "mask"), [3, 4], -1e30),
    ("scalar branches", ([2, 3], [], "mask"), 1.5, -2.0),
    ("0-d cond", ([], [], "mask"), [2, 3], [3]),
    ("transposed cond, expanded a", ([4, 3], [T([1, 0])], "mask"), ([1, 4], [E([3, 4])]), ([3, 8], [S(1, 0, 8, 2)])),
    ("size-0", ([0, 2], [], "mask"), [2], 0),
]


def where_cases():
    cases = []
    for dtype in ("float32", "float64"):
        for name, sc, sa, sb in WHERE_CASES:
            jc, c = operand(sc, dtype)
            ja, a = operand(sa, dtype)
            jb, b = operand(sb, dtype)
            out = np.asarray(np.where(c != 0, a, b)).astype(NP[dtype])
            cases.append({"name": name, "dtype": dtype, "cond": jc, "a": ja, "b": jb, "expected": tens(out, dtype)})
    return cases


UNARY_X = [-1000, -100, -30, -20, -10, -5, -3, -2, -1, -0.5, -0.1, -1e-8, -0.0, 0.0, 1e-8, 0.1, 0.5, 1, 2, 3,
           5, 10, 20, 30, 88, 100, 700, 1000, math.nan, math.inf, -math.inf, 0.3183, -0.7071, 2.5066]

UNARY = {
    "neg": torch.neg,
    "abs": torch.abs,
    # NumPy's sign: NaN for NaN (torch.sign returns 0 there; normkit keeps the NaN)
    "sign": lambda t: torch.from_numpy(np.sign(t.numpy())),
    "square": torch.square,
    "reciprocal": torch.reciprocal,
    "exp": torch.exp,
    "log": torch.log,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt,
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "silu": torch.nn.functional.silu,
    "erf": torch.erf,
    "gelu": lambda t: torch.nn.functional.gelu(t),
    "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    "clamp(-0.5,2)": lambda t: torch.clamp(t, -0.5, 2),
    "clamp(min=0.1)": lambda t: torch.clamp(t, min=0.1),
    "clamp(max=-1)": lambda t: torch.clamp(t, max=-1),
    "clamp(3,1)": lambda t: torch.clamp(t, 3, 1),
}


def unary_cases():
    cases = []
    for dtype in ("float32", "float64"):
        x = np.array(UNARY_X, dtype=NP[dtype]).astype(np.float64)
        t = torch.tensor(x, dtype=torch.float64)
        expected = {}
        for op, f in UNARY.items():
            y = f(t).numpy()
            # float32: the correctly rounded float32 of the float64 answer (clamp bounds in float32)
            if op.startswith("clamp") and dtype == "float32":
                y = f(torch.tensor(x, dtype=torch.float32)).double().numpy()
            expected[op] = tens(y.astype(NP[dtype]), dtype)
        cases.append({"dtype": dtype, "x": tens(x, dtype), "expected": expected})
    return cases


def erf_table():
    xs = [i / 50 for i in range(-350, 351)]
    xs += [1e-300, -1e-300, 5e-324, 2**-30, 2**-57, 0.84375, -0.84375, 1.25, -1.25, 2.857, 2.8572,
           -2.8572, 6.0, -6.0, 5.99, 10.0, -10.0, 26.5, 27.99, 28.0, 30.0, math.inf, -math.inf]
    return {
        "x": [enc(v) for v in xs],
        "erf": [enc(math.erf(v)) for v in xs],
        "erfc": [enc(math.erfc(v)) for v in xs],
    }


def gelu_tanh_decimal(x):
    """0.5 x (1 + tanh(u)) with tanh(u) = (e^2u - 1)/(e^2u + 1) in 1200-digit decimals: at x = -30,
    1 + tanh(u) is about 1e-857, so the cancellation needs that many digits."""
    getcontext().prec = 1200
    d = Decimal(x)
    u = Decimal(math.sqrt(2 / math.pi)) * (d + Decimal("0.044715") * d * d * d)
    e = (2 * u).exp()
    return float(Decimal("0.5") * d * (1 + (e - 1) / (e + 1)))


def gelu_table():
    xs = [i / 8 for i in range(-80, 81)] + [-12.0, -20.0, -30.0, 1e-8, -1e-8, 40.0]
    t = torch.tensor(xs, dtype=torch.float64)
    return {
        "x": xs,
        "torch_none": [enc(v) for v in torch.nn.functional.gelu(t).numpy()],
        "torch_tanh": [enc(v) for v in torch.nn.functional.gelu(t, approximate="tanh").numpy()],
        # tail-accurate references (torch's 1 + erf and 1 + tanh cancel for x << 0)
        # erfc at the float64 argument -x * sqrt(0.5) (the one the kernel forms; near x = -30 a
        # 1-ulp different argument alone moves erfc by 1e-13 relative)
        "exact_none": [enc(0.5 * x * math.erfc(-x * math.sqrt(0.5))) for x in xs],
        "exact_tanh": [enc(gelu_tanh_decimal(x)) for x in xs],
    }


def main():
    out = {
        "binary": binary_cases(),
        "where": where_cases(),
        "unary": unary_cases(),
        "erf": erf_table(),
        "gelu": gelu_table(),
    }
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    path = os.path.join(HERE, "fixtures", "elementwise.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
