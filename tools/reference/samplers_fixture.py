"""Reference sampling runs for @dit/samplers, computed with PyTorch (dev-only).

A tiny fixed-weight velocity field with text conditioning stands in for the network, so both
sides compute the same v(x, t, text). The loops follow the original's sampling (SPEC section 3):
t_i = shift(i / N), CFG batched as [uncond; cond] with v = v_u + w (v_c - v_u), uncond = zeros;
Euler x += h v; RK4 with k2, k3 at t + h/2 and k4 at t + h (the issue's definition; the
original's rk4_step passes t + h/2 for k4). Step sizes are h_i = t_{i+1} - t_i.
Weights and inputs are float32; the runs are float64 from those values, stored as float32.

Output: packages/samplers/fixtures/samplers-reference.safetensors
Run: /opt/refvenv/bin/python tools/reference/samplers_fixture.py
"""
import pathlib

import torch
from safetensors.torch import save_file

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "samplers" / "fixtures"
out.mkdir(parents=True, exist_ok=True)

g = torch.Generator().manual_seed(44)
batch, channels, height, width = 2, 2, 3, 3
tokens, text_dim, hidden = 4, 6, 16
features = channels * height * width
weights = {
    "w_in": torch.randn(features, hidden, generator=g) * 0.3,
    "w_text": torch.randn(text_dim, hidden, generator=g) * 0.5,
    "w_time": torch.randn(hidden, generator=g),
    "b_in": torch.randn(hidden, generator=g) * 0.1,
    "w_out": torch.randn(hidden, features, generator=g) * 0.4,
    "b_out": torch.randn(features, generator=g) * 0.1,
}
inputs = {
    "noise": torch.randn(batch, channels, height, width, generator=g),
    "cond": torch.randn(batch, tokens, text_dim, generator=g),
    "negative": torch.randn(batch, tokens, text_dim, generator=g) * 0.5,
}
weights = {k: v.float() for k, v in weights.items()}
inputs = {k: v.float() for k, v in inputs.items()}
W = {k: v.double() for k, v in weights.items()}


def velocity(x, t, text):
    """v = tanh(x W_in + mean_L(text) W_text + t w_time + b_in) W_out + b_out - x/2."""
    flat = x.reshape(x.shape[0], -1)
    pooled = text.mean(dim=1)
    h = torch.tanh(flat @ W["w_in"] + pooled @ W["w_text"] + t[:, None] * W["w_time"] + W["b_in"])
    return (h @ W["w_out"] + W["b_out"] - 0.5 * flat).reshape(x.shape)


def guided(x, t, cond, uncond, scale):
    t_batch = torch.full((x.shape[0],), t, dtype=x.dtype)
    v_out = velocity(torch.cat([x, x]), torch.cat([t_batch, t_batch]), torch.cat([uncond, cond]))
    v_uncond, v_cond = v_out.chunk(2)
    return v_uncond + scale * (v_cond - v_uncond)


def grid(steps, shift):
    return [i / steps if i in (0, steps) else (i / steps) / (i / steps + shift * (1 - i / steps)) for i in range(steps + 1)]


def run(sampler, steps, scale, shift=1.0, uncond=None):
    x = inputs["noise"].double()
    cond = inputs["cond"].double()
    uncond = torch.zeros_like(cond) if uncond is None else uncond.double()
    ts = grid(steps, shift)
    for t, t_next in zip(ts[:-1], ts[1:]):
        h = t_next - t
        v = lambda y, s: guided(y, s, cond, uncond, scale)
        if sampler == "euler":
            x = x + h * v(x, t)
        else:
            k1 = v(x, t)
            k2 = v(x + 0.5 * h * k1, t + 0.5 * h)
            k3 = v(x + 0.5 * h * k2, t + 0.5 * h)
            k4 = v(x + h * k3, t + h)
            x = x + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


t_probe = torch.tensor([0.0, 0.6], dtype=torch.float64)
results = {
    "velocity_probe": velocity(inputs["noise"].double(), t_probe, inputs["cond"].double()),
    "euler_30_cfg3": run("euler", 30, 3.0),
    "rk4_50_cfg1.5": run("rk4", 50, 1.5),
    "rk4_20_cfg4_shift3_negative": run("rk4", 20, 4.0, shift=3.0, uncond=inputs["negative"]),
}
tensors = {f"weight.{k}": v.contiguous() for k, v in weights.items()}
tensors.update({f"input.{k}": v.contiguous() for k, v in inputs.items()})
tensors.update({f"expected.{k}": v.float().contiguous() for k, v in results.items()})
save_file(tensors, str(out / "samplers-reference.safetensors"), metadata={"generator": "tools/reference/samplers_fixture.py", "torch": torch.__version__})
for k, v in results.items():
    print(k, "max |x|", float(v.abs().max()))
print("wrote", out / "samplers-reference.safetensors", len(tensors), "tensors")
