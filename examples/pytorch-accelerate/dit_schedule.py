"""The schedule of a @dit run, read from its state.json: phases and learning rates.

The same rules as packages/train/src/phases.ts and schedule/lr.ts, so the learning rate of every
step here is the one @dit would use at that position.
"""
import math

PHASE_DEFAULTS = {"latentNorm": {"std": 1.0, "offset": 0.0}, "timestepShift": 1.0, "resetOptimizer": True}


def phase_index_at(schedule, epoch):
    """Index of the phase that trains `epoch`, or -1 after the last."""
    for index, phase in enumerate(schedule):
        if phase["epochs"][0] <= epoch <= phase["epochs"][1]:
            return index
    return -1


def phase_length(phase):
    return phase["epochs"][1] - phase["epochs"][0] + 1


def latent_norm(phase):
    """(std, offset) of the phase: model latent = cached / std + offset (SPEC section 4)."""
    norm = {**PHASE_DEFAULTS["latentNorm"], **(phase.get("latentNorm") or {})}
    return float(norm["std"]), float(norm["offset"])


def resolve_lr(value):
    """The full form of a phase's `lr`: a number is constant, [start, end] is cosine per epoch."""
    if isinstance(value, (int, float)):
        schedule = {"kind": "constant", "lr": value}
    elif isinstance(value, list):
        schedule = {"kind": "cosine", "start": value[0], "end": value[1]}
    else:
        schedule = dict(value)
    schedule.setdefault("warmup", 0)
    schedule.setdefault("unit", "epoch")
    if schedule["kind"] not in ("constant", "cosine"):
        raise ValueError(f"lr.kind {schedule['kind']!r} is not one this script knows (constant, cosine)")
    return schedule


def learning_rate_at(schedule, index, length):
    peak = schedule["lr"] if schedule["kind"] == "constant" else schedule["start"]
    if index < schedule["warmup"]:
        return peak * (index + 1) / schedule["warmup"]
    if schedule["kind"] == "constant":
        return peak
    t_max = schedule.get("tMax") or max(1, length - schedule["warmup"])
    k = index - schedule["warmup"]
    return schedule["end"] + (schedule["start"] - schedule["end"]) * (1 + math.cos(math.pi * k / t_max)) / 2


def learning_rate_for(phase, steps_per_epoch, epoch, phase_step):
    """The LR at a position in its phase, and where it sits in the schedule (state.json's `lr`)."""
    schedule = resolve_lr(phase["lr"])
    epochs = phase_length(phase)
    by_epoch = schedule["unit"] == "epoch"
    length = epochs if by_epoch else steps_per_epoch * epochs
    index = min(epoch - phase["epochs"][0] if by_epoch else phase_step, length - 1)
    value = learning_rate_at(schedule, max(0, index), length)
    return {"unit": schedule["unit"], "index": index, "value": value}
