"""Writes the optimiser, clipping and EMA parity fixture for @dit/train (dev-only).

One small training loop in PyTorch on two parameters (a [4, 6] weight and a [6] bias) with
given gradients: clip_grad_norm_(max_norm=1.0), AdamW(lr varying per step, weight_decay 0.1,
amsgrad False) and an AveragedModel with get_ema_multi_avg_fn(0.9) updated after each step.
Everything the TypeScript side must reproduce is saved per step.

Output: packages/train/fixtures/optim.safetensors (metadata holds the per-step LRs and norms).
Run: /opt/refvenv/bin/python tools/reference/train_optim_fixture.py
"""
import json
import pathlib

import torch
from safetensors.torch import save_file
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "train" / "fixtures"
out.mkdir(parents=True, exist_ok=True)

STEPS = 6
LRS = [1e-2, 8e-3, 6e-3, 1e-2, 2e-3, 5e-3]
# Gradient scales chosen so some steps clip (norm > 1) and some do not.
GRAD_SCALES = [0.5, 0.05, 0.1, 1.0, 0.08, 0.3]
WEIGHT_DECAY = 0.1
EMA_DECAY = 0.9

g = torch.Generator().manual_seed(7)
model = torch.nn.Module()
model.weight = torch.nn.Parameter(torch.randn(4, 6, generator=g))
model.bias = torch.nn.Parameter(torch.randn(6, generator=g) * 0.1)
tensors = {"init.weight": model.weight.detach().clone(), "init.bias": model.bias.detach().clone()}

ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(EMA_DECAY))
opt = torch.optim.AdamW(model.parameters(), lr=LRS[0], betas=(0.9, 0.999), eps=1e-8, weight_decay=WEIGHT_DECAY, amsgrad=False)

norms = []
for k in range(STEPS):
    gw = torch.randn(4, 6, generator=g) * GRAD_SCALES[k]
    gb = torch.randn(6, generator=g) * GRAD_SCALES[k]
    tensors[f"grad.{k}.weight"] = gw.clone()
    tensors[f"grad.{k}.bias"] = gb.clone()
    model.weight.grad = gw.clone()
    model.bias.grad = gb.clone()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    norms.append(float(norm))
    tensors[f"clipped.{k}.weight"] = model.weight.grad.detach().clone()
    tensors[f"clipped.{k}.bias"] = model.bias.grad.detach().clone()
    for group in opt.param_groups:
        group["lr"] = LRS[k]
    opt.step()
    ema.update_parameters(model)
    tensors[f"param.{k}.weight"] = model.weight.detach().clone()
    tensors[f"param.{k}.bias"] = model.bias.detach().clone()
    tensors[f"ema.{k}.weight"] = ema.module.weight.detach().clone()
    tensors[f"ema.{k}.bias"] = ema.module.bias.detach().clone()

state = opt.state[model.weight]
tensors["exp_avg.weight"] = state["exp_avg"].clone()
tensors["exp_avg_sq.weight"] = state["exp_avg_sq"].clone()

metadata = {
    "lrs": json.dumps(LRS),
    "norms": json.dumps(norms),
    "weight_decay": str(WEIGHT_DECAY),
    "ema_decay": str(EMA_DECAY),
    "steps": str(STEPS),
    "torch": torch.__version__,
}
save_file({k: v.contiguous().float() for k, v in tensors.items()}, str(out / "optim.safetensors"), metadata=metadata)
print("wrote", out / "optim.safetensors", "norms", norms)
