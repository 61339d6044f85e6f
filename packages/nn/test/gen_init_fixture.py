"""Writes test/fixtures/init.json, read by src/init.test.ts and src/internal/normal-dist.test.ts.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_init_fixture.py

  gains       torch.nn.init.calculate_gain(name, param) for every nonlinearity torch knows
  fans        torch.nn.init._calculate_fan_in_and_fan_out for several weight shapes
  inits       per (function, shape, options): the std (and uniform bound) torch uses, from torch's
              own helpers (calculate_gain, _calculate_correct_fan, _calculate_fan_in_and_fan_out).
              Each is cross-checked here against a large tensor torch itself initialises.
  trunc       per (mean, std, a, b): mean, variance and 4th central moment of the truncated normal
              by numerical integration of its density (checked against the closed-form mean and
              variance), the CDF at a grid of points, and a cross-check with torch.nn.init.trunc_normal_
  normal      math.erfc, Phi(x) = erfc(-x/sqrt 2)/2 and NormalDist().inv_cdf (AS241) on grids
"""
import json
import math
import os
from statistics import NormalDist

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "init.json")
init = torch.nn.init
N01 = NormalDist()


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def gains():
    cases = [(n, None) for n in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                 "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]]
    cases += [("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", -1.5), ("relu", 7.0)]
    return [{"nonlinearity": camel(n), "param": p, "gain": init.calculate_gain(n, p)} for n, p in cases]


def fans():
    shapes = [[3, 4], [5, 2, 3], [6, 4, 3, 3], [2, 3, 2, 2, 2], [1, 1], [7, 0, 2], [16, 8, 1]]
    out = []
    for s in shapes:
        fi, fo = init._calculate_fan_in_and_fan_out(torch.empty(s))
        out.append({"shape": s, "fanIn": fi, "fanOut": fo})
    return out


def inits():
    torch.manual_seed(0)
    cases = [
        ("xavierUniform", [300, 200], {"gain": 1.0}, lambda t: init.xavier_uniform_(t, gain=1.0)),
        ("xavierUniform", [64, 32, 3, 3], {"gain": 5 / 3}, lambda t: init.xavier_uniform_(t, gain=5 / 3)),
        ("xavierNormal", [256, 512], {"gain": 0.5}, lambda t: init.xavier_normal_(t, gain=0.5)),
        ("kaimingUniform", [512, 256], {}, lambda t: init.kaiming_uniform_(t)),
        ("kaimingUniform", [128, 64, 5], {"a": 0.1, "mode": "fanOut", "nonlinearity": "leakyRelu"},
         lambda t: init.kaiming_uniform_(t, a=0.1, mode="fan_out", nonlinearity="leaky_relu")),
        ("kaimingNormal", [400, 300], {"mode": "fanIn", "nonlinearity": "relu"},
         lambda t: init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu")),
        ("kaimingNormal", [32, 16, 3, 3], {"mode": "fanOut", "nonlinearity": "tanh"},
         lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh")),
    ]
    out = []
    for fn, shape, opts, torch_fn in cases:
        t = torch.empty(shape, dtype=torch.float64)
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        if fn.startswith("xavier"):
            std = opts["gain"] * math.sqrt(2.0 / float(fan_in + fan_out))
        else:
            mode = {"fanIn": "fan_in", "fanOut": "fan_out"}[opts.get("mode", "fanIn")]
            nl = {"leakyRelu": "leaky_relu"}.get(opts.get("nonlinearity", "leakyRelu"), opts.get("nonlinearity"))
            std = init.calculate_gain(nl, opts.get("a", 0)) / math.sqrt(init._calculate_correct_fan(t, mode))
        case = {"fn": fn, "shape": shape, "options": opts, "std": std}
        torch_fn(t)
        emp_std = t.std().item()
        assert abs(emp_std / std - 1) < 0.03, (fn, shape, emp_std, std)
        if fn.endswith("Uniform"):
            case["bound"] = math.sqrt(3.0) * std
            assert t.abs().max().item() <= case["bound"] and t.abs().max().item() > 0.99 * case["bound"]
        out.append(case)
    return out


def phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0


def upper(x):  # P(Z > x), accurate in the upper tail
    return 0.5 * math.erfc(x / math.sqrt(2))


def trunc():
    cases = [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -10.0, -3.0), (0.0, 1.0, 1.0, 3.0),
             (0.0, 1.0, 4.0, 4.5), (1.0, 0.02, -math.inf, 1.0), (0.0, 1.0, -0.1, 0.1), (-3.0, 0.5, -2.0, math.inf)]
    out = []
    for mean, std, a, b in cases:
        al, be = (a - mean) / std, (b - mean) / std
        z = upper(al) - upper(be)
        closed_mean = mean + std * (phi(al) - phi(be)) / z
        ta = al * phi(al) if math.isfinite(al) else 0.0
        tb = be * phi(be) if math.isfinite(be) else 0.0
        closed_var = std * std * (1 + (ta - tb) / z - ((phi(al) - phi(be)) / z) ** 2)
        # moments by Simpson integration of the standardized density over [lo, hi]
        lo, hi = max(al, -40.0), min(be, 40.0)
        n = 200000
        h = (hi - lo) / n
        m = [0.0] * 5
        for i in range(n + 1):
            x = lo + i * h
            w = 1 if i in (0, n) else (4 if i % 2 else 2)
            d = w * phi(x)
            for k in range(5):
                m[k] += d * x ** k
        m = [v * h / 3 / z for v in m]
        mu = m[1]
        var = m[2] - mu * mu
        mu4 = m[4] - 4 * mu * m[3] + 6 * mu * mu * m[2] - 3 * mu ** 4
        assert abs(m[0] - 1) < 1e-9 and abs(mean + std * mu - closed_mean) < 1e-9 * std
        assert abs(std * std * var - closed_var) < 1e-8 * closed_var, (std * std * var, closed_var)
        grid_lo = a if math.isfinite(a) else mean - 4 * std
        grid_hi = b if math.isfinite(b) else mean + 4 * std
        grid = [grid_lo + (grid_hi - grid_lo) * k / 10 for k in range(1, 10)]
        cdf = [(upper(al) - upper((x - mean) / std)) / z for x in grid]
        t = init.trunc_normal_(torch.empty(200000, dtype=torch.float64), mean, std, a, b)
        assert t.min().item() >= a and t.max().item() <= b
        torch_se = (t.mean().item() - closed_mean) / math.sqrt(closed_var / t.numel())
        print(f"trunc_normal_({mean}, {std}, {a}, {b}): torch's sample mean is {torch_se:+.2f} standard errors off")
        out.append({"mean": mean, "std": std, "a": enc(a), "b": enc(b), "mass": z,
                    "expMean": closed_mean, "expVar": closed_var, "expMu4": mu4 * std ** 4,
                    "grid": grid, "cdf": cdf})
    return out


def enc(v):
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def normal():
    xs = [-9.0, -5.0, -3.0, -2.0001, -1.5, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.3, 1.0, 1.49, 1.5, 1.99, 2.0, 2.5, 3.0,
          5.0, 8.0, 12.0, 20.0, 26.5]
    xcdf = [-37.0, -30.0, -20.0, -8.0, -3.0, -1.0, 0.0, 0.5, 2.0, 6.0]
    ps = [1e-300, 1e-200, 1e-50, 1e-20, 1e-10, 1e-5, 1e-3, 0.02425, 0.1, 0.3, 0.4999, 0.5, 0.7, 0.97575, 0.999]
    return {"erfc": [[x, math.erfc(x)] for x in xs],
            "cdf": [[x, 0.5 * math.erfc(-x / math.sqrt(2))] for x in xcdf],
            "quantile": [[p, N01.inv_cdf(p)] for p in ps]}


if __name__ == "__main__":
    data = {"gains": gains(), "fans": fans(), "inits": inits(), "trunc": trunc(), "normal": normal()}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
    print("wrote", OUT)
