"""Writes test/fixtures/optim.json, read by src/optim/*.test.ts and src/clip.test.ts.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_optim_fixtures.py

  optimizers  per case: torch.optim.SGD / Adam / AdamW (foreach=False, the single-tensor path) built on
              two float64 parameters ([3, 4] and [5]), optionally in two param groups, then run for
              5 steps with fixed synthetic gradients (written here, so normkit replays the same ones;
              a null gradient means p.grad = None for that step, which torch skips). Records the
              parameters after every step, the lr used at every step (set through
              param_groups[g]['lr'] before the step, as a schedule would), torch's optimizer
              state_dict after step 3 (so normkit can load torch's own state and continue) and after
              step 5 (to compare normkit's stateDict()).
  clip        per case: gradients, max_norm, norm_type -> torch.nn.utils.clip_grad_norm_'s returned
              total norm and the clipped gradients (non-finite cases included).
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "optim.json")
STEPS = 5
SHAPES = [[3, 4], [5]]


def num(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    t = t.detach()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "data": [num(v) for v in t.reshape(-1).tolist()]}


def enc_state(sd):
    """torch's state_dict with tensors encoded; step (a tensor in 1.13) becomes a number."""
    state = {}
    for k, entry in sd["state"].items():
        out = {}
        for key, v in entry.items():
            if v is None:
                continue
            out[key] = v.item() if key == "step" else enc(v)
        state[str(k)] = out
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()
               if k not in ("foreach", "maximize", "capturable", "differentiable", "fused")}
              for g in sd["param_groups"]]
    return {"state": state, "param_groups": groups}


def init_params():
    g = torch.Generator().manual_seed(1234)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in SHAPES]


def make_grads():
    """Per step, per parameter: a gradient or None. Magnitudes vary (x3, x0.2, ...) so amsgrad's
    running maximum differs from the plain second moment, and parameter 1 has no gradient at step 2."""
    g = torch.Generator().manual_seed(99)
    scale = [1.0, 3.0, 0.2, 0.5, 2.0]
    steps = []
    for s in range(STEPS):
        row = [torch.randn(shape, generator=g, dtype=torch.float64) * scale[s] for shape in SHAPES]
        if s == 2:
            row[1] = None
        steps.append(row)
    return steps


CASES = [
    # name, class, options (torch names), groups (None: one list), lrs per step (None: constant)
    ("sgd plain", "SGD", {"lr": 0.1}, None, None),
    ("sgd momentum dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.25}, None, None),
    ("sgd nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None, None),
    ("sgd weight decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}, None, None),
    ("sgd momentum weight decay nesterov", "SGD",
     {"lr": 0.02, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}, None, None),
    ("sgd groups + lr schedule", "SGD", {"lr": 0.1, "momentum": 0.5},
     [{"weight_decay": 0.01}, {"dampening": 0.5}], [0.02, 0.04, 0.06, 0.08, 0.1]),
    ("sgd groups own lr", "SGD", {"lr": 0.1}, [{"momentum": 0.9}, {"lr": 0.3, "weight_decay": 0.2}], None),
    ("adam defaults", "Adam", {}, None, None),
    ("adam lr 0.01 weight decay", "Adam", {"lr": 0.01, "weight_decay": 0.1}, None, None),
    ("adam amsgrad", "Adam", {"lr": 0.01, "amsgrad": True, "betas": [0.8, 0.99], "eps": 1e-6}, None, None),
    ("adam amsgrad weight decay", "Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05}, None, None),
    ("adam groups own lr", "Adam", {"lr": 0.01}, [{"lr": 0.03, "amsgrad": True}, {"eps": 0.1}], None),
    ("adamw defaults", "AdamW", {}, None, None),
    ("adamw lr 0.01", "AdamW", {"lr": 0.01, "weight_decay": 0.1}, None, None),
    ("adamw amsgrad betas eps", "AdamW",
     {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True, "betas": [0.5, 0.9], "eps": 1e-4}, None, None),
    ("adamw groups + warmup", "AdamW", {"lr": 0.01},
     [{"weight_decay": 0.0}, {"weight_decay": 0.3, "betas": [0.9, 0.95]}], [0.002, 0.004, 0.006, 0.008, 0.01]),
]


def run_case(name, cls, options, groups, lrs, grads):
    params = [p.clone().requires_grad_(True) for p in init_params()]
    initial = [enc(p) for p in params]
    Opt = getattr(torch.optim, cls)
    opts = dict(options)
    if "betas" in opts:
        opts["betas"] = tuple(opts["betas"])
    if groups is None:
        opt = Opt(params, foreach=False, **opts)
    else:
        gs = []
        for i, g in enumerate(groups):
            g = dict(g)
            if "betas" in g:
                g["betas"] = tuple(g["betas"])
            gs.append({"params": [params[i]], **g})
        opt = Opt(gs, foreach=False, **opts)
    after, state3 = [], None
    for s in range(STEPS):
        for p, g in zip(params, grads[s]):
            p.grad = None if g is None else g.clone()
        if lrs is not None:
            for pg in opt.param_groups:
                pg["lr"] = lrs[s]
        opt.step()
        after.append([enc(p) for p in params])
        if s == 2:
            state3 = enc_state(opt.state_dict())
    return {"name": name, "optimizer": cls, "options": options, "groups": groups, "lrs": lrs,
            "initial": initial, "after": after, "state3": state3, "state5": enc_state(opt.state_dict())}


def clip_cases():
    g = torch.Generator().manual_seed(7)
    base = [torch.randn(s, generator=g, dtype=torch.float64) for s in ([4, 3], [6], [2, 2, 2])]
    small = [t * 1e-3 for t in base]
    with_inf = [t.clone() for t in base]
    with_inf[1][2] = math.inf
    with_nan = [t.clone() for t in base]
    with_nan[0][1, 1] = math.nan
    cases = [
        ("l2 clipped", base, 1.0, 2.0),
        ("l2 not clipped", small, 1.0, 2.0),
        ("l2 max_norm 0", base, 0.0, 2.0),
        ("l1", base, 2.5, 1.0),
        ("l3", base, 0.7, 3.0),
        ("l0.5", base, 10.0, 0.5),
        ("inf norm", base, 0.5, math.inf),
        ("inf norm not clipped", small, 0.5, math.inf),
        ("inf gradient, l2", with_inf, 1.0, 2.0),
        ("nan gradient, l2", with_nan, 1.0, 2.0),
        ("inf gradient, inf norm", with_inf, 1.0, math.inf),
    ]
    out = []
    for name, gs, max_norm, p in cases:
        params = [torch.zeros_like(t, requires_grad=True) for t in gs]
        for q, t in zip(params, gs):
            q.grad = t.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=p)
        out.append({"name": name, "grads": [enc(t) for t in gs], "maxNorm": max_norm, "normType": num(p),
                    "total": num(total.item()), "clipped": [enc(q.grad) for q in params]})
    return out


def main():
    grads = make_grads()
    enc_grads = [[None if g is None else enc(g) for g in row] for row in grads]
    out = {
        "torch": torch.__version__,
        "grads": enc_grads,
        "optimizers": [run_case(*c, grads) for c in CASES],
        "clip": clip_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
