"""A @dit run folder, read and written in @dit's own layout (docs/formats.md).

    <run>/checkpoints/epoch-EEEE-step-SSSSSSS/  config.json, model.safetensors, ema.safetensors,
                                                optimizer.safetensors, state.json
    <run>/log.csv, <run>/log.jsonl, <run>/run.json (the cache folder `dit train` used)

Checkpoints are written as @dit writes them: into a hidden `.<name>.<pid>.<random>.tmp` sibling,
renamed into place when complete, so a crash never leaves half a checkpoint (and @dit removes
such temporaries of processes that no longer run).
"""
import hashlib
import json
import math
import os
import shutil
import uuid
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

CHECKPOINT_FORMAT = "dit-train-checkpoint"
CHECKPOINT_VERSION = 1
CSV_HEADER = "Epoch,Global_Step,Loss,LR"


class RunError(Exception):
    """Something about the run folder that the user must fix; printed without a traceback."""


# --- reading ---------------------------------------------------------------------------------


def read_state(folder):
    path = Path(folder) / "state.json"
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"{folder}: not a checkpoint folder (no state.json)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunError(f"{path}: damaged ({error})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise RunError(f"{path}: not a @dit training checkpoint (format {state.get('format') if isinstance(state, dict) else None!r})")
    if state.get("version") != CHECKPOINT_VERSION:
        raise RunError(f"{path}: checkpoint version {state.get('version')}, this script reads {CHECKPOINT_VERSION}")
    for field in ("position", "lr", "rng", "optimizer", "counters", "config"):
        if not isinstance(state.get(field), dict):
            raise RunError(f"{path}: '{field}' is missing")
    return state


def file_digest(path):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(4 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


def check_files(folder, state):
    """Every file state.json lists is there, with the size and sha256 it was written with."""
    for name, expected in (state.get("files") or {}).items():
        path = Path(folder) / name
        if not path.exists():
            raise RunError(f"{folder}: damaged checkpoint: {name} is missing")
        found = file_digest(path)
        if found != expected:
            raise RunError(f"{folder}: damaged checkpoint: {name} has {found['bytes']} bytes / sha256 {found['sha256'][:12]}..., state.json recorded {expected['bytes']} / {expected['sha256'][:12]}...")


def find_checkpoint(run, chosen=None, allow_fork=False):
    """The checkpoint to continue from: the newest in <run>/checkpoints, or `chosen` (a name or path)."""
    folder = Path(run) / "checkpoints"
    names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []
    if not names:
        raise RunError(f"{folder}: no checkpoints; train with `dit train --out {run}` first")
    readable, damaged = {}, {}
    for name in names:
        try:
            readable[name] = read_state(folder / name)
        except RunError as error:
            damaged[name] = str(error)
    newest = max(readable, key=lambda n: (readable[n]["position"]["globalStep"], n)) if readable else None
    if chosen is None:
        if names[-1] in damaged:
            good = f"; the newest readable one is {newest}: pass --checkpoint {newest} to continue from it" if newest else ""
            raise RunError(f"the newest checkpoint {folder / names[-1]} is damaged: {damaged[names[-1]]}{good}")
        check_files(folder / newest, readable[newest])
        return folder / newest, readable[newest]
    path = Path(chosen) if os.sep in str(chosen) else folder / chosen
    state = read_state(path)
    check_files(path, state)
    later = [n for n, s in readable.items() if s["position"]["globalStep"] > state["position"]["globalStep"]]
    if later and not allow_fork:
        raise RunError(
            f"{path} is not the newest checkpoint ({', '.join(sorted(later))} came later); continuing from it would"
            " write over that history: move the later ones away, or pass --allow-fork"
        )
    return path, state


def run_cache(run, cache):
    """The cache folder: --cache, else the one `dit train` recorded in <run>/run.json."""
    if cache:
        return Path(cache)
    recorded = Path(run) / "run.json"
    if recorded.exists():
        return Path(json.loads(recorded.read_text())["cache"])
    raise RunError(f"{recorded}: not found; pass --cache with the latent cache folder the run trained on")


def read_manifest(cache, dataset_size):
    path = Path(cache) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"{path}: no manifest; is {cache} the run's latent cache?") from None
    entries = manifest.get("entries")
    if manifest.get("format") != "dit-latent-cache" or not isinstance(entries, list):
        raise RunError(f"{path}: not a @dit latent cache manifest")
    if dataset_size is not None and len(entries) != dataset_size:
        raise RunError(f"{path}: {len(entries)} entries, the run trained on {dataset_size}; is this the run's cache?")
    return entries


def load_entry(cache, entry):
    """(latents [C, h, w], text_embeds [L, dim]) of one cache entry, as float32."""
    tensors = load_file(str(Path(cache) / entry["file"]))
    latents, text = tensors["latents"].float(), tensors["text_embeds"].float()
    if list(latents.shape) != entry["latentShape"] or list(text.shape) != entry["textShape"]:
        raise RunError(f"{cache}/{entry['file']}: shapes {list(latents.shape)} / {list(text.shape)} differ from the manifest's")
    return latents, text


