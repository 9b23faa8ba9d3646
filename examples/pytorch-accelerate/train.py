#!/usr/bin/env python3
"""Continue a @dit training run in PyTorch, data-parallel with accelerate, and hand it back.

    accelerate launch [accelerate's own flags] examples/pytorch-accelerate/train.py --run DIR --epochs N

Everything comes from the run: the model config, the schedule and its phase, learning rates,
latent normalisation, EMA, text dropout, batch size and seed. It continues from DIR's newest
checkpoint (weights, EMA with its update count, AdamW moments), trains N epochs, and writes
checkpoints in @dit's layout into DIR/checkpoints and rows into DIR/log.csv and log.jsonl, so
`dit train --resume` continues the run and `dit sample` samples it. See README.md beside it.
"""
import argparse
import json
import math
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import gather_object

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dit_draws import DitStreams, TorchStreams, load_flips  # noqa: E402
from dit_run import (  # noqa: E402
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    RunError,
    RunLogs,
    apply_retention,
    checkpoint_name,
    find_checkpoint,
    load_entry,
    model_metadata,
    read_manifest,
    run_cache,
    write_checkpoint,
    write_model_folder,
)
from dit_sampler import BucketBatches, phase_buckets  # noqa: E402
from dit_schedule import latent_norm, learning_rate_for, phase_index_at  # noqa: E402
from flow_step import Share, backward_share  # noqa: E402
from torch_state import (  # noqa: E402
    OPTIMIZER_METADATA,
    Ema,
    adamw_options,
    adamw_snapshot,
    build_model,
    forward_takes_size,
    load_model_class,
    make_adamw,
    restore_adamw,
)

