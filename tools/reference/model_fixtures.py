"""Writes the @dit/model parity fixtures with the PyTorch reference (dev-only; CI never runs it).

Run: /opt/refvenv/bin/python tools/reference/model_fixtures.py
Outputs in packages/model/fixtures/:
  parity/config.json, parity/model.safetensors   small model, random non-zero weights everywhere
                                                 (adaLN and final layer included), F32
  parity-io.safetensors                          inputs, velocities and gradients of two cases
  half/config.json, half/model-{bf16,f16}.safetensors, half-io.safetensors
                                                 one-block model stored in BF16 / F16, and the
                                                 velocities of those rounded weights
  torch-state-dict.json                          state-dict names, shapes, parameter counts
"""
import json
import pathlib
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from model_reference import SingleStreamDiTV2, randomize  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "packages" / "model" / "fixtures"

PARITY_CONFIG = dict(in_channels=4, patch_size=2, hidden_size=32, depth=2, num_heads=2, text_embed_dim=24, text_length=7)
HALF_CONFIG = dict(PARITY_CONFIG, depth=1)
SEED_CONFIG = dict(in_channels=4, patch_size=2, hidden_size=1024, depth=12, num_heads=16, text_embed_dim=1152, text_length=256)
GRAD_NAMES = [
    "x_embedder.weight", "text_embedder.bias", "t_embedder.0.weight", "t_embedder.2.bias",
    "blocks.0.qkv.weight", "blocks.0.proj.bias", "blocks.0.adaLN_modulation.1.weight",
    "blocks.1.mlp.0.bias", "blocks.1.mlp.2.weight", "final_layer.weight", "final_layer.bias",
]


def write_config(folder, config):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"_class_name": "SingleStreamDiTV2", **config}, indent=2) + "\n")


def cases(generator, config):
    c, L, td = config["in_channels"], config["text_length"], config["text_embed_dim"]
    text_b = torch.randn(3, L, td, generator=generator)
    text_b[1] = 0  # an unconditional (CFG) row
    return {
        # batch 2, non-square 8x12 latents: 24 image tokens vs 7 text tokens
        "a": (torch.randn(2, c, 8, 12, generator=generator), torch.tensor([0.13, 0.87]), torch.randn(2, L, td, generator=generator)),
        # batch 3, the transposed bucket 12x8, t at both ends of [0, 1]
        "b": (torch.randn(3, c, 12, 8, generator=generator), torch.tensor([0.0, 0.5, 1.0]), text_b),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(20240601)

    model = SingleStreamDiTV2(**PARITY_CONFIG)
    randomize(model, generator)
    write_config(OUT / "parity", PARITY_CONFIG)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(OUT / "parity" / "model.safetensors"), metadata={"format": "pt"})

    io = {}
    for key, (x, t, text) in cases(generator, PARITY_CONFIG).items():
        x = x.clone().requires_grad_(key == "a")
        v = model(x, t, text)
        io.update({f"{key}.x": x.detach(), f"{key}.t": t, f"{key}.text": text, f"{key}.v": v.detach()})
        if key == "a":
            # loss = sum(v * weights): its gradients check the backward pass end to end.
            weights = torch.randn(v.shape, generator=generator)
            model.zero_grad()
            (v * weights).sum().backward()
            io["a.loss_weights"] = weights
            io["a.grad.x"] = x.grad
            params = dict(model.named_parameters())
            for name in GRAD_NAMES:
                io[f"a.grad.{name}"] = params[name].grad
    save_file({k: v.contiguous().float() for k, v in io.items()}, str(OUT / "parity-io.safetensors"))

    half_model = SingleStreamDiTV2(**HALF_CONFIG)
    randomize(half_model, generator)
    write_config(OUT / "half", HALF_CONFIG)
    x, t, text = cases(generator, HALF_CONFIG)["a"]
    half_io = {"x": x, "t": t, "text": text}
    for dtype, tag in ((torch.bfloat16, "bf16"), (torch.float16, "f16")):
        state = {k: v.to(dtype).contiguous() for k, v in half_model.state_dict().items()}
        save_file(state, str(OUT / "half" / f"model-{tag}.safetensors"), metadata={"format": "pt"})
        rounded = SingleStreamDiTV2(**HALF_CONFIG)
        rounded.load_state_dict({k: v.float() for k, v in state.items()})
        with torch.no_grad():
            half_io[f"v.{tag}"] = rounded(x, t, text)
    save_file({k: v.contiguous().float() for k, v in half_io.items()}, str(OUT / "half-io.safetensors"))

    listing = {}
    for label, config in (("seed", SEED_CONFIG), ("parity", PARITY_CONFIG)):
        reference = SingleStreamDiTV2(**config)
        listing[label] = {
            "config": config,
            "parameter_count": sum(p.numel() for p in reference.parameters()),
            "state_dict": [[k, list(v.shape)] for k, v in reference.state_dict().items()],
        }
        del reference
    (OUT / "torch-state-dict.json").write_text(json.dumps(listing, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
