"""Writes the safetensors fixtures read by src/safetensors.test.ts.

Run with Debian's python3 (torch 1.13, numpy): /usr/bin/python3 test/gen_safetensors_fixture.py
No safetensors package: the files are assembled with struct + json, per the format:
  u64 little-endian header length N | N bytes of JSON header | raw little-endian data.

Outputs (test/fixtures/):
  mixed.safetensors       F32, F64, F16, BF16 tensors with special values (signed zeros, subnormals,
                          max, +-inf, nan), a 0-d and two size-0 tensors, metadata. Deliberately NOT
                          in the reference writer's order: data order differs from header key order
                          and an F32 tensor starts at an odd (unaligned) offset.
  mixed.expected.json     {metadata, tensors: {name: {dtype, shape, data}}}: the values in float64,
                          computed here from the raw bits (struct 'e' for F16, bits << 16 for BF16),
                          not by torch's conversions. dtype is the dtype normkit should load into.
  canonical.safetensors   a dict laid out exactly as the reference Rust `serialize` does (F64 before
                          F32, then by name; compact JSON, __metadata__ first, padded with spaces to
                          a multiple of 8); canonical.json holds the same dict, so the test can
                          compare normkit's encoder with these bytes.
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def enc(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def f16_value(bits):
    return struct.unpack("<e", struct.pack("<H", bits))[0]


def bf16_value(bits):
    return struct.unpack("<f", struct.pack("<I", bits << 16))[0]


def f32_round(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def write_file(path, header, data):
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)


def mixed():
    torch.manual_seed(1234)
    entries = []  # (name, safetensors dtype, shape, raw bytes, expected float64 values, load dtype)

    f16_bits = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x3555, 0xC000, 0x7BFF, 0x7C00, 0xFC00, 0x7E00]
    entries.append(("f16.special", "F16", [3, 4], struct.pack("<12H", *f16_bits),
                    [f16_value(b) for b in f16_bits], "float32"))
    half = torch.randn(3).half()  # 6 bytes: the tensor after it starts at an odd multiple of 2
    hb = [int(b) & 0xFFFF for b in half.view(torch.int16).tolist()]
    entries.append(("f16.randn", "F16", [3], half.numpy().tobytes(), [f16_value(b) for b in hb], "float32"))

    f32 = [0.0, -0.0, f32_round(1 / 3), -2.25, math.inf, -math.inf, math.nan, 2.0 ** -149,
           f32_round(3.4028234663852886e38), 2.0 ** -126]
    entries.append(("f32.special", "F32", [2, 5], struct.pack("<10f", *f32), f32, "float32"))
    r = torch.randn(3, 5)
    entries.append(("f32.randn", "F32", [3, 5], r.numpy().tobytes(),
                    r.numpy().astype(np.float64).ravel().tolist(), "float32"))

    f64 = [math.pi, -5e-324, -1e-310, 1.7976931348623157e308, math.nan, -math.inf, 0.1]
    entries.append(("f64.special", "F64", [7], struct.pack("<7d", *f64), f64, "float64"))

    bf_bits = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x3EAB, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0xC049]
    entries.append(("bf16.special", "BF16", [12], struct.pack("<12H", *bf_bits),
                    [bf16_value(b) for b in bf_bits], "float32"))
    b = torch.randn(4, 6).bfloat16()
    bb = [int(x) & 0xFFFF for x in b.view(torch.int16).flatten().tolist()]
    entries.append(("bf16.randn", "BF16", [4, 6], b.view(torch.int16).numpy().tobytes(),
                    [bf16_value(x) for x in bb], "float32"))

    entries.append(("scalar", "F32", [], struct.pack("<f", 2.5), [2.5], "float32"))
    entries.append(("empty", "F32", [0, 3], b"", [], "float32"))
    entries.append(("empty.f16", "F16", [4, 0], b"", [], "float32"))
    entries.append(("scalar64", "F64", [], struct.pack("<d", -7.25), [-7.25], "float64"))

    # data order: as listed above (f16 first, so f32.special starts at byte 30, not a multiple of 4)
    data = b""
    infos = {}
    for name, dt, shape, raw, values, _ in entries:
        infos[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    metadata = {"format": "pt", "creator": "gen_safetensors_fixture.py", "note": "naïve ✓ \"quoted\""}
    # header key order: reverse of data order, metadata in the middle
    header = {}
    names = [e[0] for e in entries][::-1]
    for i, name in enumerate(names):
        if i == 3:
            header["__metadata__"] = metadata
        header[name] = infos[name]
    write_file(os.path.join(OUT, "mixed.safetensors"), header, data)

    expected = {
        "metadata": metadata,
        "tensors": {
            name: {"dtype": load, "source_dtype": dt, "shape": shape, "data": [enc(v) for v in values]}
            for name, dt, shape, _, values, load in entries
        },
    }
    with open(os.path.join(OUT, "mixed.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)


def canonical():
    # name -> (dtype, shape, values); values are exact in their dtype
    tensors = {
        "b": ("F32", [2], [1.5, -2.0]),
        "a": ("F32", [3, 1], [0.25, 8.0, -0.5]),
        "z": ("F64", [1, 2], [0.1, math.e]),
        "m.0": ("F64", [], [-3.0]),
        "10": ("F32", [0], []),
        "wte.weight": ("F32", [2, 2], [1.0, 2.0, 3.0, 4.0]),
    }
    size = {"F32": 4, "F64": 8}
    fmt = {"F32": "f", "F64": "d"}
    # the reference `prepare`: sort by dtype descending (F64 > F32), then by name
    order = sorted(tensors, key=lambda n: (-size[tensors[n][0]], n))
    metadata = {"format": "pt"}
    header = {"__metadata__": metadata}
    data = b""
    for name in order:
        dt, shape, values = tensors[name]
        raw = struct.pack("<%d%s" % (len(values), fmt[dt]), *values)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    write_file(os.path.join(OUT, "canonical.safetensors"), header, data)
    spec = {
        "metadata": metadata,
        "tensors": {
            n: {"dtype": "float64" if dt == "F64" else "float32", "shape": shape, "data": values}
            for n, (dt, shape, values) in tensors.items()
        },
    }
    with open(os.path.join(OUT, "canonical.json"), "w") as f:
        json.dump(spec, f, indent=1)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    mixed()
    canonical()
    print("wrote mixed.safetensors, mixed.expected.json, canonical.safetensors, canonical.json")
