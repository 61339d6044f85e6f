"""Writes test/fixtures/modules.json (read by src/modules.fixtures.test.ts) and test/fixtures/losses.json
(read by src/losses.test.ts).

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_modules_fixtures.py

Every module case: a torch module in float64 whose parameters are set to random values (buffers keep
torch's defaults), then a list of steps, each a forward in train or eval mode followed by
backward(y, dy) with the parameters' gradients zeroed first. A step records y, the gradient of the
input and of every parameter (by state-dict name), and the state dict after the step (so running
statistics and num_batches_tracked are checked after each training step). Inputs and parameters
are rounded to float32 first, so the same expected values (computed in float64) serve the float32
run (to ~1e-5) and the float64 run (to ~1e-10).

torch 1.13 has no nn.RMSNorm, no DyT and no LayerNorm(bias=False): those are composed here from
torch ops with the parameter names normkit uses.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)
DT = torch.float64


def enc(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def T(t):
    t = t.detach()
    dtype = "int64" if t.dtype == torch.int64 else "float64"
    return {"dtype": dtype, "shape": list(t.shape), "data": [enc(float(v)) for v in t.reshape(-1).tolist()]}


def rnd(*shape, scale=1.0, shift=0.0):
    """float64 values exactly representable in float32."""
    return (torch.randn(tuple(shape), dtype=DT) * scale + shift).float().double()


class RMSNorm(nn.Module):
    def __init__(self, shape, eps):
        super().__init__()
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.shape, dtype=DT))

    def forward(self, x):
        dims = tuple(range(-len(self.shape), 0))
        return x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + self.eps) * self.weight


class DyT(nn.Module):
    """The paper's DynamicTanh (alpha of shape [1])."""

    def __init__(self, shape, alpha_init=0.5):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, dtype=DT) * alpha_init)
        self.weight = nn.Parameter(torch.ones(shape, dtype=DT))
        self.bias = nn.Parameter(torch.zeros(shape, dtype=DT))

    def forward(self, x):
        return self.weight * torch.tanh(self.alpha * x) + self.bias


