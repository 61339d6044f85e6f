"""Writes test/fixtures/parity.json, read by src/optim/parity.test.ts.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_parity_fixture.py

Training parity, all float64: the MLP
    0 Linear(8, 16) -> 1 LayerNorm(16) -> 2 GELU -> 3 Linear(16, 16, bias=False) -> 4 BatchNorm1d(16) -> 5 ReLU
    -> 6 Linear(16, 16) -> 7 RMSNorm(16, eps 1e-6) -> 8 Linear(16, 4)
(RMSNorm composed here, torch 1.13 has none: x * rsqrt(mean(x^2, -1) + eps) * weight; layer 3 has
no bias because BatchNorm removes it: its gradient would be pure rounding noise, which Adam divides
by sqrt(v) + eps ~ eps and turns into 1e-10 steps that differ between any two implementations) trained in
train mode for 5 steps on 5 fixed batches of 32 rows with cross-entropy, each step:
    zero_grad; loss = cross_entropy(model(x_s), y_s); backward;
    total = clip_grad_norm_(params, 1.0); AdamW(lr, weight_decay 0.01).step(); scheduler.step()
with a linear warmup LambdaLR(min(1, (s + 1) / 3)) on peak lr 0.05 (normkit's
linearWarmupSchedule({ lr: 0.05, warmupSteps: 3 })). The norm parameters start away from
ones/zeros so every one of them matters. Records the initial state dict (normkit loads it), the
batches, and per step the loss, the gradient norm before clipping, the lr, and the state dict
(parameters and BatchNorm buffers) after the step.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "parity.json")
STEPS, N, PEAK, WARMUP, MAX_NORM = 5, 32, 0.05, 3, 1.0


class RMSNorm(torch.nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(d, dtype=torch.float64))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def enc(t):
    t = t.detach()
    dtype = str(t.dtype).replace("torch.", "")
    return {"dtype": dtype, "shape": list(t.shape), "data": t.reshape(-1).tolist()}


def state(model):
    return {k: enc(v) for k, v in model.state_dict().items()}


def main():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.LayerNorm(16), torch.nn.GELU(),
        torch.nn.Linear(16, 16, bias=False), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
        torch.nn.Linear(16, 16), RMSNorm(16, 1e-6), torch.nn.Linear(16, 4),
    ).double()
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for i in (1, 4, 7):
            m = model[i]
            m.weight.copy_(1 + 0.2 * torch.randn(16, generator=gen, dtype=torch.float64))
            if getattr(m, "bias", None) is not None:
                m.bias.copy_(0.2 * torch.randn(16, generator=gen, dtype=torch.float64))
    xs = [2 * torch.randn(N, 8, generator=gen, dtype=torch.float64) for _ in range(STEPS)]
    ys = [torch.randint(0, 4, (N,), generator=gen) for _ in range(STEPS)]
    initial = state(model)

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=PEAK, weight_decay=0.01, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / WARMUP))
    steps = []
    for s in range(STEPS):
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[s]), ys[s])
        loss.backward()
        total = torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
        opt.step()
        sched.step()
        steps.append({"lr": lr, "loss": loss.item(), "gradNorm": total.item(), "state": state(model)})
    print("grad norms", [round(s["gradNorm"], 3) for s in steps], "losses", [round(s["loss"], 4) for s in steps])

    out = {
        "torch": torch.__version__,
        "config": {"peakLr": PEAK, "warmupSteps": WARMUP, "weightDecay": 0.01, "maxNorm": MAX_NORM, "rmsEps": 1e-6},
        "initial": initial,
        "xs": [enc(x) for x in xs],
        "ys": [y.tolist() for y in ys],
        "steps": steps,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
