"""Writes the AutoencoderKL parity fixtures with the real diffusers (dev-only; CI never runs it).

Outputs under packages/encoders/fixtures/vae/:
  tiny/           config.json + diffusion_pytorch_model.safetensors: 3 blocks [8, 12, 16], mid attention,
                  2 resnets a block, 4 groups, quant convs, sample_size 16 (so tiling has several tiles)
  tiny-legacy/    the same weights rounded to fp16, attention renamed query/key/value/proj_attn and stored
                  as 1x1 convs, saved only as diffusion_pytorch_model.fp16.safetensors
  flat/           2 blocks [8, 16], 1 resnet a block, 2 latent channels, no quant convs, no mid attention,
                  shift_factor set (Flux-like conventions)
  *.io.safetensors  inputs and diffusers outputs in float32:
                  image, mean, logvar (clamped, as DiagonalGaussianDistribution holds it), z, decoded,
                  and for tiny: tiled_z, tiled_decoded (enable_tiling with the config's sample_size)
Run: /opt/refvenv/bin/python tools/reference/vae_fixtures.py
"""
import json
import pathlib

import torch
from diffusers import AutoencoderKL
from safetensors.torch import save_file

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "encoders" / "fixtures" / "vae"
torch.manual_seed(0)


def randomize(model: AutoencoderKL) -> None:
    """Default init leaves GroupNorm at gamma 1 / beta 0 and biases small: perturb everything so a
    swapped or ignored parameter changes the outputs."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:
                base = 1.0 if "norm" in name and name.endswith("weight") else 0.0
                p.copy_(base + 0.2 * torch.randn_like(p))
            else:
                p.mul_(1.0 + 0.1 * torch.randn_like(p))


def save_model(model: AutoencoderKL, name: str) -> pathlib.Path:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    config = {k: v for k, v in dict(model.config).items() if not k.startswith("_")}
    config = {"_class_name": "AutoencoderKL", "_diffusers_version": "0.42.0", **config}
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(folder / "diffusion_pytorch_model.safetensors"))
    return folder


@torch.no_grad()
def reference(model: AutoencoderKL, image: torch.Tensor, z: torch.Tensor) -> dict:
    posterior = model.encode(image).latent_dist
    return {
        "image": image,
        "mean": posterior.mean,
        "logvar": posterior.logvar,
        "z": z,
        "decoded": model.decode(z).sample,
    }


def io_file(name: str, tensors: dict) -> None:
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, str(out / f"{name}.io.safetensors"))


# --- tiny: the SDXL structure scaled down -----------------------------------------------------------
tiny = AutoencoderKL(
    in_channels=3,
    out_channels=3,
    down_block_types=["DownEncoderBlock2D"] * 3,
    up_block_types=["UpDecoderBlock2D"] * 3,
    block_out_channels=[8, 12, 16],
    layers_per_block=2,
    latent_channels=4,
    norm_num_groups=4,
    sample_size=16,
    scaling_factor=0.13025,
).eval()
randomize(tiny)
save_model(tiny, "tiny")
image = torch.rand(2, 3, 20, 28) * 2 - 1  # latent 5 x 7: odd both ways
z = torch.randn(2, 4, 5, 7)
io = reference(tiny, image, z)
tiled_z = torch.randn(1, 4, 9, 8)
tiny.enable_tiling()
with torch.no_grad():
    io["tiled_z"] = tiled_z
    io["tiled_decoded"] = tiny.decode(tiled_z).sample
tiny.disable_tiling()
io_file("tiny", io)

# --- tiny-legacy: old attention names, 1x1-conv shapes, fp16 variant file only -----------------------
rounded = {k: v.half().float() for k, v in tiny.state_dict().items()}
tiny.load_state_dict(rounded)
legacy_names = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}
legacy = {}
for key, value in rounded.items():
    for new, old in legacy_names.items():
        marker = f".attentions.0.{new}."
        if marker in key:
            key = key.replace(marker, f".attentions.0.{old}.")
            if value.ndim == 2:
                value = value[:, :, None, None]
    legacy[key] = value.half().contiguous()
legacy_dir = out / "tiny-legacy"
legacy_dir.mkdir(parents=True, exist_ok=True)
(legacy_dir / "config.json").write_text((out / "tiny" / "config.json").read_text())
save_file(legacy, str(legacy_dir / "diffusion_pytorch_model.fp16.safetensors"))
io_file("tiny-legacy", reference(tiny, image, z))

# --- flat: no quant convs, no mid attention, shift factor ------------------------------------------
flat = AutoencoderKL(
    down_block_types=["DownEncoderBlock2D"] * 2,
    up_block_types=["UpDecoderBlock2D"] * 2,
    block_out_channels=[8, 16],
    layers_per_block=1,
    latent_channels=2,
    norm_num_groups=4,
    sample_size=32,
    scaling_factor=0.3611,
    shift_factor=0.1159,
    use_quant_conv=False,
    use_post_quant_conv=False,
    mid_block_add_attention=False,
).eval()
randomize(flat)
save_model(flat, "flat")
io_file("flat", reference(flat, torch.rand(1, 3, 10, 14) * 2 - 1, torch.randn(1, 2, 5, 7)))
print("wrote", sorted(p.name for p in out.iterdir()))
