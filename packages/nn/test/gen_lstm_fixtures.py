"""Writes test/fixtures/lstm.json, read by src/recurrent/*.test.ts.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_lstm_fixtures.py

All float64, I = 3 inputs, H = 4 hidden, B = 2, T = 3 steps, xs [T, B, I], h0 and c0 [B, H].
The loss is sum(outputs * wo) + sum(h_T * wh) + sum(c_T * wc) with fixed random wo, wh, wc, so
every output gets a distinct gradient; torch's autograd gives the gradients of every parameter
and of xs, h0, c0.

  lstm        torch.nn.LSTMCell run step by step (outputs, h_T, c_T and all gradients), plus
              torch.nn.LSTM (one layer, the same weights as weight_ih_l0, ...) on the same data
              as an independent second oracle, and a bias=False cell's outputs.
  lnlstm      the LayerNorm-LSTM of Ba et al. 2016 composed here from torch ops (F.layer_norm):
                gates = LN_i(x W_ih^T) + LN_h(h W_hh^T);  i, f, g, o = gates.chunk(4, -1)
                c' = sigmoid(f) c + sigmoid(i) tanh(g);   h' = sigmoid(o) tanh(LN_c(c'))
              with random LayerNorm gains and biases (not the ones/zeros init), eps 1e-5.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "lstm.json")
I, H, B, T = 3, 4, 2, 3
EPS = 1e-5


def enc(t):
    t = t.detach()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "data": t.reshape(-1).tolist()}


def data(gen):
    xs = torch.randn(T, B, I, generator=gen, dtype=torch.float64)
    h0 = torch.randn(B, H, generator=gen, dtype=torch.float64)
    c0 = torch.randn(B, H, generator=gen, dtype=torch.float64)
    wo = torch.randn(T, B, H, generator=gen, dtype=torch.float64)
    wh = torch.randn(B, H, generator=gen, dtype=torch.float64)
    wc = torch.randn(B, H, generator=gen, dtype=torch.float64)
    return xs, h0, c0, wo, wh, wc


def run(step, xs, h0, c0):
    h, c, outs = h0, c0, []
    for t in range(T):
        h, c = step(xs[t], h, c)
        outs.append(h)
    return torch.stack(outs), h, c


def lstm_case(gen):
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(I, H).double()
    xs, h0, c0, wo, wh, wc = data(gen)
    inputs = [t.clone().requires_grad_(True) for t in (xs, h0, c0)]
    outputs, h, c = run(lambda x, h, c: cell(x, (h, c)), *inputs)
    loss = (outputs * wo).sum() + (h * wh).sum() + (c * wc).sum()
    loss.backward()
    params = dict(cell.named_parameters())

    full = torch.nn.LSTM(I, H).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(full, name + "_l0").copy_(params[name])
        seq, (hn, cn) = full(xs, (h0[None], c0[None]))

    nobias = torch.nn.LSTMCell(I, H, bias=False).double()
    nb_out, nb_h, nb_c = run(lambda x, h, c: nobias(x, (h, c)), xs, h0, c0)

    return {
        "params": {k: enc(v) for k, v in params.items()},
        "xs": enc(xs), "h0": enc(h0), "c0": enc(c0), "wo": enc(wo), "wh": enc(wh), "wc": enc(wc),
        "outputs": enc(outputs), "h": enc(h), "c": enc(c), "loss": loss.item(),
        "grads": {**{k: enc(v.grad) for k, v in params.items()},
                  "xs": enc(inputs[0].grad), "h0": enc(inputs[1].grad), "c0": enc(inputs[2].grad)},
        "nnLSTM": {"outputs": enc(seq), "h": enc(hn[0]), "c": enc(cn[0])},
        "noBias": {"params": {k: enc(v) for k, v in nobias.named_parameters()},
                   "outputs": enc(nb_out), "h": enc(nb_h), "c": enc(nb_c)},
    }


def lnlstm_case(gen):
    k = 1 / H ** 0.5
    u = lambda *shape: (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * k
    near1 = lambda n: 1 + 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)
    small = lambda n: 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)
    params = {
        "weight_ih": u(4 * H, I), "weight_hh": u(4 * H, H),
        "layernorm_i.weight": near1(4 * H), "layernorm_i.bias": small(4 * H),
        "layernorm_h.weight": near1(4 * H), "layernorm_h.bias": small(4 * H),
        "layernorm_c.weight": near1(H), "layernorm_c.bias": small(H),
    }
    p = {name: v.clone().requires_grad_(True) for name, v in params.items()}

    def step(x, h, c):
        gates = (F.layer_norm(x @ p["weight_ih"].t(), (4 * H,), p["layernorm_i.weight"], p["layernorm_i.bias"], EPS)
                 + F.layer_norm(h @ p["weight_hh"].t(), (4 * H,), p["layernorm_h.weight"], p["layernorm_h.bias"], EPS))
        i, f, g, o = gates.chunk(4, -1)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h2 = torch.sigmoid(o) * torch.tanh(F.layer_norm(c2, (H,), p["layernorm_c.weight"], p["layernorm_c.bias"], EPS))
        return h2, c2

    xs, h0, c0, wo, wh, wc = data(gen)
    inputs = [t.clone().requires_grad_(True) for t in (xs, h0, c0)]
    outputs, h, c = run(step, *inputs)
    loss = (outputs * wo).sum() + (h * wh).sum() + (c * wc).sum()
    loss.backward()
    return {
        "eps": EPS,
        "params": {k: enc(v) for k, v in params.items()},
        "xs": enc(xs), "h0": enc(h0), "c0": enc(c0), "wo": enc(wo), "wh": enc(wh), "wc": enc(wc),
        "outputs": enc(outputs), "h": enc(h), "c": enc(c), "loss": loss.item(),
        "grads": {**{k: enc(v.grad) for k, v in p.items()},
                  "xs": enc(inputs[0].grad), "h0": enc(inputs[1].grad), "c0": enc(inputs[2].grad)},
    }


def main():
    gen = torch.Generator().manual_seed(2016)
    out = {"torch": torch.__version__, "sizes": {"I": I, "H": H, "B": B, "T": T},
           "lstm": lstm_case(gen), "lnlstm": lnlstm_case(gen)}
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