DEFAULT_MODEL_CODE = HERE.parent.parent / "tools" / "reference" / "model_reference.py"
TIMESTEP_BINS = 10  # log.jsonl's per-timestep loss bins, @dit's default
MAX_SKIPPED_STEPS = 25  # @dit's default limit with nonFinite 'skip'


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, type=Path, help="the @dit run folder (what `dit train --out` wrote)")
    parser.add_argument("--epochs", required=True, type=int, help="epochs to train from the run's position (a partly trained one counts); stops at the schedule's end")
    parser.add_argument("--cache", type=Path, help="the latent cache; default: the one `dit train` recorded in RUN/run.json")
    parser.add_argument("--checkpoint", help="continue from this checkpoint (a name in RUN/checkpoints, or a path); default: the newest")
    parser.add_argument("--allow-fork", action="store_true", help="allow --checkpoint to name one older than the newest")
    parser.add_argument("--split-batches", action="store_true", help="split each of the run's batches over the processes (the global batch stays the run's); default: every process trains whole batches")
    parser.add_argument("--rng", choices=("torch", "dit"), default="torch", help="noise, times and text dropout from torch generators (fast) or from @dit's own streams (exact continuation, slow for big latents)")
    parser.add_argument("--micro-batch", type=int, help="samples per forward/backward pass on a process (gradients are accumulated); default: all of them")
    parser.add_argument("--checkpoint-every", type=int, default=10, help="checkpoint after epochs that are multiples of this, at phase ends and at the end (default 10)")
    parser.add_argument("--keep-last", type=int, default=3, help="keep this many newest checkpoints, as @dit's retention (default 3)")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matrix products on NVIDIA GPUs (off: float32 as @dit)")
    parser.add_argument("--expect-processes", type=int, help="refuse to start unless exactly this many processes form the group")
    parser.add_argument("--model-code", type=Path, default=DEFAULT_MODEL_CODE, help="file defining SingleStreamDiTV2 (default: tools/reference/model_reference.py)")
    parser.add_argument("--log-every", type=int, default=10, help="print a progress line every this many steps (default 10)")
    args = parser.parse_args(argv)
    for name in ("epochs", "checkpoint_every", "keep_last", "log_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.micro_batch is not None and args.micro_batch < 1:
        parser.error("--micro-batch must be at least 1")
    return args


def check_group(accelerator, expected):
    """Refuses processes that do not form one group (each would train alone and write its own result)."""
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    world = accelerator.num_processes
    if launched != world:
        raise RunError(
            f"the launcher started {launched} processes (WORLD_SIZE), but they did not form one group: this process sees "
            f"{world} ({accelerator.distributed_type.value}). Without GPUs, launch with "
            f"`ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes {launched} ...`"
        )
    if expected is not None and expected != world:
        raise RunError(f"--expect-processes {expected}, but {world} process(es) formed the group")
    ranks = gather_object([accelerator.process_index])
    if sorted(ranks) != list(range(world)):
        raise RunError(f"process ranks {sorted(ranks)} do not form one group of {world}")
    if world == 1 and os.environ.get("ACCELERATE_USE_CPU") == "True":
        accelerator.print("note: `accelerate launch --cpu` runs one process whatever --num_processes says; for several CPU processes use ACCELERATE_USE_CPU=1 with --multi_gpu")


class Continuation:
    """The run being continued: its settings, the model and optimiser, and where it stands."""

    def __init__(self, args, accelerator):
        self.args, self.accelerator = args, accelerator
        self.world, self.rank = accelerator.num_processes, accelerator.process_index
        self.checkpoint, self.state = find_checkpoint(args.run, args.checkpoint, args.allow_fork)
        training = self.state["config"]["training"]
        self.schedule = self.state["config"]["schedule"]
        self.batch_size, self.seed = training["batchSize"], training["seed"]
        self.max_norm = training.get("maxGradNorm", 1.0)
        self.non_finite = training.get("nonFinite", "stop")
        if args.split_batches and self.batch_size < self.world:
            raise RunError(f"--split-batches: the run's batches of {self.batch_size} cannot be split over {self.world} processes")
        self.cache = run_cache(args.run, args.cache)
        self.entries = read_manifest(self.cache, training.get("datasetSize"))
        self.config = json.loads((self.checkpoint / "config.json").read_text())
        self.adamw = adamw_options(self.state)
        model_class = load_model_class(args.model_code)
        self.pass_size = forward_takes_size(model_class)
        model = build_model(model_class, self.config, self.checkpoint / "model.safetensors").to(accelerator.device)
        optimizer = make_adamw(model, self.adamw)
        restore_adamw(optimizer, model, self.checkpoint / "optimizer.safetensors", self.state["optimizer"].get("steps") or {})
        self.model = model
        self.ema = Ema.restore(model, self.checkpoint / "ema.safetensors", self.state["ema"]) if self.state.get("ema") else None
        self.ddp_model, self.optimizer = accelerator.prepare(model, optimizer)
        self.streams = DitStreams(self.state["rng"]) if args.rng == "dit" else TorchStreams(self.seed, self.state["rng"])
        self.plans = [self._plan(i, phase) for i, phase in enumerate(self.schedule)]
        self.position, self.counters = dict(self.state["position"]), dict(self.state["counters"])
        index = phase_index_at(self.schedule, self.position["epoch"])
        self.position["phaseIndex"] = len(self.schedule) if index == -1 else index
        self.position["phaseName"] = self.schedule[index]["name"] if index != -1 else "done"
        self.logs = RunLogs(args.run, self.position["globalStep"]) if accelerator.is_main_process else None
        self.started = time.perf_counter()

    def _plan(self, index, phase):
        buckets, flip_at_load, items = phase_buckets(self.entries, phase["flip"])
        try:
            sampler = BucketBatches(buckets, self.batch_size, self.seed)
        except ValueError as error:
            raise RunError(f"schedule[{index}] ('{phase['name']}'): {error}") from None
        return {"phase": phase, "sampler": sampler, "flip_at_load": flip_at_load, "items": items}

    def describe(self):
        say, p = self.accelerator.print, self.position
        say(
            f"{self.world} process{'es' if self.world > 1 else ''} ({self.accelerator.distributed_type.value}, {self.accelerator.device}, "
            f"mixed precision {self.accelerator.mixed_precision}, TF32 {'on' if self.args.tf32 else 'off'}, rng {self.args.rng})"
        )
        if self.args.split_batches or self.world == 1:
            say(f"a step trains one batch of {self.batch_size}, as the run did" + (f", split over {self.world} processes" if self.world > 1 else ""))
        else:
            say(f"a step trains {self.world} batches of {self.batch_size} (one a process): {self.world * self.batch_size} samples where the run trained {self.batch_size}")
        say(f"continuing {self.args.run} from {self.checkpoint.name}: phase '{p['phaseName']}', epoch {p['epoch']}, batch {p['batch']}, step {p['globalStep']}")

    # --- one step ------------------------------------------------------------------------------

    def _share(self, plan, group, draws):
        """This process's samples of the step (a zero-weighted stand-in when it has none)."""
        phase = plan["phase"]
        std, offset = latent_norm(phase)
        if self.args.split_batches:
            (_, (_, indices)), batch_draws = group[0], draws[0]
            size = len(indices)
            base, extra = divmod(size, self.world)
            low = self.rank * base + min(self.rank, extra)
            chosen = range(low, low + base + (1 if self.rank < extra else 0))
            coefficient = 1.0 / size
        elif self.rank < len(group):
            (_, (_, indices)), batch_draws = group[self.rank], draws[self.rank]
            chosen, coefficient = range(len(indices)), 1.0 / (len(group) * len(indices))
        else:
            (_, (_, indices)), batch_draws = group[0], None
            chosen, coefficient = range(len(indices)), 0.0
        latents, texts = [], []
        for i in chosen:
            latent, text = load_entry(self.cache, self.entries[indices[i]])
            latents.append(latent.flip(-1) if batch_draws and batch_draws.flips[i] else latent)
            texts.append(text * 0 if batch_draws and batch_draws.dropped[i] else text)
        latents = torch.stack(latents) / std + offset
        if batch_draws is None:
            noise, times = torch.zeros_like(latents), torch.full((len(chosen),), 0.5)
        else:
            noise = batch_draws.noise[chosen.start : chosen.stop]
            times = torch.tensor([batch_draws.times[i] for i in chosen], dtype=torch.float32)
        device = self.accelerator.device
        return Share(latents.to(device), noise.to(device), torch.stack(texts).to(device), times.to(device), torch.full((len(chosen),), coefficient, device=device))

    def _draws(self, plan, group):
        """Draws for every batch of the step, in @dit's order (each process keeps its own)."""
        draws = []
        for k, (position, (_, indices)) in enumerate(group):
            mine = self.args.split_batches or k == self.rank
            if self.args.rng == "dit" or mine:
                flips = load_flips(self.seed, self.position["epoch"], position, len(indices), plan["flip_at_load"])
                shape = self.entries[indices[0]]["latentShape"]
                draws.append(self.streams.draw(plan["phase"], shape, flips, self.position["epoch"], position))
            else:
                draws.append(None)
        return draws

    def step(self, plan, group):
        phase, accelerator = plan["phase"], self.accelerator
        started = time.perf_counter()
        lr = learning_rate_for(phase, plan["sampler"].batches_per_epoch, self.position["epoch"], self.position["phaseStep"])
        share = self._share(plan, group, self._draws(plan, group))
        micro = self.args.micro_batch or max(1, share.latents.shape[0])
        per_sample = backward_share(accelerator, self.ddp_model, share, phase["loss"], micro, self.pass_size)
        local = (share.coefficients * per_sample.float()).sum().double()
        loss = accelerator.reduce(local.to(accelerator.device), reduction="sum").item()
        norm = accelerator.clip_grad_norm_(self.ddp_model.parameters(), self.max_norm if self.max_norm is not None else math.inf).item()
        finite = math.isfinite(loss) and math.isfinite(norm)
        if finite:
            for group_settings in self.optimizer.param_groups:
                group_settings["lr"] = lr["value"]
            self.optimizer.step()
            if phase["ema"] is not False and self.ema is not None:
                self.ema.update(self.model)
        self.optimizer.zero_grad(set_to_none=True)
        real = share.coefficients > 0
        pairs = gather_object(list(zip(share.times[real].tolist(), per_sample[real].tolist())))
        images = sum(len(indices) for _, (_, indices) in group)
        seconds = time.perf_counter() - started
        record = {
            "type": "step", "phase": phase["name"], "epoch": self.position["epoch"], "step": self.position["globalStep"] + 1,
            "loss": loss, "lr": lr["value"], "gradNorm": norm,
            "clipScale": min(1.0, self.max_norm / (norm + 1e-6)) if finite and self.max_norm is not None else 1.0,
            "imagesPerSecond": images / max(seconds, 1e-9), "seconds": seconds, "elapsed": time.perf_counter() - self.started,
            "binLoss": bin_losses(pairs, TIMESTEP_BINS), "processes": self.world, "batches": [position for position, _ in group],
        }
        if not finite:
            record["skipped"] = True
        return record, images

    # --- the schedule --------------------------------------------------------------------------

    def train(self):
        p, say = self.position, self.accelerator.print
        epochs_left = self.args.epochs
        if p["phaseIndex"] >= len(self.schedule):
            say("the run has finished its schedule: nothing to train")
            return
        while p["phaseIndex"] < len(self.schedule) and epochs_left > 0:
            plan = self.plans[p["phaseIndex"]]
            phase = plan["phase"]
            if p["epoch"] == phase["epochs"][0] and p["batch"] == 0 and p["phaseStep"] == 0:
                if p["globalStep"] > 0 and phase.get("resetOptimizer", True):
                    self.optimizer.state.clear()
                if phase["ema"] is not False and self.ema is None:
                    self.ema = Ema(self.model, phase["ema"])
                self._event({"type": "phase", "step": p["globalStep"], "phase": phase["name"], "epochs": phase["epochs"]})
            while p["epoch"] <= phase["epochs"][1] and epochs_left > 0:
                trained = p["epoch"]
                ended = self._epoch(plan)
                epochs_left -= 1
                finished = p["phaseIndex"] >= len(self.schedule)
                if (trained > 0 and trained % self.args.checkpoint_every == 0) or ended or epochs_left == 0:
                    self.save("final" if finished else "phase-end" if ended else "periodic")
                if ended:
                    break
        if p["phaseIndex"] >= len(self.schedule) and self.accelerator.is_main_process:
            weights = self.ema.averaged if self.ema else dict(self.model.named_parameters())
            write_model_folder(self.args.run / "final", weights, self.config)
            say(f"schedule finished; result ({'EMA' if self.ema else 'trained'} weights) in {self.args.run / 'final'}")
        self.accelerator.wait_for_everyone()

    def _epoch(self, plan):
        """Trains the rest of the current epoch; True when it was its phase's last."""
        p, phase, say = self.position, plan["phase"], self.accelerator.print
        epoch = p["epoch"]
        batches = plan["sampler"].batches_for_epoch(epoch)
        started, losses = time.perf_counter(), []
        while p["batch"] < len(batches):
            take = 1 if self.args.split_batches else min(self.world, len(batches) - p["batch"])
            group = [(p["batch"] + k, batches[p["batch"] + k]) for k in range(take)]
            record, images = self.step(plan, group)
            if record.get("skipped"):
                self._non_finite(record)
            else:
                losses.append(record["loss"])
            p["batch"] += take
            p["globalStep"] += 1
            p["phaseStep"] += take
            self.counters["imagesSeen"] += images
            self.counters["trainSeconds"] += record["seconds"]
            if self.logs:
                self.logs.step(record)
            if p["globalStep"] % self.args.log_every == 0:
                say(f"step {p['globalStep']} (epoch {epoch}, {p['batch']}/{len(batches)} batches): loss {record['loss']:.4f}, lr {record['lr']:.3g}, {record['imagesPerSecond']:.1f} images/s")
        p["epoch"] += 1
        p["batch"] = 0
        ended = epoch == phase["epochs"][1]
        if ended:
            p["phaseIndex"] += 1
            p["phaseStep"] = 0
            p["phaseName"] = self.schedule[p["phaseIndex"]]["name"] if p["phaseIndex"] < len(self.schedule) else "done"
        mean = sum(losses) / len(losses) if losses else math.nan
        seconds = time.perf_counter() - started
        self._event({"type": "epoch", "step": p["globalStep"], "phase": phase["name"], "epoch": epoch, "meanLoss": mean, "seconds": seconds})
        say(f"epoch {epoch} ({phase['name']}): mean loss {mean:.4f}, {seconds:.1f} s")
        return ended

    def _non_finite(self, record):
        self.counters["skippedSteps"] += 1
        if self.non_finite == "stop" or self.counters["skippedSteps"] > MAX_SKIPPED_STEPS:
            path = self.save("non-finite")
            what = f"gradient (norm {record['gradNorm']})" if math.isfinite(record["loss"]) else f"loss ({record['loss']})"
            raise RunError(
                f"non-finite {what} at step {record['step']} (epoch {record['epoch']}); the update was skipped and {path} holds the "
                "weights from before it; continue with `dit train --resume` or this script (the batch is drawn again), or lower the learning rate"
            )
        self.accelerator.print(f"step {record['step']}: non-finite loss or gradient, update skipped ({self.counters['skippedSteps']} so far)")

    def _event(self, record):
        if self.logs:
            self.logs.event(record)

    # --- checkpoints ---------------------------------------------------------------------------

    def save(self, reason):
        p = self.position
        name = checkpoint_name(p, p["epoch"] - 1 if p["batch"] == 0 else None)
        path = self.args.run / "checkpoints" / name
        if self.accelerator.is_main_process:
            plan = self.plans[min(p["phaseIndex"], len(self.plans) - 1)]
            moments, optimizer_meta = adamw_snapshot(self.optimizer, self.model, self.adamw)
            files = {"model.safetensors": (dict(self.model.named_parameters()), model_metadata(self.config)), "optimizer.safetensors": (moments, OPTIMIZER_METADATA)}
            if self.ema:
                files["ema.safetensors"] = (self.ema.averaged, self.ema.metadata())
            state = {
                "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
                "savedAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "reason": reason, "position": dict(p), "completedEpoch": p["epoch"] - 1 if p["batch"] == 0 else None,
                "lr": learning_rate_for(plan["phase"], plan["sampler"].batches_per_epoch, p["epoch"], p["phaseStep"]),
                "rng": self.streams.states(),
                "sampler": {"epoch": p["epoch"], "position": p["batch"], "seed": self.seed, "batchSize": self.batch_size, "items": plan["items"]} if p["phaseIndex"] < len(self.plans) else None,
                "optimizer": optimizer_meta, "ema": self.ema.meta() if self.ema else None,
                "counters": dict(self.counters), "config": self.state["config"],
                "writtenBy": {"tool": "examples/pytorch-accelerate/train.py", "processes": self.world, "splitBatches": self.args.split_batches, "rng": self.args.rng,
                              "mixedPrecision": self.accelerator.mixed_precision, "torch": torch.__version__},
            }
            write_checkpoint(self.args.run, name, files, state, self.config)
            apply_retention(self.args.run, self.args.keep_last, protect=name)
            self._event({"type": "checkpoint", "step": p["globalStep"], "reason": reason, "path": str(path)})
            self.accelerator.print(f"checkpoint ({reason}): {path}")
        self.accelerator.wait_for_everyone()
        return path

    def check_in_sync(self):
        """Every process must end with the same weights (one group, gradients all-reduced)."""
        with torch.no_grad():
            checksum = sum(float(p.double().sum()) + float(p.double().abs().sum()) for p in self.model.parameters())
        sums = gather_object([checksum])
        if len(set(sums)) != 1:
            raise RunError(f"the processes ended with different weights (checksums {sums}): they did not train as one group")


def bin_losses(pairs, bins):
    """Mean loss of the samples whose t fell in each equal-width bin of [0, 1] (None where none did)."""
    sums, counts = [0.0] * bins, [0] * bins
    for t, loss in pairs:
        b = min(bins - 1, max(0, math.floor(t * bins)))
        sums[b] += loss
        counts[b] += 1
    return [s / c if c else None for s, c in zip(sums, counts)]


def next_commands(run):
    """How to continue and sample the run in @dit, from what `dit train` recorded in run.json."""
    recorded = json.loads((run / "run.json").read_text()) if (run / "run.json").exists() else {}
    resume = recorded.get("resume") or f"dit train --cache CACHE --out {run} --resume   (with the run's other flags)"
    sample = f"dit sample --model {run} --vae {recorded.get('vae', 'VAE')} --text-encoder {recorded.get('textEncoder', 'ENCODER')} --prompt '...'"
    return resume, sample


def main(argv=None):
    args = parse_args(argv)
    accelerator = Accelerator()
    try:
        check_group(accelerator, args.expect_processes)
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        continuation = Continuation(args, accelerator)
        continuation.describe()
        continuation.train()
        continuation.check_in_sync()
    except RunError as error:
        if accelerator.is_main_process:
            print(f"error: {error}", file=sys.stderr, flush=True)
        return 2
    resume, sample = next_commands(args.run)
    accelerator.print(f"continue in @dit: {resume}")
    accelerator.print(f"sample it:        {sample}")
    accelerator.end_training()
    return 0


if __name__ == "__main__":
    sys.exit(main())
