"""The random draws of one training batch: mirror flips, text dropout, training times, noise.

Two sources, chosen with `--rng`:
- "dit": @dit's own streams (noise, timesteps, text-dropout) restored from state.json and
  advanced draw for draw as packages/train/src/train-step.ts does; state.json then gets the
  advanced streams, so @dit continues exactly where an all-@dit run would be. Pure Python:
  about 1 s per million noise values, fine for small latents, slow for 512 px batches.
- "torch": one torch.Generator per batch, seeded from (seed, epoch, batch), on the CPU: fast, and
  the same numbers whatever the number of processes; @dit's streams are handed back untouched.
Mirror flips always follow @dit: they depend only on (seed, epoch, batch).
"""
import math
from dataclasses import dataclass

import torch

from dit_random import DitRng

MODE_SCALE_DEFAULT = 1.29


@dataclass
class BatchDraws:
    flips: list
    dropped: list
    times: list
    noise: torch.Tensor


def shift_time(t, shift):
    """SPEC section 3: t' = t / (t + s (1 - t)); s = 1 leaves t as drawn."""
    return t if shift == 1 else t / (t + shift * (1 - t))


def noise_level(distribution, uniform, normal):
    """One noise level sigma = 1 - t from a uniform or normal draw (flow/src/timesteps.ts)."""
    kind = distribution.get("kind", "uniform")
    if kind == "uniform":
        return uniform()
    if kind == "logit-normal":
        return 1 / (1 + math.exp(-(distribution.get("mean", 0.0) + distribution.get("std", 1.0) * normal())))
    if kind == "mode":
        u, scale = uniform(), distribution.get("scale", MODE_SCALE_DEFAULT)
        return 1 - u - scale * (math.cos(math.pi * u / 2) ** 2 - 1 + u)
    if kind == "cosmap":
        return 1 - 1 / (math.tan(math.pi * uniform() / 2) + 1)
    raise ValueError(f"timesteps.kind {kind!r} is not one this script knows")


def load_flips(seed, epoch, position, size, flip):
    """packages/data/src/cached-dataset.ts: one draw from the batch's source, then a 'flip' stream."""
    source = DitRng(f"flip/{seed}/{epoch}/{position}")
    flip_rng = DitRng(source.next_uint32()).fork("flip")
    return [flip and flip_rng.next() < 0.5 for _ in range(size)]


class DitStreams:
    """@dit's three training streams, restored from and returned to state.json."""

    NAMES = ("noise", "timesteps", "textDropout")

    def __init__(self, states):
        missing = [name for name in self.NAMES if name not in states]
        if missing:
            raise ValueError(f"state.json rng lacks {', '.join(missing)}")
        self.rngs = {name: DitRng.from_state(states[name]) for name in self.NAMES}

    def states(self):
        return {name: rng.get_state() for name, rng in self.rngs.items()}

    def draw(self, phase, latent_shape, flips, epoch, position):
        size = len(flips)
        p = phase["textDropout"]
        dropped = [self.rngs["textDropout"].next() < p for _ in range(size)]
        timesteps = self.rngs["timesteps"]
        distribution = phase.get("timesteps") or {"kind": "uniform"}
        shift = phase.get("timestepShift", 1)
        times = [shift_time(1 - noise_level(distribution, timesteps.next, timesteps.normal), shift) for _ in range(size)]
        count = size * math.prod(latent_shape)
        noise = torch.tensor(self.rngs["noise"].normal_list(count), dtype=torch.float32).reshape(size, *latent_shape)
        return BatchDraws(flips, dropped, times, noise)


class TorchStreams:
    """A fresh CPU torch.Generator per batch, seeded from the run seed and the batch's place."""

    def __init__(self, seed, states):
        self.seed = seed
        self.untouched = states

    def states(self):
        return self.untouched

    def draw(self, phase, latent_shape, flips, epoch, position):
        size = len(flips)
        words = DitRng(f"pytorch-accelerate/{self.seed}/{epoch}/{position}")
        generator = torch.Generator().manual_seed((words.next_uint32() << 32) | words.next_uint32())
        dropped = (torch.rand(size, generator=generator, dtype=torch.float64) < phase["textDropout"]).tolist()
        distribution = phase.get("timesteps") or {"kind": "uniform"}
        shift = phase.get("timestepShift", 1)
        uniform = lambda: torch.rand((), generator=generator, dtype=torch.float64).item()  # noqa: E731
        normal = lambda: torch.randn((), generator=generator, dtype=torch.float64).item()  # noqa: E731
        times = [shift_time(1 - noise_level(distribution, uniform, normal), shift) for _ in range(size)]
        noise = torch.randn((size, *latent_shape), generator=generator, dtype=torch.float32)
        return BatchDraws(flips, dropped, times, noise)
