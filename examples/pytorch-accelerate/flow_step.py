"""One data-parallel flow-matching step (SPEC section 3), as packages/train/src/train-step.ts.

Every sample i of the step has a coefficient c_i in the step's objective sum_i c_i L_i, where L_i
is the sample's mean element loss: 1 / batch for one batch, 1 / (batches x batch) for several.
DDP averages gradients over the W processes, so each process backpropagates W sum_{i in it} c_i L_i:
the average is then exactly the gradient of the objective, however the samples are spread (a
process with nothing to train backpropagates 0 x a real loss, so every process joins the
all-reduce and no sample is counted twice).
"""
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Share:
    """This process's samples of a step: model inputs and each sample's coefficient."""

    latents: torch.Tensor  # model-space x1 [n, C, h, w]
    noise: torch.Tensor  # x0 [n, C, h, w]
    text: torch.Tensor  # [n, L, dim], zeroed where dropped
    times: torch.Tensor  # [n]
    coefficients: torch.Tensor  # [n]


def element_loss(kind, prediction, target):
    if kind == "mse":
        return F.mse_loss(prediction, target, reduction="none")
    if kind == "l1":
        return F.l1_loss(prediction, target, reduction="none")
    if kind == "huber":
        return F.huber_loss(prediction, target, reduction="none", delta=1.0)
    raise ValueError(f"loss {kind!r} is not one this script knows (mse, l1, huber)")


def backward_share(accelerator, model, share, loss_kind, micro_batch, pass_size=False):
    """Forward and backward of this process's samples; returns their per-sample losses (detached).

    `pass_size`: the model's forward also takes the latent height and width (the original's
    model.py: forward(x, t, text_embeds, height, width)).
    """
    world = accelerator.num_processes
    size = share.latents.shape[0]
    chunks = [(start, min(size, start + micro_batch)) for start in range(0, size, micro_batch)]
    losses = []
    for number, (start, end) in enumerate(chunks):
        x1, x0 = share.latents[start:end], share.noise[start:end]
        t = share.times[start:end]
        xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * x1
        last = number == len(chunks) - 1
        sync = accelerator.no_sync(model) if not last else nullcontext()
        with sync:
            with accelerator.autocast():
                size = tuple(xt.shape[-2:]) if pass_size else ()
                prediction = model(xt, t, share.text[start:end], *size)
            per_sample = element_loss(loss_kind, prediction.float(), x1 - x0).flatten(1).mean(1)
            accelerator.backward(world * (share.coefficients[start:end] * per_sample).sum())
        losses.append(per_sample.detach())
    return torch.cat(losses)

