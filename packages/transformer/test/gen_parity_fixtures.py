"""PyTorch reference for @normkit/transformer: writes the fixtures read by src/parity.test.ts
and src/load.test.ts.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 test/gen_parity_fixtures.py
CI does not run this; its outputs are committed.

The model below is nanoGPT's GPT (Karpathy, model.py) with the block's norm placement and norm kind
made configurable, written plainly so each formula can be read off:
  post      x = N1(x + A(x));            x = N2(x + M(x))                    (Vaswani et al. 2017)
  pre       x = x + A(s N1(x));          x = x + M(s N2(x)),  s = 1/sqrt(l) with depth scaling (Sun
            et al. 2025), else 1; final norm ln_f before the head                (GPT-2, LLaMA)
  peri      x = x + N1o(A(N1(x)));       x = x + N2o(M(N2(x))); final norm ln_f  (Kim et al. 2025)
  deepnorm  x = N1(a x + A(x));          x = N2(a x + M(x)),  a = (2L)^(1/4)     (Wang et al. 2022)
  mix       post for layers l <= floor(ratio L), pre after; ln_f if any layer is pre (Li et al. 2024)
  b2t       h = N1(x + A(x));            x = N2(x + h + M(h))                    (Takase et al. 2022)
Norm kinds: LayerNorm, RMSNorm (x rsqrt(mean x^2 + eps) w, torch >= 2.4's nn.RMSNorm; torch 1.13 has
none), DyT (w tanh(alpha x) + b, Zhu et al. 2025), none (identity). Optional QK-norm normalizes each
head's queries and keys over the head dimension. The head is tied to the token embedding.

Outputs (test/fixtures/):
  parity-weights.safetensors  F32: one superset of named tensors; each case loads the subset its
                              model has (every value is a float32, so float64 and float32 runs share
                              exactly the same weights).
  parity.json                 dims, the batch (idx, targets), the cases and their losses, the probe rule.
  parity-f64.safetensors      per case "<case>/logits" [B, T, V]; "<case>/gproj" [P, 2]: for parameter p
                              (in the case's `parameters` order) [dot(grad_p, r0), dot(grad_p, r1)]
                              with the probes r_j below; for the cases marked full, "<case>/grad": all
                              gradients flattened and concatenated in that order.
  parity-f32.safetensors      the same from a float32 run (projections computed in float64 from the
                              float32 gradients); whole gradients for the full LayerNorm cases only.
  nanogpt.safetensors         case pre-layer saved the way nanoGPT's state_dict() is on torch < 2:
                              with lm_head.weight (tied, so a copy of transformer.wte.weight) and each
                              layer's causal-mask buffer transformer.h.<i>.attn.bias [1, 1, T, T].
Sizes: d = 8 (not 16) and whole gradients for 11 of the 31 cases keep the fixtures at ~430 KB; whole
gradients everywhere at d = 16 would be several MB. Projections keep every case and every parameter
checked (a wrong gradient changes a random projection with probability 1) in a few hundred bytes.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

DIMS = dict(vocabSize=17, blockSize=8, nEmbd=8, nHead=2, nLayer=2, batch=2)
EPS = 1e-5
PLACEMENTS = {
    "post": {"kind": "post"},
    "pre": {"kind": "pre"},
    "pre_scaled": {"kind": "pre", "depthScaling": True},
    "peri": {"kind": "peri"},
    "deepnorm": {"kind": "deepnorm", "alpha": (2 * DIMS["nLayer"]) ** 0.25, "beta": (8 * DIMS["nLayer"]) ** -0.25},
    "mix": {"kind": "mix", "ratio": 0.5},  # L = 2: layer 1 post, layer 2 pre (ratio 0.25 would be all pre)
    "b2t": {"kind": "b2t"},
}
NORMS = ["layer", "rms", "dyt", "none"]


def cases():
    out = []
    for p in PLACEMENTS:
        for n in NORMS:
            full = n == "layer" or p == "pre"
            out.append(dict(name=f"{p}-{n}", placement=PLACEMENTS[p], norm=n, qkNorm=None, bias=True, full=full))
    out.append(dict(name="pre-layer-qk_layer", placement=PLACEMENTS["pre"], norm="layer", qkNorm="layer", bias=True, full=True))
    out.append(dict(name="peri-rms-qk_rms", placement=PLACEMENTS["peri"], norm="rms", qkNorm="rms", bias=True, full=False))
    out.append(dict(name="pre-layer-nobias", placement=PLACEMENTS["pre"], norm="layer", qkNorm=None, bias=False, full=False))
    return out


class Norm(nn.Module):
    def __init__(self, kind, d, bias):
        super().__init__()
        self.kind = kind
        self.weight = nn.Parameter(torch.ones(d))
        if kind == "dyt":
            self.alpha = nn.Parameter(torch.full((1,), 0.5))
        self.bias = nn.Parameter(torch.zeros(d)) if bias and kind in ("layer", "dyt") else None

    def forward(self, x):
        if self.kind == "layer":
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, EPS)
        if self.kind == "rms":
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight
        y = torch.tanh(self.alpha * x) * self.weight
        return y + self.bias if self.bias is not None else y


def make_norm(kind, d, bias):
    return nn.Identity() if kind == "none" else Norm(kind, d, bias)


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, T = DIMS["nEmbd"], DIMS["blockSize"]
        self.n_head = DIMS["nHead"]
        self.c_attn = nn.Linear(d, 3 * d, bias=c["bias"])
        self.c_proj = nn.Linear(d, d, bias=c["bias"])
        if c["qkNorm"]:
            self.q_norm = make_norm(c["qkNorm"], d // self.n_head, c["bias"])
            self.k_norm = make_norm(c["qkNorm"], d // self.n_head, c["bias"])
        self.qk = bool(c["qkNorm"])
        self.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))  # nanoGPT on torch < 2

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        if self.qk:
            q, k = self.q_norm(q), self.k_norm(k)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = DIMS["nEmbd"]
        self.c_fc = nn.Linear(d, 4 * d, bias=c["bias"])
        self.c_proj = nn.Linear(4 * d, d, bias=c["bias"])

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


def layer_kind(placement, layer):
    """The placement layer `layer` (1-based) uses; mix is post for layer <= floor(ratio L)."""
    if placement["kind"] != "mix":
        return placement["kind"]
    return "post" if layer <= math.floor(placement["ratio"] * DIMS["nLayer"]) else "pre"


class Block(nn.Module):
    def __init__(self, c, layer):
        super().__init__()
        d, n, b = DIMS["nEmbd"], c["norm"], c["bias"]
        self.kind = layer_kind(c["placement"], layer)
        self.alpha = c["placement"].get("alpha", 1.0)
        self.scale = 1 / math.sqrt(layer) if c["placement"].get("depthScaling") else 1.0
        self.ln_1 = make_norm(n, d, b)
        self.attn = CausalSelfAttention(c)
        self.ln_2 = make_norm(n, d, b)
        self.mlp = MLP(c)
        if self.kind == "peri":
            self.ln_1_out = make_norm(n, d, b)
            self.ln_2_out = make_norm(n, d, b)

    def forward(self, x):
        A, M, N1, N2 = self.attn, self.mlp, self.ln_1, self.ln_2
        if self.kind == "post":
            x = N1(x + A(x))
            return N2(x + M(x))
        if self.kind == "pre":
            x = x + A(self.scale * N1(x))
            return x + M(self.scale * N2(x))
        if self.kind == "peri":
            x = x + self.ln_1_out(A(N1(x)))
            return x + self.ln_2_out(M(N2(x)))
        if self.kind == "deepnorm":
            x = N1(self.alpha * x + A(x))
            return N2(self.alpha * x + M(x))
        h = N1(x + A(x))  # b2t
        return N2(x + h + M(h))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        L, d = DIMS["nLayer"], DIMS["nEmbd"]
        blocks = [Block(c, l + 1) for l in range(L)]
        final = blocks[-1].kind in ("pre", "peri")
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(DIMS["vocabSize"], d),
            wpe=nn.Embedding(DIMS["blockSize"], d),
            h=nn.ModuleList(blocks),
            ln_f=make_norm(c["norm"], d, c["bias"]) if final else nn.Identity(),
        ))
        self.lm_head = nn.Linear(d, DIMS["vocabSize"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT

    def forward(self, idx, targets):
        pos = torch.arange(idx.shape[1])
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def superset_weights(all_cases):
    """One float32-valued tensor per name any case uses; scales keep every placement's activations O(1)."""
    shapes = {}
    for c in all_cases:
        for name, p in GPT(c).named_parameters():
            shapes[name] = tuple(p.shape)
    g = torch.Generator().manual_seed(20250601)
    out = {}
    for name in sorted(shapes):
        s = shapes[name]
        r = torch.randn(s, generator=g)
        leaf = name.rsplit(".", 1)[-1]
        is_norm = any(k in name for k in ("ln_", "q_norm", "k_norm"))
        if leaf == "alpha":
            v = 0.5 + 0.1 * r
        elif is_norm:
            v = (1.0 + 0.1 * r) if leaf == "weight" else 0.1 * r
        elif name.endswith("wte.weight"):
            v = 0.5 * r
        elif name.endswith("wpe.weight"):
            v = 0.3 * r
        elif leaf == "weight":
            v = r / math.sqrt(s[1])
        else:
            v = 0.05 * r
        out[name] = v.float()
    return out


