#!/usr/bin/python3
"""Writes test/fixtures/conventions.json: PyTorch 1.13's gradients at the points where an op is not
differentiable or not finite (relu/abs at 0, clamp at its bounds, maximum/minimum ties, pow at 0,
std of a constant row, max over an axis with ties, sqrt at 0, sigmoid far out, -inf logits).
Finite differences cannot check these; the convention is PyTorch's. Each case holds the inputs
(float64), and the gradient of sum(f(inputs)) with respect to each input.
Run: /usr/bin/python3 gen_conventions_fixture.py
"""
import json
import math
import os

import torch

CASES = {
    "relu": (torch.relu, [[-1.0, 0.0, 2.0]]),
    "abs": (torch.abs, [[-1.0, 0.0, 2.0]]),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), [[-1.0, -0.5, 0.0, 0.5, 1.0]]),
    "maximum": (torch.maximum, [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]]),
    "minimum": (torch.minimum, [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]]),
    "pow": (torch.pow, [[0.0, 0.0, 2.0, 0.0], [0.0, 2.0, 0.0, -1.0]]),
    "std": (lambda x: x.std(-1), [[[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]]]),
    "maxAxis": (lambda x: x.max(-1).values, [[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]]]),
    "sqrt": (torch.sqrt, [[0.0, 1.0]]),
    "sigmoid": (torch.sigmoid, [[-800.0, 0.0, 800.0]]),
    "logSoftmax": (lambda x: torch.log_softmax(x, -1)[..., 0], [[[0.0, float("-inf"), 1.0]]]),
    "softmax": (lambda x: torch.softmax(x, -1)[..., 0], [[[0.0, float("-inf"), 1.0]]]),
}


def num(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    return {"dtype": "float64", "shape": list(t.shape), "data": [num(v) for v in t.reshape(-1).tolist()]}


def main():
    out = {"torch": torch.__version__, "cases": {}}
    for name, (f, values) in CASES.items():
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        f(*xs).sum().backward()
        out["cases"][name] = {"inputs": [enc(x.detach()) for x in xs], "grads": [enc(x.grad) for x in xs]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "conventions.json")
    with open(path, "w") as fh:
        json.dump(out, fh, allow_nan=False)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
