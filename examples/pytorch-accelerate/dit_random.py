"""@dit's random streams in Python, draw for draw.

@dit draws every random number of a training step from its own generator (`Rng` in
packages/core/src/rng.ts: xoshiro128** seeded through splitmix32, labels hashed with FNV-1a).
This module reproduces it bit for bit, so that this script trains the batches @dit would train,
in @dit's order, and, with `--rng dit`, with @dit's own noise, times and text dropout, leaving
the streams where @dit expects them when it resumes.
"""
import math

MASK32 = 0xFFFFFFFF


def _int32(value):
    """JavaScript's ToInt32: the bits of `value` read as a signed 32-bit integer."""
    value &= MASK32
    return value - (1 << 32) if value & 0x80000000 else value


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


def hash_label(text):
    """32-bit FNV-1a over UTF-16 code units, as the JavaScript `hashString`."""
    data = text.encode("utf-16-le")
    h = 0x811C9DC5
    for i in range(0, len(data), 2):
        h ^= int.from_bytes(data[i : i + 2], "little")
        h = (h * 0x01000193) & MASK32
    return h


def _splitmix32(seed):
    state = seed & MASK32

    def next_word():
        nonlocal state
        state = (state + 0x9E3779B9) & MASK32
        z = state
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK32
        return (z ^ (z >> 16)) & MASK32

    return next_word


class DitRng:
    """`Rng` of @dit/core: same seeds, same states, same numbers."""

    def __init__(self, seed=0):
        base = hash_label(seed) if isinstance(seed, str) else seed
        # JavaScript: splitmix32((base >>> 0) ^ Math.floor(base / 2 ** 32)), `^` on int32 values.
        mixed = _int32(base) ^ _int32(math.floor(base / 2**32))
        mix = _splitmix32(mixed)
        self.s = [mix(), mix(), mix(), mix()]
        if all(word == 0 for word in self.s):
            self.s[0] = 1
        self.spare_normal = None

    @classmethod
    def from_state(cls, state):
        rng = cls(0)
        rng.set_state(state)
        return rng

    def get_state(self):
        return {"s": list(self.s), "spareNormal": self.spare_normal}

    def set_state(self, state):
        words = state.get("s") if isinstance(state, dict) else None
        if not isinstance(words, list) or len(words) != 4 or not all(isinstance(w, int) for w in words):
            raise ValueError(f"invalid RngState: {state!r}")
        self.s = [w & MASK32 for w in words]
        self.spare_normal = state.get("spareNormal")

    def fork(self, label):
        return DitRng(_int32(hash_label(label) ^ self.s[0] ^ _rotl(self.s[2], 7)))

    def next_uint32(self):
        s = self.s
        result = (_rotl((s[1] * 5) & MASK32, 7) * 9) & MASK32
        t = (s[1] << 9) & MASK32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def next(self):
        """Uniform in [0, 1) with 53 random bits."""
        hi = self.next_uint32() >> 5
        lo = self.next_uint32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def int(self, n):
        return math.floor(self.next() * n)

    def normal(self, mean=0.0, std=1.0):
        """Box-Muller, both values used (the second is kept for the next call)."""
        if self.spare_normal is not None:
            z, self.spare_normal = self.spare_normal, None
            return mean + std * z
        u = 0.0
        while u == 0.0:
            u = self.next()
        v = self.next()
        r = math.sqrt(-2.0 * math.log(u))
        self.spare_normal = r * math.sin(2.0 * math.pi * v)
        return mean + std * r * math.cos(2.0 * math.pi * v)

    def normal_list(self, count):
        return [self.normal() for _ in range(count)]

    def shuffle(self, items):
        """Fisher-Yates in place, as `Rng.shuffle`."""
        for i in range(len(items) - 1, 0, -1):
            j = self.int(i + 1)
            items[i], items[j] = items[j], items[i]
        return items