def probe(n, j):
    """Probe vector r_j (exact in float64 here and in JS): ((i+1) 2654435761 + (j+1) 2246822519) mod 2^32,
    its top 16 bits over 2^16, minus 1/2."""
    return torch.tensor([((((i + 1) * 2654435761 + (j + 1) * 2246822519) % 4294967296) // 65536) / 65536 - 0.5
                         for i in range(n)], dtype=torch.float64)


def run(c, weights, idx, targets, dtype):
    model = GPT(c).to(dtype)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(weights[name].to(dtype))
    logits, loss = model(idx, targets)
    loss.backward()
    grads = [p.grad.detach().reshape(-1) for _, p in model.named_parameters()]
    proj = [[g.double() @ probe(g.numel(), 0), g.double() @ probe(g.numel(), 1)] for g in grads]
    tensors = {f"{c['name']}/logits": logits.detach(), f"{c['name']}/gproj": torch.tensor(proj, dtype=dtype)}
    # float32 runs keep whole gradients for the LayerNorm cases only (fixture size)
    if c["full"] and (dtype == torch.float64 or c["norm"] == "layer"):
        tensors[f"{c['name']}/grad"] = torch.cat(grads)
    return model, loss.item(), tensors


def write_safetensors(path, tensors, metadata=None):
    header, chunks, pos = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        code = {torch.float32: "F32", torch.float64: "F64"}[t.dtype]
        raw = t.numpy().astype("<f4" if code == "F32" else "<f8").tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [pos, pos + len(raw)]}
        chunks.append(raw)
        pos += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def main():
    os.makedirs(OUT, exist_ok=True)
    all_cases = cases()
    weights = superset_weights(all_cases)
    g = torch.Generator().manual_seed(7)
    shape = (DIMS["batch"], DIMS["blockSize"])
    idx = torch.randint(0, DIMS["vocabSize"], shape, generator=g)
    targets = torch.randint(0, DIMS["vocabSize"], shape, generator=g)
    out64, out32, meta = {}, {}, []
    for c in all_cases:
        model, loss64, t64 = run(c, weights, idx, targets, torch.float64)
        _, loss32, t32 = run(c, weights, idx, targets, torch.float32)
        out64.update(t64)
        out32.update(t32)
        names = [n for n, _ in model.named_parameters()]
        meta.append(dict(c, loss64=loss64, loss32=loss32, parameters=names))
        if c["name"] == "pre-layer":
            sd = {k: v.detach().float().clone() for k, v in model.state_dict().items()}
            write_safetensors(os.path.join(OUT, "nanogpt.safetensors"), sd, {"format": "pt"})
    write_safetensors(os.path.join(OUT, "parity-weights.safetensors"), weights)
    write_safetensors(os.path.join(OUT, "parity-f64.safetensors"), out64)
    write_safetensors(os.path.join(OUT, "parity-f32.safetensors"), out32)
    doc = dict(
        generator="test/gen_parity_fixtures.py", torch=torch.__version__, dims=DIMS, eps=EPS,
        idx=idx.tolist(), targets=targets.tolist(),
        probe="r_j[i] = floor((((i+1)*2654435761 + (j+1)*2246822519) mod 2^32) / 65536) / 65536 - 0.5, j = 0, 1",
        cases=meta,
    )
    with open(os.path.join(OUT, "parity.json"), "w") as f:  # one line per top-level key / case
        body = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items() if k != "cases"]
        body.append(' "cases": [\n  ' + ",\n  ".join(json.dumps(c) for c in doc["cases"]) + "\n ]")
        f.write("{\n" + ",\n".join(body) + "\n}\n")


if __name__ == "__main__":
    main()
