#!/usr/bin/python3
"""Golden values for src/activation-grad.test.ts (geluBackward, tanhBackward, sigmoidBackward).

Run from packages/tensor with Debian's python3 (numpy 1.24, torch 1.13; CI does not need them):
    /usr/bin/python3 test/gen_activation_grad_fixtures.py
Writes test/fixtures/activation-grad.json.

Oracles, none of them shared with the TypeScript code:
- torch: torch.ops.aten.gelu_backward (approximate 'none' and 'tanh'), tanh_backward and
  sigmoid_backward in float64 on the exact inputs (float32-rounded for the float32 cases). torch's
  formulas cancel in the left tail (1 + erf, 1 + tanh), so its values are compared on x >= -5 only;
- tail-accurate slopes for every x: 'none' = Phi(x) + x phi(x) with Python's math.erfc (the C
  library's) for Phi; 'tanh' = torch's formula evaluated in 2500-digit decimal arithmetic with the
  double constants sqrt(2/pi) and 0.044715, so it is the exact slope of the float64 function.
"""
import json
import math
import os
from decimal import Decimal, getcontext

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
getcontext().prec = 2500  # 1 + tanh(u) ~ 2 exp(-2|u|) must survive down to ~1e-2010 (x = -40)
BETA = math.sqrt(2 / math.pi)
KAPPA = 0.044715


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


def slope_none(x):
    return 0.5 * math.erfc(-x / math.sqrt(2)) + x * math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def dtanh(u):
    e = (-2 * abs(u)).exp()  # exp(-2|u|) cannot overflow
    t = (1 - e) / (1 + e)
    return t if u >= 0 else -t


def slope_tanh(x):
    d = Decimal(x)
    b = Decimal(BETA)
    k = Decimal(KAPPA)
    t = dtanh(b * (d + k * d * d * d))
    v = (1 + t) / 2 + d / 2 * (1 - t * t) * b * (1 + 3 * k * d * d)
    return float(v)


xs = np.concatenate(
    [
        np.linspace(-12, 12, 97),
        [-40, -30, -20, -0.7518, -0.75, 1e-8, -1e-8, 0.0, 50, 1e3],
    ]
)
rng = np.random.default_rng(7)
dys = np.round(rng.normal(size=xs.shape) * 8) / 8 + 0.5
out = {"x": None, "dy": None, "cases": {}}
for dtype, npt in (("float64", np.float64), ("float32", np.float32)):
    x = np.asarray(xs, dtype=npt).astype(np.float64)
    dy = np.asarray(dys, dtype=npt).astype(np.float64)
    tx = torch.tensor(x, dtype=torch.float64)
    tdy = torch.tensor(dy, dtype=torch.float64)
    case = {"x": tens(x, dtype), "dy": tens(dy, dtype)}
    for approx in ("none", "tanh"):
        case[f"torch_gelu_{approx}"] = tens(
            torch.ops.aten.gelu_backward(tdy, tx, approximate=approx).numpy(), "float64"
        )
    case["exact_gelu_none"] = tens([d * slope_none(v) for d, v in zip(dy, x)], "float64")
    case["exact_gelu_tanh"] = tens([d * slope_tanh(v) for d, v in zip(dy, x)], "float64")
    y = torch.tanh(tx)
    s = torch.sigmoid(tx)
    case["y_tanh"] = tens(y.numpy(), "float64")
    case["y_sigmoid"] = tens(s.numpy(), "float64")
    case["torch_tanh"] = tens(torch.ops.aten.tanh_backward(tdy, y).numpy(), "float64")
    case["torch_sigmoid"] = tens(torch.ops.aten.sigmoid_backward(tdy, s).numpy(), "float64")
    out["cases"][dtype] = case
del out["x"], out["dy"]
with open(os.path.join(HERE, "fixtures", "activation-grad.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote test/fixtures/activation-grad.json")
