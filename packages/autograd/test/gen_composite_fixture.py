#!/usr/bin/python3
"""Writes test/fixtures/composite.json: a small transformer-like computation in PyTorch (1.13),
its inputs, its loss and the gradient of every input, in float64 and in float32.
The float32 inputs are the float64 ones rounded to float32, and the whole computation runs in
float32 (as normkit's float32 path does). Run from anywhere: /usr/bin/python3 gen_composite_fixture.py

    h0     = E[ids]                                  embedding lookup (index_select)  [B, T, D]
    h1     = tanh(h0 @ W + b)                        broadcast add of b [D]
    scores = (h1 @ h1^T) / sqrt(D), -inf above the diagonal (causal masked_fill)    [B, T, T]
    h2     = softmax(scores) @ h1 + h1               residual
    y      = (h2 - mean) * rsqrt(var + 1e-5) * gamma + beta    layer norm from mean / var(biased) / rsqrt
    logits = y @ Wout                                                                [B, T, V]
    loss   = mean(-gather(log_softmax(logits), targets)) + 0.01 * sum(W^2)
"""
import json
import math
import os

import torch

B, T, D, V = 2, 4, 6, 7
EPS = 1e-5


def compute(E, W, b, gamma, beta, Wout, ids, targets):
    h0 = E.index_select(0, ids.reshape(-1)).reshape(B, T, D)
    h1 = torch.tanh(h0 @ W + b)
    scores = (h1 @ h1.transpose(-1, -2)) / math.sqrt(D)
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(causal, float("-inf"))
    h2 = torch.softmax(scores, -1) @ h1 + h1
    mu = h2.mean(-1, keepdim=True)
    var = h2.var(-1, unbiased=False, keepdim=True)
    y = (h2 - mu) * torch.rsqrt(var + EPS) * gamma + beta
    lp = torch.log_softmax(y @ Wout, -1)
    nll = -lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return nll.mean() + 0.01 * (W * W).sum()


def enc(t):
    flat = t.detach().reshape(-1).tolist()
    dtype = {torch.float64: "float64", torch.float32: "float32", torch.int64: "int64"}[t.dtype]
    return {"dtype": dtype, "shape": list(t.shape), "data": flat}


def main():
    g = torch.Generator().manual_seed(1234)
    base = {
        "E": torch.randn(V, D, generator=g, dtype=torch.float64),
        "W": torch.randn(D, D, generator=g, dtype=torch.float64) / math.sqrt(D),
        "b": 0.1 * torch.randn(D, generator=g, dtype=torch.float64),
        "gamma": 1 + 0.1 * torch.randn(D, generator=g, dtype=torch.float64),
        "beta": 0.1 * torch.randn(D, generator=g, dtype=torch.float64),
        "Wout": torch.randn(D, V, generator=g, dtype=torch.float64) / math.sqrt(D),
    }
    # id 1 repeats within a row and 4 across rows (their gradients accumulate); 3 is never used
    ids = torch.tensor([[1, 1, 4, 0], [6, 2, 4, 5]])
    targets = torch.randint(0, V, (B, T), generator=g)
    out = {"ids": enc(ids), "targets": enc(targets), "torch": torch.__version__}
    for dtype, name in [(torch.float64, "float64"), (torch.float32, "float32")]:
        inputs = {k: v.detach().to(dtype).clone().requires_grad_(True) for k, v in base.items()}
        loss = compute(**inputs, ids=ids, targets=targets)
        loss.backward()
        out[name] = {
            "inputs": {k: enc(v) for k, v in inputs.items()},
            "loss": loss.item(),
            "grads": {k: enc(v.grad) for k, v in inputs.items()},
        }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "composite.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), float64 loss {out['float64']['loss']}")


if __name__ == "__main__":
    main()
