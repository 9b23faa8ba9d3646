"""A @dit checkpoint's tensors as PyTorch objects, and back: model, AdamW moments, EMA.

Weights and the EMA are stored in PyTorch's layout already (Linear weights [out, in]); AdamW
moments are stored in @dit's tfjs layout (Linear weights [in, out]) and are transposed on the
way in and out. Every 2-D parameter of SingleStreamDiTV2 is a Linear weight.
"""
import importlib.util
import inspect

import torch

from dit_run import RunError, read_tensors

ADAMW_DEFAULTS = {"betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.01}
OPTIMIZER_METADATA = {"format": "dit-optimizer", "kind": "adamw", "layout": "tfjs (Linear weights [in, out])"}


def load_model_class(path):
    """SingleStreamDiTV2 from a model file: the repository's tools/reference one, or the original's model.py."""
    spec = importlib.util.spec_from_file_location("dit_model_code", path)
    if spec is None or not path.exists():
        raise RunError(f"--model-code {path}: no such file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "SingleStreamDiTV2"):
        raise RunError(f"--model-code {path}: defines no SingleStreamDiTV2")
    return module.SingleStreamDiTV2


def build_model(model_class, config, weights_path):
    """The model from config.json (only the arguments its constructor takes), loaded strictly."""
    accepted = inspect.signature(model_class.__init__).parameters
    model = model_class(**{key: value for key, value in config.items() if key in accepted})
    tensors, _ = read_tensors(weights_path)
    model.load_state_dict(tensors, strict=True)
    return model


def forward_takes_size(model_class):
    """True for a forward(x, t, text, height, width), as the original's model.py has."""
    return "height" in inspect.signature(model_class.forward).parameters


def _layout(tensor):
    """tfjs layout <-> PyTorch layout: a transpose for Linear weights, nothing otherwise."""
    return tensor.t().contiguous() if tensor.dim() == 2 else tensor


def adamw_options(state):
    meta = state["optimizer"]
    if meta.get("kind") != "adamw":
        raise RunError(
            f"the run's optimiser is {meta.get('kind')!r}: this script continues AdamW runs (torch.optim.AdamW is the same "
            "algorithm); 8-bit moments have no exact PyTorch counterpart here"
        )
    return {**ADAMW_DEFAULTS, **(meta.get("options") or {})}


def make_adamw(model, options):
    return torch.optim.AdamW(model.parameters(), lr=0.0, betas=tuple(options["betas"]), eps=options["eps"], weight_decay=options["weightDecay"])


def restore_adamw(optimizer, model, moments_path, steps):
    """Moments and per-parameter step counts from optimizer.safetensors + state.json."""
    if not steps:
        return
    tensors, _ = read_tensors(moments_path)
    by_name = dict(model.named_parameters())
    for name, step in steps.items():
        if name not in by_name:
            raise RunError(f"{moments_path}: moments for '{name}', which the model does not have")
        param = by_name[name]
        exp_avg, exp_avg_sq = (_layout(tensors[f"{name}.{suffix}"]) for suffix in ("exp_avg", "exp_avg_sq"))
        if exp_avg.shape != param.shape or exp_avg_sq.shape != param.shape:
            raise RunError(f"{moments_path}: '{name}' moments have shape {list(exp_avg.shape)}, the weight has {list(param.shape)}")
        optimizer.state[param] = {
            "step": torch.tensor(float(step), dtype=torch.float32),
            "exp_avg": exp_avg.to(param.device, torch.float32),
            "exp_avg_sq": exp_avg_sq.to(param.device, torch.float32),
        }


def adamw_snapshot(optimizer, model, options):
    """(tensors in tfjs layout, state.json's optimizer entry)."""
    tensors, steps = {}, {}
    for name, param in model.named_parameters():
        state = optimizer.state.get(param)
        if not state:
            continue
        tensors[f"{name}.exp_avg"] = _layout(state["exp_avg"])
        tensors[f"{name}.exp_avg_sq"] = _layout(state["exp_avg_sq"])
        steps[name] = int(state["step"].item())
    return tensors, {"kind": "adamw", "options": dict(options), "steps": steps}


class Ema:
    """@dit's Ema (and torch's AveragedModel with get_ema_multi_avg_fn): the first update copies."""

    def __init__(self, model, decay, updates=0, tensors=None):
        self.decay = decay
        self.updates = updates
        params = dict(model.named_parameters())
        if tensors is not None:
            missing = sorted(set(params) - set(tensors))
            if missing:
                raise RunError(f"ema.safetensors lacks {', '.join(missing[:3])}")
        self.averaged = {name: (tensors[name] if tensors is not None else p.detach()).to(p.device, torch.float32).clone() for name, p in params.items()}

    @classmethod
    def restore(cls, model, path, meta):
        tensors, _ = read_tensors(path)
        return cls(model, meta["decay"], meta["nAveraged"], tensors)

    @torch.no_grad()
    def update(self, model):
        for name, param in model.named_parameters():
            if self.updates == 0:
                self.averaged[name].copy_(param)
            else:
                self.averaged[name].add_(param.detach() - self.averaged[name], alpha=1 - self.decay)
        self.updates += 1

    def metadata(self):
        decay = str(int(self.decay)) if float(self.decay).is_integer() else repr(float(self.decay))  # as JavaScript's String()
        return {"format": "pt", "dit_ema_decay": decay, "dit_ema_updates": str(self.updates)}

    def meta(self):
        return {"decay": self.decay, "nAveraged": self.updates}
