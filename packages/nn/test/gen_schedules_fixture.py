"""Writes test/fixtures/schedules.json, read by src/schedules.test.ts.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_schedules_fixture.py

Each case records the lr PyTorch's optimizer uses for updates 0, 1, 2, ... (read before each
optimizer.step(); scheduler.step() after it), from torch.optim.lr_scheduler classes:
  - built-in schedulers where one matches the schedule (LinearLR for the warmup, CosineAnnealingLR,
    PolynomialLR, LinearLR for the linear decay, SequentialLR to chain warmup and decay);
  - LambdaLR with the multiplier written out here, from the published formulas (nanoGPT's get_lr,
    the Annotated Transformer's rate()), for the whole range including the steps after the end.
"""
import json
import math
import os
import warnings

import torch
from torch.optim import SGD
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, PolynomialLR, SequentialLR

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "schedules.json")
warnings.filterwarnings("ignore")


def run(lr, make, steps):
    opt = SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def warmup(w):
    return lambda s: (s + 1) / w


def nanogpt(lr, w, total, min_lr):
    # nanoGPT train.py get_lr with llm.c's (it + 1) / warmup ramp, as a multiplier of lr
    def f(it):
        if it < w:
            return (it + 1) / w
        if it > total:
            return min_lr / lr
        ratio = (it - w) / (total - w)
        return (min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)) / lr
    return f


def linear_decay(lr, w, total, min_lr):
    def f(it):
        if it < w:
            return (it + 1) / w
        if it >= total:
            return min_lr / lr
        return (min_lr + (lr - min_lr) * (1 - (it - w) / (total - w))) / lr
    return f


def noam(d_model, w, factor):
    # The Annotated Transformer's rate(step, model_size, factor, warmup), step counted from 1
    return lambda s: factor * (d_model ** (-0.5) * min((s + 1) ** (-0.5), (s + 1) * w ** (-1.5)))


def cases():
    out = []
    lr, w = 0.1, 10
    out.append({"kind": "linearWarmup", "options": {"lr": lr, "warmupSteps": w}, "oracle": "LinearLR(1/W, 1, W-1)",
                "lrs": run(lr, lambda o: LinearLR(o, start_factor=1 / w, end_factor=1.0, total_iters=w - 1), 50)})

    lr, w, total, min_lr = 1e-3, 20, 250, 1e-4
    opts = {"lr": lr, "warmupSteps": w, "totalSteps": total, "minLr": min_lr}
    out.append({"kind": "warmupCosine", "options": opts,
                "oracle": "SequentialLR(LinearLR warmup, CosineAnnealingLR(T_max=T-W, eta_min))",
                "lrs": run(lr, lambda o: SequentialLR(o, [
                    LinearLR(o, start_factor=1 / w, end_factor=1.0, total_iters=w - 1),
                    CosineAnnealingLR(o, T_max=total - w, eta_min=min_lr)], milestones=[w]), total + 1)})
    out.append({"kind": "warmupCosine", "options": opts, "oracle": "LambdaLR(nanoGPT get_lr)",
                "lrs": run(lr, lambda o: LambdaLR(o, nanogpt(lr, w, total, min_lr)), 300)})

    out.append({"kind": "warmupCosine", "options": {"lr": 0.5, "warmupSteps": 0, "totalSteps": 200},
                "oracle": "CosineAnnealingLR(T_max=200)",
                "lrs": run(0.5, lambda o: CosineAnnealingLR(o, T_max=200), 201)})

    lr, w, total, min_lr = 0.5, 10, 200, 0.05
    opts = {"lr": lr, "warmupSteps": w, "totalSteps": total, "minLr": min_lr}
    out.append({"kind": "warmupLinear", "options": opts,
                "oracle": "SequentialLR(LinearLR warmup, LinearLR(1, minLr/lr, T-W))",
                "lrs": run(lr, lambda o: SequentialLR(o, [
                    LinearLR(o, start_factor=1 / w, end_factor=1.0, total_iters=w - 1),
                    LinearLR(o, start_factor=1.0, end_factor=min_lr / lr, total_iters=total - w)],
                    milestones=[w]), 300)})
    out.append({"kind": "warmupLinear", "options": opts, "oracle": "LambdaLR(linear decay)",
                "lrs": run(lr, lambda o: LambdaLR(o, linear_decay(lr, w, total, min_lr)), 300)})

    out.append({"kind": "warmupLinear", "options": {"lr": 0.5, "warmupSteps": 0, "totalSteps": 200},
                "oracle": "PolynomialLR(total_iters=200, power=1)",
                "lrs": run(0.5, lambda o: PolynomialLR(o, total_iters=200, power=1.0), 260)})

    out.append({"kind": "inverseSqrt", "options": {"dModel": 512, "warmupSteps": 100, "factor": 2.0},
                "oracle": "LambdaLR(Annotated Transformer rate)",
                "lrs": run(1.0, lambda o: LambdaLR(o, noam(512, 100, 2.0)), 300)})
    return out


if __name__ == "__main__":
    data = cases()
    # the built-in chains must agree with the formulas they stand for, before anything is written
    by = {(c["kind"], c["oracle"]): c["lrs"] for c in data}
    seq = by[("warmupCosine", "SequentialLR(LinearLR warmup, CosineAnnealingLR(T_max=T-W, eta_min))")]
    lam = by[("warmupCosine", "LambdaLR(nanoGPT get_lr)")]
    assert all(abs(a - b) <= 1e-12 * b for a, b in zip(seq, lam)), "SequentialLR cosine != nanoGPT formula"
    seq = by[("warmupLinear", "SequentialLR(LinearLR warmup, LinearLR(1, minLr/lr, T-W))")]
    lam = by[("warmupLinear", "LambdaLR(linear decay)")]
    assert all(abs(a - b) <= 1e-12 * b for a, b in zip(seq, lam)), "SequentialLR linear != formula"
    with open(OUT, "w") as f:
        json.dump(data, f)
    print("wrote", OUT, [(c["kind"], len(c["lrs"])) for c in data])
