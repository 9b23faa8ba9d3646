"""Runs the Python snippets of docs/formats.md's "Checkpoints" section (dev-only; CI never runs it).

1. "From Python": loads a checkpoint written by @dit into tools/reference/model_reference.py, its
   EMA, and torch's AdamW state.
2. The original's model: loads the checkpoint's EMA into the original project's model.py (give its
   folder with --original, e.g. a checkout of Particle1904/SingleStreamDiT_T5Gemma2 at 02f539d).
3. The torch.save conversion: must be the lines @dit prints (TORCH_TO_SAFETENSORS_PYTHON in
   packages/core/src/safetensors/foreign-formats.ts); converts the original's two kinds of .pt files
   (full_state_*.pt with model/ema/optimizer dicts, ema_weights_*.pt with the state dict alone) and
   checks the results load strictly.
Run: /work/venv/bin/python tools/reference/formats_doc_check.py <checkpoint folder> --original <folder of model.py>
(a checkpoint with patch_size 2 and text_length 256, e.g. from `dit train` on a cache of 256 tokens).
"""
import argparse
import os
import pathlib
import re
import sys
import tempfile

import torch

root = pathlib.Path(__file__).resolve().parents[2]
parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("--original", help="folder holding the original project's model.py")
args = parser.parse_args()

docs = (root / "docs" / "formats.md").read_text()
section = docs[docs.index("## Checkpoints") : docs.index("## Logs")]
blocks = re.findall(r"```python\n(.*?)```", section, re.S)
assert len(blocks) == 3, f"expected 3 python blocks in the Checkpoints section, found {len(blocks)}"
from_python, original_block, conversion = blocks

os.chdir(root)  # the snippet inserts tools/reference relative to the repository
namespace = {}
exec(from_python.replace('"runs/flowers/checkpoints/epoch-1200-step-0028824"', repr(args.checkpoint)), namespace)
print("1. From Python: loaded model, EMA and AdamW state of", args.checkpoint)

if args.original:
    sys.path.insert(0, args.original)
    sys.modules.pop("model", None)
    exec(original_block, namespace)
    x, t, text = torch.randn(1, namespace["config"]["in_channels"], 8, 8), torch.tensor([0.3]), torch.randn(1, 256, namespace["config"]["text_embed_dim"])
    with torch.no_grad():
        ours = namespace["ema"](x, t, text)
        theirs = namespace["original"](x, t, text, 8, 8)
    print(f"2. original model.py loaded the EMA strictly; max |reference - original| output {float((ours - theirs).abs().max()):.2e}")
    assert torch.allclose(ours, theirs, atol=1e-5)
else:
    print("2. skipped (no --original)")

ts = (root / "packages" / "core" / "src" / "safetensors" / "foreign-formats.ts").read_text()
ts_lines = re.search(r"TORCH_TO_SAFETENSORS_PYTHON = \[\n(.*?)\]\.join", ts, re.S).group(1)
expected = [re.sub(r"\\'", "'", line.strip()[1:-2]) for line in ts_lines.strip().split("\n")]
assert conversion.strip().split("\n") == expected, f"docs/formats.md conversion differs from the message:\n{conversion}\n---\n{expected}"
model = namespace["model"]
with tempfile.TemporaryDirectory() as folder:
    os.chdir(folder)
    for kind, saved in {
        "full_state": {"model_state_dict": model.state_dict(), "ema_state_dict": namespace["ema"].state_dict(), "optimizer_state_dict": namespace["opt"].state_dict()},
        "ema_weights": namespace["ema"].state_dict(),
    }.items():
        torch.save(saved, "model.pt")
        exec(conversion, {})
        from safetensors.torch import load_file

        model.load_state_dict(load_file("model.safetensors"), strict=True)
        print(f"3. converted a {kind}_*.pt and loaded it strictly")
print("all snippets ran")
