"""PyTorch timings for the @dit/model benchmark (dev-only; run by packages/model/bench).

Usage: python tools/reference/model_bench.py '<json list of cases>'
Each case: {"name", "config": {in_channels, ..., text_length}, "batch", "height", "width", "reps"}.
Prints one JSON object: {"torch": version, "threads": n, "results": [{name, forward_ms, train_ms}]}.
A training step is forward + mean-square loss + backward (no optimiser), as in the TypeScript bench.
"""
import json
import pathlib
import statistics
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from model_reference import SingleStreamDiTV2  # noqa: E402


def median_ms(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(case):
    torch.manual_seed(0)
    config = case["config"]
    model = SingleStreamDiTV2(**config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
    b, h, w = case["batch"], case["height"], case["width"]
    x = torch.randn(b, config["in_channels"], h, w)
    t = torch.rand(b)
    text = torch.randn(b, config["text_length"], config["text_embed_dim"])

    def forward():
        with torch.no_grad():
            model(x, t, text)

    def train_step():
        model.zero_grad(set_to_none=True)
        loss = model(x, t, text).square().mean()
        loss.backward()

    reps = case.get("reps", 3)
    return {"name": case["name"], "forward_ms": median_ms(forward, reps), "train_ms": median_ms(train_step, reps)}


def main():
    cases = json.loads(sys.argv[1])
    results = [run(case) for case in cases]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
