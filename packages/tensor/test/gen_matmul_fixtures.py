"""Golden values for matmul (src/matmul.test.ts), from numpy.matmul.

Run with Debian's python3 (numpy 1.24), from packages/tensor:
    /usr/bin/python3 test/gen_matmul_fixtures.py
Writes test/fixtures/matmul.json:
    { "cases": [ { name, dtype, a, b, transpose_a, transpose_b, expected } ] }
a, b and expected are { dtype, shape, data } with data flat row-major.

transpose_a / transpose_b: the stored array is the contiguous transpose of the operand, and the
operand is stored.swapaxes(-1, -2); the test rebuilds it the same way with .transpose(), so the
kernel reads a strided view (a column-major matrix) exactly as for x @ W.T.

expected is always float64: numpy.matmul of the operands converted to float64 (float32 -> float64
is exact), i.e. the exact products summed in float64. A float32 result is compared against it
with a float32 tolerance.
"""

import json
import os

import numpy as np

rng = np.random.default_rng(20240611)


def enc(x):
    x = np.asarray(x)
    return {
        "dtype": str(x.dtype),
        "shape": list(x.shape),
        "data": [float(v) for v in x.reshape(-1)],
    }


cases = []


def add(name, a_shape, b_shape, dtype="float64", transpose_a=False, transpose_b=False):
    """a_shape, b_shape: the operands' shapes (before any stored transpose)."""
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    # store the contiguous transpose; the operand is its swapaxes(-1, -2) view
    a_stored = np.ascontiguousarray(a.swapaxes(-1, -2)) if transpose_a else a
    b_stored = np.ascontiguousarray(b.swapaxes(-1, -2)) if transpose_b else b
    a_op = a_stored.swapaxes(-1, -2) if transpose_a else a_stored
    b_op = b_stored.swapaxes(-1, -2) if transpose_b else b_stored
    expected = np.matmul(a_op.astype(np.float64), b_op.astype(np.float64))
    cases.append(
        {
            "name": name,
            "dtype": dtype,
            "a": enc(a_stored),
            "b": enc(b_stored),
            "transpose_a": transpose_a,
            "transpose_b": transpose_b,
            "expected": enc(np.asarray(expected, dtype=np.float64)),
        }
    )


# plain 2-D, including shapes that are not multiples of the 4 x 3 micro-tile
add("2d", [3, 4], [4, 5])
add("2d 1x1", [1, 1], [1, 1])
add("2d odd tiles", [13, 17], [17, 11])
add("2d crosses MC=64", [67, 20], [20, 40])
add("2d thin M=2", [2, 30], [30, 7])
add("2d thin N=1", [9, 6], [6, 1])
# 1-D operands (numpy promotion, the added axis removed from the result)
add("1d @ 2d", [4], [4, 3])
add("2d @ 1d", [3, 4], [4])
add("1d @ 1d", [5], [5])
add("1d @ 3d", [4], [2, 4, 3])
add("3d @ 1d", [2, 3, 4], [4])
# batch broadcasting
add("batch [2,1,3,4] @ [5,4,2]", [2, 1, 3, 4], [5, 4, 2])
add("batch shared b", [2, 3, 4], [4, 5])
add("batch shared a", [4, 5], [2, 5, 3])
add("batch [1,3,4] @ [6,4,2]", [1, 3, 4], [6, 4, 2])
add("batch [3,1,2,5] @ [1,4,5,3]", [3, 1, 2, 5], [1, 4, 5, 3])
# size-0 dims
add("M=0", [0, 4], [4, 3])
add("K=0 gives zeros", [3, 0], [0, 4])
add("N=0", [3, 4], [4, 0])
add("batch 0", [2, 0, 3, 4], [4, 5])
add("1d K=0", [0], [0])
# transposed operands (strided views)
add("a transposed", [3, 5], [5, 4], transpose_a=True)
add("b transposed", [6, 5], [5, 7], transpose_b=True)
add("both transposed", [7, 9], [9, 5], transpose_a=True, transpose_b=True)
add("batched b transposed", [2, 3, 6, 4], [3, 4, 5], transpose_b=True)
add("x @ W.T shared", [2, 5, 8], [8, 6], transpose_b=True)
# float32
add("f32 2d", [5, 7], [7, 6], dtype="float32")
add("f32 crosses KC=256", [5, 300], [300, 4], dtype="float32")
add("f32 batch", [2, 1, 3, 4], [5, 4, 2], dtype="float32")
add("f32 b transposed", [10, 12], [12, 9], dtype="float32", transpose_b=True)
add("f32 1d @ 2d", [6], [6, 4], dtype="float32")

# random shapes: batch dims of rank 0..2 with random size-1 (broadcast) entries, random 1-D-ness,
# random transposes and dtypes
for i in range(12):
    M, K, N = (int(v) for v in rng.integers(1, 9, size=3))
    nb = int(rng.integers(0, 3))
    batch = [int(v) for v in rng.integers(1, 4, size=nb)]
    a_batch = [d if rng.random() < 0.6 else 1 for d in batch][int(rng.integers(0, nb + 1)) :]
    b_batch = [d if rng.random() < 0.6 else 1 for d in batch][int(rng.integers(0, nb + 1)) :]
    a_1d = rng.random() < 0.15
    b_1d = rng.random() < 0.15
    a_shape = [K] if a_1d else a_batch + [M, K]
    b_shape = [K] if b_1d else b_batch + [K, N]
    add(
        f"random {i}",
        a_shape,
        b_shape,
        dtype="float32" if rng.random() < 0.4 else "float64",
        transpose_a=(not a_1d) and bool(rng.random() < 0.5),
        transpose_b=(not b_1d) and bool(rng.random() < 0.5),
    )

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "matmul.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"generator": "test/gen_matmul_fixtures.py", "numpy": np.__version__, "cases": cases}, f)
    f.write("\n")
print(f"wrote {len(cases)} cases to {out} ({os.path.getsize(out)} bytes)")
