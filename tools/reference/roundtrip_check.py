"""A @dit run through PyTorch and back (dev-only; CI never runs it). See docs/scaling.md.

Run:  /opt/refvenv/bin/python tools/reference/roundtrip_check.py RUN_DIR [--steps 20]

RUN_DIR is what docs/scaling.md's first snippet writes with @dit/model and @dit/train:
  final/config.json, final/model.safetensors   a run's result (PyTorch names and layouts)
  io.safetensors                               a fixed input x, t, text and @dit/model's velocity v

1. Builds the PyTorch reference SingleStreamDiTV2 (model_reference.py) from config.json and loads
   model.safetensors with load_state_dict(strict=True): every name and shape must match.
2. Runs it on the same x, t, text and compares with @dit/model's v.
3. Continues training in PyTorch with accelerate (the code path `accelerate launch --multi_gpu`
   runs), flow matching as SPEC section 3, and writes RUN_DIR/from-torch/{config.json,
   model.safetensors, io.safetensors} for docs/scaling.md's second snippet to load back.
Exits non-zero when a check fails.
"""
import argparse
import json
import pathlib
import sys

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from model_reference import SingleStreamDiTV2  # noqa: E402

CONSTRUCTOR_KEYS = ("in_channels", "patch_size", "hidden_size", "depth", "num_heads", "text_embed_dim", "text_length")
TOLERANCE = 1e-4  # float32 on two frameworks: differences of ~1e-7 relative are expected


def load_model(folder):
    config = json.loads((folder / "config.json").read_text())
    assert config.get("_class_name") == "SingleStreamDiTV2", f"{folder}/config.json: _class_name {config.get('_class_name')!r}"
    model = SingleStreamDiTV2(**{k: config[k] for k in CONSTRUCTOR_KEYS})
    state = load_file(str(folder / "model.safetensors"))
    result = model.load_state_dict(state, strict=True)  # raises on a missing, unexpected or misshapen tensor
    return model.eval(), config, state, result


def compare(name, ours, theirs):
    diff = (ours - theirs).abs().max().item()
    scale = theirs.abs().max().item()
    print(f"{name}: max |v| {scale:.6f}, max |difference| {diff:.3e}, relative {diff / scale:.3e}")
    return diff / scale


def continue_training(model, x1, text, steps, seed):
    """Flow matching (t = 0 noise, t = 1 data) with AdamW and clipping, through accelerate."""
    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x0 = torch.randn(x1.shape, generator=generator)
        t = torch.rand(x1.shape[0], generator=generator)
        xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * x1
        loss = F.mse_loss(model(xt.to(accelerator.device), t.to(accelerator.device), text.to(accelerator.device)), (x1 - x0).to(accelerator.device))
        optimizer.zero_grad()
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    print(f"continued training in PyTorch ({accelerator.device}, {accelerator.num_processes} process): {steps} AdamW steps, last loss {losses[-1]:.4f}")
    return accelerator.unwrap_model(model).eval().cpu()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=pathlib.Path)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    # 1-2. @dit/model -> PyTorch.
    model, config, state, _ = load_model(args.run_dir / "final")
    parameters = sum(p.numel() for p in model.parameters())
    print(f"loaded {args.run_dir / 'final' / 'model.safetensors'} strictly: {len(state)} tensors, {parameters:,} parameters, config {json.dumps({k: config[k] for k in CONSTRUCTOR_KEYS})}")
    io = load_file(str(args.run_dir / "io.safetensors"))
    with torch.no_grad():
        v_torch = model(io["x"], io["t"], io["text"])
    forward_error = compare("@dit/model -> PyTorch, velocity on the fixed input", v_torch, io["v"])

    # 3. Train on in PyTorch, then hand the weights back.
    model = continue_training(model, io["x"], io["text"], args.steps, args.seed)
    out = args.run_dir / "from-torch"
    out.mkdir(exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / "model.safetensors"), metadata={"format": "pt"})
    with torch.no_grad():
        v_back = model(io["x"], io["t"], io["text"])
    save_file({"x": io["x"], "t": io["t"], "text": io["text"], "v": v_back.contiguous()}, str(out / "io.safetensors"))
    print(f"wrote {out}/config.json, model.safetensors and io.safetensors (PyTorch's velocity after training)")

    if forward_error > TOLERANCE:
        sys.exit(f"FAILED: relative difference {forward_error:.3e} > {TOLERANCE}")
    print("OK")


if __name__ == "__main__":
    main()
