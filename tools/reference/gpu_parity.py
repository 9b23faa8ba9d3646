"""Reference for the GPU measurement's correctness check (bench/gpu-parity.mjs), dev-only.

Usage: python tools/reference/gpu_parity.py '<json>'
  {"config": {in_channels, patch_size, hidden_size, depth, num_heads, text_embed_dim, text_length},
   "batch": 2, "height": 32, "width": 32, "seed": 20261204, "out": "DIR"}
Writes DIR/model/config.json + model.safetensors (random non-zero float32 weights everywhere, as
model_fixtures.py) and DIR/io.safetensors: inputs x, t, text (one row all zeros, as CFG's
unconditional text), the velocity v, loss weights w, and the gradients of sum(v * w) with respect
to x and to the parameters in GRAD_NAMES. The reference runs in float64 on the CPU from the
float32 weights, so a comparison measures the float32 engine's error alone. Prints one JSON line
{"out", "parameters", "seconds"}.
"""
import ctypes
import json
import pathlib
import sys
import time

import struct

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from model_reference import SingleStreamDiTV2, randomize  # noqa: E402

GRAD_NAMES = [
    "x_embedder.weight", "text_embedder.bias", "t_embedder.0.weight", "t_embedder.2.bias",
    "blocks.0.qkv.weight", "blocks.0.proj.bias", "blocks.0.adaLN_modulation.1.weight",
    "blocks.0.mlp.0.weight", "blocks.0.mlp.2.bias", "final_layer.weight", "final_layer.bias",
]


def save_file(tensors, path, metadata=None):
    """float32 tensors as a safetensors file. Written here rather than with the `safetensors`
    package: the GPU machine this runs on has PyTorch but not necessarily that package, and no
    network to install it."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        values = tensor.detach().to(torch.float32).contiguous().cpu()
        # The raw little-endian bytes, without numpy (not every PyTorch install has it).
        data = ctypes.string_at(values.data_ptr(), values.numel() * values.element_size())
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)))
        file.write(encoded)
        for chunk in chunks:
            file.write(chunk)


def main():
    request = json.loads(sys.argv[1])
    started = time.perf_counter()
    config, batch, height, width = request["config"], request["batch"], request["height"], request["width"]
    out = pathlib.Path(request["out"])
    (out / "model").mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(int(request.get("seed", 20261204)))

    model = SingleStreamDiTV2(**config)
    randomize(model, generator)
    (out / "model" / "config.json").write_text(json.dumps({"_class_name": "SingleStreamDiTV2", **config}, indent=2) + "\n")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / "model" / "model.safetensors"), metadata={"format": "pt"})

    c, length, dim = config["in_channels"], config["text_length"], config["text_embed_dim"]
    x = torch.randn(batch, c, height, width, generator=generator)
    t = torch.linspace(0.1, 0.9, batch)
    text = torch.randn(batch, length, dim, generator=generator)
    text[-1] = 0
    weights = torch.randn(batch, c, height, width, generator=generator)

    # Tensors the model makes itself (RoPE tables) follow the default dtype; the timestep features
    # are float32 by design (as the original), and enter the float64 embedder as they are.
    torch.set_default_dtype(torch.float64)
    reference = model.double()
    reference.t_embedder.register_forward_pre_hook(lambda module, args: tuple(a.double() for a in args))
    x64 = x.double().requires_grad_(True)
    v = reference(x64, t.double(), text.double())
    (v * weights.double()).sum().backward()
    params = dict(reference.named_parameters())
    io = {"x": x, "t": t, "text": text, "w": weights, "v": v.detach(), "grad.x": x64.grad}
    for name in GRAD_NAMES:
        io[f"grad.{name}"] = params[name].grad
    save_file({k: v.detach().contiguous().float() for k, v in io.items()}, str(out / "io.safetensors"))
    print(json.dumps({"out": str(out), "parameters": sum(p.numel() for p in model.parameters()), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
