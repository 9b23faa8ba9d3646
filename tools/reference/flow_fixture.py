"""Reference values for @dit/flow's path functions and losses, computed with PyTorch (dev-only).

Output: packages/flow/fixtures/flow-reference.safetensors. Inputs are drawn in float32 and the
outputs computed in float64 from those same float32 values, then stored as float32.
Orientation as SPEC section 3: t = 0 noise x0, t = 1 data x1.
Run: /opt/refvenv/bin/python tools/reference/flow_fixture.py
"""
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "flow" / "fixtures"
out.mkdir(parents=True, exist_ok=True)

g = torch.Generator().manual_seed(4)
shape = (3, 2, 4, 4)
inputs = {
    "x0": torch.randn(shape, generator=g),
    "x1": torch.randn(shape, generator=g) * 0.8 + 0.3,
    "t": torch.tensor([0.05, 0.37, 0.93]),
    "velocity": torch.randn(shape, generator=g) * 1.5,
    "weight": torch.tensor([0.5, 1.0, 2.5]),
}
inputs = {k: v.float() for k, v in inputs.items()}
x0, x1, t, v, w = (inputs[k].double() for k in ("x0", "x1", "t", "velocity", "weight"))
tc = t.view(-1, 1, 1, 1)
wc = w.view(-1, 1, 1, 1)

xt = (1 - tc) * x0 + tc * x1
target = x1 - x0
results = {
    "xt": xt,
    "target": target,
    "clean": xt + (1 - tc) * v,
    "noise": xt - tc * v,
}
losses = {
    "mse": lambda r: F.mse_loss(v, target, reduction=r),
    "l1": lambda r: F.l1_loss(v, target, reduction=r),
    "huber": lambda r: F.huber_loss(v, target, reduction=r, delta=1.0),
    "huber_delta0.5": lambda r: F.huber_loss(v, target, reduction=r, delta=0.5),
}
for name, loss in losses.items():
    for reduction in ("mean", "sum", "none"):
        results[f"{name}.{reduction}"] = loss(reduction)
    elementwise = loss("none")
    results[f"{name}.per-sample"] = elementwise.mean(dim=(1, 2, 3))
    results[f"{name}.weighted.mean"] = (elementwise * wc).mean()
    results[f"{name}.weighted.sum"] = (elementwise * wc).sum()
    results[f"{name}.weighted.per-sample"] = (elementwise * wc).mean(dim=(1, 2, 3))

tensors = {f"input.{k}": v.contiguous() for k, v in inputs.items()}
tensors.update({f"expected.{k}": v.float().contiguous() for k, v in results.items()})
save_file(tensors, str(out / "flow-reference.safetensors"), metadata={"generator": "tools/reference/flow_fixture.py", "torch": torch.__version__})
print("wrote", out / "flow-reference.safetensors", len(tensors), "tensors")
