"""PyTorch side of `pnpm bench` (dev-only): the bench cases of bench/cases.mjs on the CPU or a CUDA GPU.

Usage: python tools/reference/bench_model.py '<json>'
  {"case": {id, config: {inChannels, ...}, batch, height, width, reps: {train, forward, sample}},
   "measures": ["train", "forward", "sample"], "threads": 2, "steps": 30, "guidance": 1.5,
   "attention": "reference" | "sdpa", "device": "cpu" | "cuda"}
Prints one JSON line: {"engine": "torch", "case", "threads", "attention", "device", "torch", "blas",
"results": {"train": [{wallMs, cpuMs}...], "forward": [...], "sample": [{wallMs, cpuMs, stepMs: [...]}]}}
and, on "cuda", "gpu" (the device name) and "peakBytes" (torch.cuda.max_memory_allocated per measure).

On "cuda" the maths is plain float32: TF32 is switched off for matmuls and cuDNN
(torch.backends.cuda.matmul.allow_tf32 = False, torch.backends.cudnn.allow_tf32 = False), so the
reference does what tfjs' float32 kernels do; every timing ends with torch.cuda.synchronize().

The model is tools/reference/model_reference.py (the parity reference, explicit softmax attention);
"sdpa" swaps its attention for torch.nn.functional.scaled_dot_product_attention, PyTorch's fused
kernel, to show what a tuned PyTorch does. Timings match bench/run-tfjs.mjs: train = forward + MSE
+ backward for every parameter + the global gradient norm read as a number (no optimiser), forward = one CFG-pair forward (batch 2B) under
no_grad, sample = Euler steps with batched CFG.
"""
import json
import math
import pathlib
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import model_reference  # noqa: E402
from model_reference import SingleStreamDiTV2, rotate_split_half  # noqa: E402


def sdpa_block_forward(self, x, c, cos, sin, text_len):
    """model_reference.Block.forward with F.scaled_dot_product_attention (same maths)."""
    b, n, d = x.shape
    head_dim = d // self.heads
    shift1, scale1, gate1, shift2, scale2, gate2 = self.adaLN_modulation(c)[:, None, :].chunk(6, dim=-1)
    h = self.norm1(x) * (1 + scale1) + shift1
    q, k, v = self.qkv(h).view(b, n, 3, self.heads, head_dim).unbind(dim=2)
    rope_cos, rope_sin = cos[None, :, None, :], sin[None, :, None, :]
    q = torch.cat([q[:, :text_len], rotate_split_half(q[:, text_len:], rope_cos, rope_sin)], dim=1)
    k = torch.cat([k[:, :text_len], rotate_split_half(k[:, text_len:], rope_cos, rope_sin)], dim=1)
    q, k, v = (z.transpose(1, 2) for z in (q, k, v))
    attended = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d)
    x = x + gate1 * self.proj(attended)
    h = self.norm2(x) * (1 + scale2) + shift2
    return x + gate2 * self.mlp(h)


def blas_info():
    config = torch.__config__.show()
    if "oneAPI Math Kernel Library" in config or "BLAS_INFO=mkl" in config:
        return "MKL" + (" + oneDNN" if torch.backends.mkldnn.is_available() else "")
    for name in ("openblas", "blis", "accelerate", "eigen"):
        if name in config.lower():
            return name
    return "unknown"


