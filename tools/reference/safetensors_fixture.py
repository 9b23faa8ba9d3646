"""Writes a small safetensors file with the Python reference library (dev-only).

Output: packages/core/fixtures/python-dtypes.safetensors and a JSON of the float64 values
each tensor holds after the dtype's rounding, which the TypeScript reader must reproduce.
Run: /path/to/venv/bin/python tools/reference/safetensors_fixture.py
"""
import json
import pathlib

import torch
from safetensors.torch import save_file

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "packages" / "core" / "fixtures"
out.mkdir(parents=True, exist_ok=True)

g = torch.Generator().manual_seed(0)
base = torch.randn(3, 5, generator=g) * 3
special = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 1e-6, 3.14159, -7.0])
tensors = {
    "weights.f32": base.float(),
    "weights.f16": base.half(),
    "weights.bf16": base.bfloat16(),
    "special.f16": special.half(),
    "special.bf16": special.bfloat16(),
    "ids.i64": torch.tensor([[1, 2, 262143], [0, -5, 7]], dtype=torch.int64),
    "mask.bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(1.5),
}
save_file(tensors, str(out / "python-dtypes.safetensors"), metadata={"format": "pt", "note": "dit fixture"})
expected = {k: {"shape": list(v.shape), "values": v.double().flatten().tolist()} for k, v in tensors.items()}
(out / "python-dtypes.json").write_text(json.dumps(expected, indent=1))
print("wrote", out)