def read_tensors(path):
    with safe_open(str(path), framework="pt") as file:
        return {key: file.get_tensor(key) for key in file.keys()}, file.metadata() or {}


# --- writing ---------------------------------------------------------------------------------


def checkpoint_name(position, completed_epoch):
    epoch = completed_epoch if completed_epoch is not None else position["epoch"]
    return f"epoch-{epoch:04d}-step-{position['globalStep']:07d}"


def temp_path_for(path):
    """@dit's naming of temporaries (core's tempPathFor): `.<name>.<pid>.<random>.tmp` beside the target."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:10]}.tmp")


def _write_json(path, value):
    temp = temp_path_for(path)
    temp.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(temp, path)


def write_checkpoint(run, name, files, state, config):
    """files: {file name: (tensors, metadata)}. Returns the folder written."""
    folder = Path(run) / "checkpoints"
    final = folder / name
    temp = temp_path_for(final)
    try:
        temp.mkdir(parents=True)
        _write_json(temp / "config.json", config)
        for file_name, (tensors, metadata) in files.items():
            save_file({k: v.detach().to("cpu", torch.float32).contiguous() for k, v in tensors.items()}, str(temp / file_name), metadata=metadata)
        # As @dit records them: size and sha256 of every other file, checked before a resume.
        _write_json(temp / "state.json", {**state, "files": {name: file_digest(temp / name) for name in ["config.json", *files]}})
        if final.exists() and _damaged(final):
            # Continuing from an older checkpoint past a damaged one of the same step: keep it aside.
            os.replace(final, folder / f".damaged-{name}-{os.getpid()}")
        if final.exists():
            old = temp_path_for(final)
            os.replace(final, old)
            os.replace(temp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final


def _damaged(folder):
    try:
        read_state(folder)
        return False
    except RunError:
        return True


def write_model_folder(folder, tensors, config):
    """A model folder (config.json + model.safetensors), as @dit's `final/`."""
    folder = Path(folder)
    temp = temp_path_for(folder)
    temp.mkdir(parents=True)
    _write_json(temp / "config.json", config)
    save_file({k: v.detach().to("cpu", torch.float32).contiguous() for k, v in tensors.items()}, str(temp / "model.safetensors"), metadata=model_metadata(config))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(temp, folder)


def model_metadata(config):
    return {"format": "pt", "dit_config": json.dumps(config, separators=(",", ":"))}


# --- logs ------------------------------------------------------------------------------------


def python_float(value):
    """repr(float): what log.csv holds (the original's csv.writer wrote the same)."""
    return repr(float(value))


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


class RunLogs:
    """log.csv and log.jsonl, cut back to the checkpoint's step and continued (as @dit does on resume)."""

    def __init__(self, run, resume_step):
        self.csv = Path(run) / "log.csv"
        self.jsonl = Path(run) / "log.jsonl"
        self._cut(self.csv, lambda line: line == CSV_HEADER or int(line.split(",")[1]) <= resume_step, header=CSV_HEADER)
        self._cut(self.jsonl, lambda line: self._step(line) <= resume_step)

    @staticmethod
    def _step(line):
        try:
            step = json.loads(line).get("step")
        except json.JSONDecodeError:
            return math.inf
        return step if isinstance(step, (int, float)) else -1

    @staticmethod
    def _cut(path, keep, header=None):
        lines = [line for line in path.read_text().split("\n") if line] if path.exists() else ([header] if header else [])
        kept = [line for line in lines if keep(line)]
        if path.exists() and kept == lines:
            return
        temp = temp_path_for(path)
        temp.write_text("".join(line + "\n" for line in kept))
        os.replace(temp, path)

    def step(self, record):
        with self.csv.open("a") as csv:
            csv.write(f"{record['epoch']},{record['step']},{python_float(record['loss'])},{python_float(record['lr'])}\n")
        self.event(record)

    def event(self, record):
        with self.jsonl.open("a") as jsonl:
            jsonl.write(json.dumps(_json_safe(record), separators=(",", ":")) + "\n")


def apply_retention(run, keep_last, protect):
    """@dit's retention: keep the newest `keep_last` readable checkpoints (damaged ones are never removed)."""
    folder = Path(run) / "checkpoints"
    readable = []
    for path in folder.iterdir():
        if path.is_dir() and not path.name.startswith("."):
            try:
                readable.append((read_state(path)["position"]["globalStep"], path.name, path))
            except RunError:
                pass
    readable.sort()
    for _, name, path in readable[:-keep_last] if keep_last > 0 else []:
        if name != protect:
            shutil.rmtree(path, ignore_errors=True)
