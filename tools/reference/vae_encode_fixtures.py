"""AutoencoderKL encoding fixtures from the real diffusers (dev-only; CI never runs it).

Reads the committed tiny model (packages/encoders/fixtures/vae/tiny, sample_size 16, downsample 4)
and writes packages/encoders/fixtures/vae/tiny-encode.io.safetensors:
  image            [1, 3, 40, 28] in [-1, 1]: 4 x 3 tiles of 16 px at a 12 px stride, ragged at both ends
  mean, logvar     its untiled posterior
  tiled_mean, tiled_logvar   the posterior with enable_tiling() (AutoencoderKL._tiled_encode)
  noise            torch.randn(posterior shape, generator=torch.Generator().manual_seed(3))
  sample           posterior.sample(generator=torch.Generator().manual_seed(3)): mean + std * noise
  latents_mean, latents_std  [1, 4, 1, 1] values for a config that sets them (SDXL-style)
  pipeline_latents (sample - latents_mean) * scaling_factor / latents_std, as the SDXL img2img
                   pipeline's prepare_latents scales an encoded image
  scaled           [1, 4, 6, 5] latents in the pipeline's space, and
  pipeline_decoded vae.decode(scaled * latents_std / scaling_factor + latents_mean), as the SDXL
                   pipelines unscale before decoding
Run: /work/venv/bin/python tools/reference/vae_encode_fixtures.py
"""
import pathlib

import diffusers
import torch
from diffusers import AutoencoderKL
from safetensors.torch import save_file

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "encoders" / "fixtures" / "vae"
vae = AutoencoderKL.from_pretrained(out / "tiny").eval()
sf = vae.config.scaling_factor
torch.manual_seed(5)
image = torch.rand(1, 3, 40, 28) * 2 - 1
latents_mean = torch.tensor([0.11, -0.42, 0.27, 0.05]).view(1, 4, 1, 1)
latents_std = torch.tensor([1.3, 0.8, 2.1, 0.6]).view(1, 4, 1, 1)
with torch.no_grad():
    posterior = vae.encode(image).latent_dist
    noise = torch.randn(posterior.mean.shape, generator=torch.Generator().manual_seed(3))
    sample = posterior.sample(generator=torch.Generator().manual_seed(3))
    assert torch.allclose(sample, posterior.mean + posterior.std * noise), "diffusers draws its noise differently"
    vae.enable_tiling()
    tiled = vae.encode(image).latent_dist
    vae.disable_tiling()
    scaled = torch.randn(1, 4, 6, 5)
    decoded = vae.decode(scaled * latents_std / sf + latents_mean).sample
io = {
    "image": image,
    "mean": posterior.mean,
    "logvar": posterior.logvar,
    "tiled_mean": tiled.mean,
    "tiled_logvar": tiled.logvar,
    "noise": noise,
    "sample": sample,
    "latents_mean": latents_mean,
    "latents_std": latents_std,
    "pipeline_latents": (sample - latents_mean) * sf / latents_std,
    "scaled": scaled,
    "pipeline_decoded": decoded,
}
save_file({k: v.float().contiguous() for k, v in io.items()}, str(out / "tiny-encode.io.safetensors"), metadata={"diffusers": diffusers.__version__})
print(f"diffusers {diffusers.__version__}: tiled vs untiled mean max diff {float((tiled.mean - posterior.mean).abs().max()):.3e}")
print("wrote", out / "tiny-encode.io.safetensors")
