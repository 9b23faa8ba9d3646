"""State dicts of one small SingleStreamDiTV2 as PyTorch's wrappers name them (dev-only; CI never runs it).

torch.compile prefixes every key with `_orig_mod.`, DataParallel / DistributedDataParallel with
`module.`, and torch.optim.swa_utils.AveragedModel (the original's EMA) with `module.` plus an
`n_averaged` count; wrappers nest. Each state dict is saved as safetensors (F16, to keep them
small) by the real torch modules, under packages/model/fixtures/wrapped/:
  config.json                 the small config (snake_case, as the model's config.json)
  plain.safetensors           model.state_dict()
  <wrapping>.safetensors      the same weights through each wrapper below
The TypeScript loader must read every one into the same weights (weights.test.ts).
Run: /work/venv/bin/python tools/reference/state_dict_wrappers_fixture.py
"""
import json
import pathlib
import sys

import torch
from safetensors.torch import save_file
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

root = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root / "tools" / "reference"))
from model_reference import SingleStreamDiTV2  # noqa: E402

out = root / "packages" / "model" / "fixtures" / "wrapped"
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)

config = dict(in_channels=4, patch_size=2, hidden_size=16, depth=1, num_heads=2, text_embed_dim=8, text_length=4)
model = SingleStreamDiTV2(**config).half()
with torch.no_grad():
    for p in model.parameters():  # zero-initialised layers too: every tensor distinguishable
        p.copy_(torch.randn_like(p) * 0.1)


def ema_of(module):
    ema = AveragedModel(module, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    ema.update_parameters(module)  # n_averaged becomes 1 (the first update copies the weights)
    return ema


wrappings = {
    "plain": model,
    "compiled": torch.compile(model),  # _orig_mod.
    "data-parallel": torch.nn.DataParallel(model),  # module.
    "averaged": ema_of(model),  # module. + n_averaged
    "averaged-compiled": ema_of(torch.compile(model)),  # module._orig_mod. + n_averaged
    "compiled-data-parallel": torch.compile(torch.nn.DataParallel(model)),  # _orig_mod.module.
    "data-parallel-compiled": torch.nn.DataParallel(torch.compile(model)),  # module._orig_mod.
}
for name, wrapped in wrappings.items():
    state = {k: v.contiguous() for k, v in wrapped.state_dict().items()}
    save_file(state, str(out / f"{name}.safetensors"), metadata={"format": "pt"})
    print(f"{name:24s} {sorted(state)[:2]} ... {len(state)} keys")

(out / "config.json").write_text(json.dumps({"_class_name": "SingleStreamDiTV2", **config}, indent=1) + "\n")
print("wrote", out)
