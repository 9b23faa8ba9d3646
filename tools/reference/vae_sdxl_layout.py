"""Writes the tensor names and shapes the SDXL-layout AutoencoderKL expects (dev-only).

Builds diffusers' AutoencoderKL from the EQ-SDXL-VAE config on the meta device (no weights, no
download) and writes packages/encoders/fixtures/vae/sdxl-layout.json: {config, tensors: [[name, shape]]}
in state_dict order. Run: /opt/refvenv/bin/python tools/reference/vae_sdxl_layout.py
"""
import json
import pathlib

import torch
from diffusers import AutoencoderKL

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "encoders" / "fixtures" / "vae"
out.mkdir(parents=True, exist_ok=True)

# The config.json of KBlueLeaf/EQ-SDXL-VAE (the SDXL VAE layout).
config = {
    "_class_name": "AutoencoderKL",
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
    "force_upcast": False,
}
with torch.device("meta"):
    model = AutoencoderKL(**{k: v for k, v in config.items() if not k.startswith("_")})
tensors = [[name, list(t.shape)] for name, t in model.state_dict().items()]
(out / "sdxl-layout.json").write_text(json.dumps({"config": config, "tensors": tensors}, indent=1) + "\n")
print(len(tensors), "tensors")
