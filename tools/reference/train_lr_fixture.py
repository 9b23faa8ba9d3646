"""Writes learning-rate curves from PyTorch's schedulers for @dit/train (dev-only).

Each curve is the LR an optimizer holds at the start of every epoch (or step) when the
scheduler is stepped once per epoch (or step), as the original's training scripts did.

Output: packages/train/fixtures/lr.json
Run: /opt/refvenv/bin/python tools/reference/train_lr_fixture.py
"""
import json
import pathlib

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "train" / "fixtures"
out.mkdir(parents=True, exist_ok=True)


def curve(make, base_lr, length):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=base_lr)
    sched = make(opt)
    values = []
    for _ in range(length):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return values


curves = []
# SPEC section 6 phase 1 as a 601-epoch cosine (epochs 0-600).
curves.append({"name": "cosine-601", "kind": "cosine", "lrStart": 1e-4, "lrEnd": 5e-5, "tMax": 601,
               "values": curve(lambda o: CosineAnnealingLR(o, T_max=601, eta_min=5e-5), 1e-4, 601)})
# What the original actually ran for its first 301 epochs (T_max 300, epochs 0-300).
curves.append({"name": "cosine-300-of-301", "kind": "cosine", "lrStart": 2e-4, "lrEnd": 1e-5, "tMax": 300,
               "values": curve(lambda o: CosineAnnealingLR(o, T_max=300, eta_min=1e-5), 2e-4, 301)})
# Linear warmup over 5 units (factor (k+1)/5) then cosine over the remaining 45.
W, N = 5, 50
curves.append({
    "name": "warmup-5-cosine-50", "kind": "warmup-cosine", "lrStart": 1e-3, "lrEnd": 1e-4, "warmup": W, "length": N,
    "values": curve(lambda o: SequentialLR(o, [LinearLR(o, start_factor=1 / W, end_factor=1.0, total_iters=W - 1),
                                               CosineAnnealingLR(o, T_max=N - W, eta_min=1e-4)], milestones=[W]), 1e-3, N),
})
(out / "lr.json").write_text(json.dumps({"torch": torch.__version__, "curves": curves}, indent=1))
print("wrote", out / "lr.json")