class LayerNormNoBias(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.weight = nn.Parameter(torch.ones(self.shape, dtype=DT))

    def forward(self, x):
        return F.layer_norm(x, self.shape, self.weight, None, 1e-5)


def randomize(m, positive=("alpha",)):
    with torch.no_grad():
        for name, p in m.named_parameters():
            v = rnd(*p.shape, scale=0.5, shift=1.0 if name.endswith("weight") or name in positive else 0.0)
            p.copy_(v)


def case(name, ctor, args, options, module, inputs, modes, ids=None):
    """inputs: one tensor per step (or ids for Embedding); modes: 'train'/'eval' per step."""
    module = module.to(DT)
    randomize(module)
    state0 = {k: T(v) for k, v in module.state_dict().items()}
    steps = []
    for x, mode in zip(inputs, modes):
        module.train(mode == "train")
        for p in module.parameters():
            p.grad = None
        if ids is not None:
            y = module(x)
            xin = None
        else:
            xin = x.clone().requires_grad_(True)
            y = module(xin)
        dy = rnd(*y.shape)
        y.backward(dy)
        grads = {k: T(p.grad) for k, p in module.named_parameters() if p.grad is not None}
        if xin is not None:
            grads["x"] = T(xin.grad)
        steps.append({
            "mode": mode,
            "x": T(x),
            "dy": T(dy),
            "y": T(y),
            "grads": grads,
            "stateAfter": {k: T(v) for k, v in module.state_dict().items()},
        })
    return {"name": name, "ctor": ctor, "args": args, "options": options, "state": state0, "steps": steps}


def modules():
    out = []
    x = lambda *s, **k: rnd(*s, **k)  # noqa: E731
    out.append(case("linear", "Linear", [5, 3], {}, nn.Linear(5, 3), [x(2, 4, 5)], ["train"]))
    out.append(case("linear_nobias", "Linear", [5, 3], {"bias": False}, nn.Linear(5, 3, bias=False),
                    [x(3, 5)], ["train"]))
    ids = torch.tensor([[1, 3, 3], [6, 0, 1]])
    out.append(case("embedding", "Embedding", [7, 4], {}, nn.Embedding(7, 4), [ids], ["train"], ids=True))
    out.append(case("layernorm", "LayerNorm", [6], {}, nn.LayerNorm(6), [x(3, 4, 6, scale=2.0, shift=1.0)], ["train"]))
    out.append(case("layernorm_2d", "LayerNorm", [[2, 3]], {}, nn.LayerNorm([2, 3]), [x(4, 2, 3)], ["train"]))
    out.append(case("layernorm_noaffine", "LayerNorm", [6], {"elementwiseAffine": False},
                    nn.LayerNorm(6, elementwise_affine=False), [x(5, 6)], ["train"]))
    out.append(case("layernorm_nobias", "LayerNorm", [6], {"bias": False}, LayerNormNoBias(6), [x(5, 6)], ["train"]))
    out.append(case("layernorm_eps", "LayerNorm", [4], {"eps": 0.1}, nn.LayerNorm(4, eps=0.1),
                    [x(3, 4, scale=0.3)], ["train"]))
    out.append(case("rmsnorm", "RMSNorm", [6], {"eps": 1e-6}, RMSNorm(6, 1e-6), [x(3, 4, 6, shift=0.5)], ["train"]))
    out.append(case("rmsnorm_2d", "RMSNorm", [[2, 3]], {"eps": 1e-5}, RMSNorm([2, 3], 1e-5), [x(4, 2, 3)], ["train"]))
    # BatchNorm: two training steps, then eval (running statistics), as the brief asks
    out.append(case("batchnorm1d", "BatchNorm1d", [4], {}, nn.BatchNorm1d(4),
                    [x(8, 4, shift=1.0), x(8, 4, scale=2.0), x(3, 4)], ["train", "train", "eval"]))
    out.append(case("batchnorm1d_3d_cma", "BatchNorm1d", [3], {"momentum": None}, nn.BatchNorm1d(3, momentum=None),
                    [x(5, 3, 6), x(5, 3, 6, shift=-1.0), x(2, 3, 6)], ["train", "train", "eval"]))
    out.append(case("batchnorm2d", "BatchNorm2d", [3], {"momentum": 0.3}, nn.BatchNorm2d(3, momentum=0.3),
                    [x(4, 3, 3, 2), x(4, 3, 3, 2, scale=0.5), x(2, 3, 3, 2)], ["train", "train", "eval"]))
    out.append(case("batchnorm1d_nostats", "BatchNorm1d", [4], {"affine": False, "trackRunningStats": False},
                    nn.BatchNorm1d(4, affine=False, track_running_stats=False), [x(6, 4), x(5, 4)], ["train", "eval"]))
    out.append(case("groupnorm", "GroupNorm", [2, 6], {}, nn.GroupNorm(2, 6), [x(2, 6, 3, 2)], ["train"]))
    out.append(case("groupnorm_noaffine", "GroupNorm", [3, 6], {"affine": False, "eps": 1e-3},
                    nn.GroupNorm(3, 6, affine=False, eps=1e-3), [x(3, 6, 4)], ["train"]))
    out.append(case("instancenorm1d", "InstanceNorm1d", [3], {}, nn.InstanceNorm1d(3), [x(2, 3, 5)], ["train"]))
    out.append(case("instancenorm2d_stats", "InstanceNorm2d", [3], {"affine": True, "trackRunningStats": True},
                    nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
                    [x(2, 3, 4, 3), x(2, 3, 4, 3, shift=2.0), x(1, 3, 4, 3)], ["train", "train", "eval"]))
    out.append(case("dyt", "DyT", [6], {}, DyT(6), [x(3, 4, 6, scale=2.0)], ["train"]))
    out.append(case("dyt_2d", "DyT", [[2, 3]], {"alphaInit": 0.8}, DyT([2, 3], 0.8), [x(4, 2, 3)], ["train"]))
    for ctor, opts, m in [("GELU", {}, nn.GELU()), ("GELU", {"approximate": "tanh"}, nn.GELU(approximate="tanh")),
                          ("ReLU", {}, nn.ReLU()), ("SiLU", {}, nn.SiLU()), ("Tanh", {}, nn.Tanh()),
                          ("Sigmoid", {}, nn.Sigmoid())]:
        name = ctor.lower() + ("_" + opts["approximate"] if opts else "")
        out.append(case(name, ctor, [], opts, m, [x(3, 5, scale=2.0)], ["train"]))
    seq = nn.Sequential(nn.Linear(5, 4), nn.GELU(), nn.LayerNorm(4), nn.Linear(4, 2))
    out.append(case("sequential", "Sequential", [], {}, seq, [x(3, 5)], ["train"]))
    return out


def losses():
    ce = []
    for shape, C, ignore, smoothing in [((6,), 5, -100, 0.0), ((6,), 5, -100, 0.1), ((2, 3), 5, 2, 0.2),
                                        ((4,), 3, 1, 0.0), ((3,), 4, -100, 1.0)]:
        logits = rnd(*shape, C, scale=2.0)
        targets = torch.randint(0, C, shape)
        if ignore == -100:
            targets.view(-1)[1] = -100
        for reduction in ["mean", "sum", "none"]:
            lg = logits.clone().requires_grad_(True)
            loss = F.cross_entropy(lg.reshape(-1, C), targets.reshape(-1), ignore_index=ignore,
                                   label_smoothing=smoothing, reduction=reduction)
            if reduction == "none":
                loss = loss.reshape(shape)
            dy = rnd(*loss.shape)
            loss.backward(dy)
            ce.append({"logits": T(logits), "targets": T(targets), "ignoreIndex": ignore, "labelSmoothing": smoothing,
                       "reduction": reduction, "loss": T(loss), "dy": T(dy), "grad": T(lg.grad)})
    # every target ignored: torch's mean is 0/0 = nan, the gradient zero
    lg = rnd(2, 3).requires_grad_(True)
    t = torch.tensor([-100, -100])
    loss = F.cross_entropy(lg, t)
    loss.backward()
    allIgnored = {"logits": T(lg), "targets": T(t), "loss": T(loss), "grad": T(lg.grad)}
    mse = []
    for reduction in ["mean", "sum", "none"]:
        a = rnd(3, 4).requires_grad_(True)
        b = rnd(3, 4).requires_grad_(True)
        loss = F.mse_loss(a, b, reduction=reduction)
        dy = rnd(*loss.shape)
        loss.backward(dy)
        mse.append({"reduction": reduction, "input": T(a), "target": T(b), "loss": T(loss), "dy": T(dy),
                    "gradInput": T(a.grad), "gradTarget": T(b.grad)})
    return {"crossEntropy": ce, "crossEntropyAllIgnored": allIgnored, "mse": mse}


def write(name, obj):
    path = os.path.join(HERE, "fixtures", name)
    with open(path, "w") as f:
        json.dump({"generator": "test/gen_modules_fixtures.py", "torch": torch.__version__, **obj}, f,
                  separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    write("modules.json", {"cases": modules()})
    write("losses.json", losses())