def synchronize():
    """Waits for queued GPU work (a no-op on the CPU): timings must cover the kernels, not their launch."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def timed(fn, reps):
    """Wall and process CPU time (all threads) of each repetition after one warm-up."""
    fn()  # warm-up
    synchronize()
    times = []
    for _ in range(reps):
        start, cpu_start = time.perf_counter(), time.process_time()
        fn()
        synchronize()
        times.append({"wallMs": (time.perf_counter() - start) * 1000, "cpuMs": (time.process_time() - cpu_start) * 1000})
    return times


def main():
    request = json.loads(sys.argv[1])
    case = request["case"]
    measures = request.get("measures", ["train", "forward", "sample"])
    threads = int(request.get("threads", 2))
    steps = int(request.get("steps", 30))
    guidance = float(request.get("guidance", 1.5))
    attention = request.get("attention", "reference")
    reps_override = request.get("reps")
    device = torch.device(request.get("device", "cpu"))
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("device 'cuda' requested but torch.cuda.is_available() is False")
        # Plain float32, as tfjs computes: no TF32 tensor-core shortcut.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("highest")
    torch.set_num_threads(threads)
    if attention == "sdpa":
        model_reference.Block.forward = sdpa_block_forward
    elif attention != "reference":
        raise SystemExit(f"unknown attention '{attention}'")

    cfg = case["config"]
    torch.manual_seed(0)
    model = SingleStreamDiTV2(
        in_channels=cfg["inChannels"], patch_size=cfg["patchSize"], hidden_size=cfg["hiddenSize"], depth=cfg["depth"],
        num_heads=cfg["numHeads"], text_embed_dim=cfg["textDim"], text_length=cfg["textLength"],
    )
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
    model.to(device)
    b, h, w = case["batch"], case["height"], case["width"]
    x = torch.randn(b, cfg["inChannels"], h, w, device=device)
    target = torch.randn_like(x)
    t = torch.rand(b, device=device)
    text = torch.randn(b, cfg["textLength"], cfg["textDim"], device=device)
    pair_x, pair_t, pair_text = torch.cat([x, x]), torch.cat([t, t]), torch.cat([torch.zeros_like(text), text])

    def train_step():
        model.zero_grad(set_to_none=True)
        loss = (model(x, t, text) - target).square().mean()
        loss.backward()
        # The global gradient norm, read as a number (what clipping reads), as bench/run-tfjs.mjs ends its step.
        torch.stack([p.grad.norm() for p in model.parameters()]).norm().item()

    def forward_pair():
        with torch.no_grad():
            model(pair_x, pair_t, pair_text)

    def sample_run():
        step_ms = []
        with torch.no_grad():
            state = torch.randn_like(x)
            stacked = torch.cat([torch.zeros_like(text), text])
            last = time.perf_counter()
            for i in range(steps):
                t_now, t_next = i / steps, (i + 1) / steps
                v_uncond, v_cond = model(torch.cat([state, state]), torch.full((2 * b,), t_now, device=device), stacked).chunk(2)
                state = state + (t_next - t_now) * (v_uncond + guidance * (v_cond - v_uncond))
                synchronize()
                now = time.perf_counter()
                step_ms.append((now - last) * 1000)
                last = now
        return step_ms

    results = {}
    peak_bytes = {}
    for measure in measures:
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        reps = reps_override if reps_override is not None else case["reps"][measure]
        if measure == "train":
            results["train"] = timed(train_step, reps)
        elif measure == "forward":
            results["forward"] = timed(forward_pair, reps)
        elif measure == "sample":
            runs = []
            for _ in range(max(1, reps)):
                start, cpu_start = time.perf_counter(), time.process_time()
                step_ms = sample_run()
                runs.append({
                    "wallMs": (time.perf_counter() - start) * 1000, "cpuMs": (time.process_time() - cpu_start) * 1000, "stepMs": step_ms,
                })
            results["sample"] = runs
        else:
            raise SystemExit(f"unknown measure '{measure}'")
        if device.type == "cuda":
            peak_bytes[measure] = torch.cuda.max_memory_allocated(device)
    report = {
        "engine": "torch", "case": case["id"], "threads": torch.get_num_threads(), "attention": attention, "device": device.type,
        "torch": torch.__version__, "blas": blas_info(), "results": results,
    }
    if device.type == "cuda":
        report.update({"gpu": torch.cuda.get_device_name(device), "cuda": torch.version.cuda, "tf32": False, "peakBytes": peak_bytes})
    print(json.dumps(report))


if __name__ == "__main__":
    main()
