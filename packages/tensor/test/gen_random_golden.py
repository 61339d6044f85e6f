"""Golden values for the seeded generator (src/random.ts), from an independent implementation.

Writes test/fixtures/random-golden.json: for a few seeds, the first uint32 draws of splitmix32-seeded
xoshiro128** (Blackman & Vigna's reference algorithm, written here from the paper, not from the
TypeScript), the uniforms built from them, and Box-Muller normals computed with Python's math module
(glibc's log/cos/sin: within an ulp of fdlibm's, so the test compares normals with a tolerance; it
pins the exact fdlibm bits separately). Also log/exp/sin/cos of a few arguments (math module).
Run: python3 packages/tensor/test/gen_random_golden.py   (no third-party packages needed)
"""
import json
import math
import os
import struct

M32 = 0xFFFFFFFF


def splitmix32(seed):
    x = seed & M32
    while True:
        x = (x + 0x9E3779B9) & M32
        z = x
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        yield (z ^ (z >> 16)) & M32


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Xoshiro128ss:
    def __init__(self, seed):
        g = splitmix32(seed)
        self.s = [next(g) for _ in range(4)]
        if not any(self.s):
            self.s[0] = 1

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 11)
        return result

    def uniform(self):
        a = self.next() >> 5
        b = self.next() >> 6
        return (a * 67108864 + b) / 9007199254740992


def hexbits(x):
    return struct.pack('>d', x).hex()


def normals(seed, n):
    g = Xoshiro128ss(seed)
    out = []
    while len(out) < n:
        u1 = g.uniform()
        u2 = g.uniform()
        r = math.sqrt(-2 * math.log(1 - u1))
        theta = 2 * math.pi * u2
        out += [r * math.cos(theta), r * math.sin(theta)]
    return out[:n]


seeds = [0, 1, 42, 4294967295]
golden = {
    'uint32': {str(s): [Xoshiro128ss(s).next() for _ in range(1)] for s in seeds},
    'uniform': {},
    'normal': {str(s): normals(s, 16) for s in seeds},
}
for s in seeds:
    g = Xoshiro128ss(s)
    golden['uint32'][str(s)] = [g.next() for _ in range(12)]
    g = Xoshiro128ss(s)
    golden['uniform'][str(s)] = [hexbits(g.uniform()) for _ in range(8)]
args = [0.7, 0.1, 1e-300, 5e-324, 0.999999, 1.5, 1e10, 0.5000001, 0.4142135623730951]
angles = [0.1, math.pi / 4, 1, math.pi / 2, 2, 3 * math.pi / 4, 3, math.pi, 4, 3 * math.pi / 2, 5, 5.5, 6,
          2 * math.pi, -2.5, 100, 1e5]
golden['log'] = [[a, math.log(a)] for a in args]
golden['sin'] = [[a, math.sin(a)] for a in angles]
golden['cos'] = [[a, math.cos(a)] for a in angles]
exps = [1, -1, 0.3, 0.35, -0.7, 1.04, 2.5, -12.25, 50, 700, -700, -740, 1e-20]
golden['exp'] = [[a, math.exp(a)] for a in exps]
path = os.path.join(os.path.dirname(__file__), 'fixtures', 'random-golden.json')
with open(path, 'w') as f:
    json.dump(golden, f, indent=1)
    f.write('\n')
print('wrote', path)
