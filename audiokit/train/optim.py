"""Optimiser, learning-rate schedule and mixed precision of a run.

The schedule is a linear warm-up followed by a cosine decay to 0, stepped once per batch.
Mixed precision is bf16 on CUDA by default (no loss scaling needed), fp16 with a GradScaler on
request, and off on CPU / MPS.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from audiokit.train.config import ConfigError, TrainConfig

__all__ = ["amp_dtype", "autocast", "lr_lambda", "make_optimizer", "make_scheduler"]


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    """``cfg.optimizer`` over ``params``: AdamW, Adam, or SGD (momentum 0.9, Nesterov).

    Notebook: 06_pipeline_and_training_loop
    """
    name = cfg.optimizer.lower()
    if name == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                               weight_decay=cfg.weight_decay)
    raise ConfigError(f"unknown optimizer {cfg.optimizer!r}; valid: adamw, adam, sgd")


def lr_lambda(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """Learning-rate factor per step: linear warm-up to 1 over ``warmup_steps``, then cosine to 0.

    Notebook: 06_pipeline_and_training_loop
    """
    def f(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return f


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig,
                   steps_per_epoch: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The per-batch schedule of :func:`lr_lambda` over ``cfg.epochs`` epochs.

    Notebook: 06_pipeline_and_training_loop
    """
    total = steps_per_epoch * cfg.epochs
    warm = round(cfg.warmup_epochs * steps_per_epoch)
    return torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(total, warm))


def amp_dtype(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of ``cfg.amp`` on ``device`` (None = full precision).

    Notebook: 06_pipeline_and_training_loop
    """
    amp = str(cfg.amp).lower()
    if amp not in ("auto", "bf16", "fp16", "off", "false", "none"):
        raise ConfigError(f"amp must be auto, bf16, fp16 or off, got {cfg.amp!r}")
    if device.type != "cuda" or amp in ("off", "false", "none"):
        return None
    return torch.float16 if amp == "fp16" else torch.bfloat16


def autocast(device: torch.device, dtype: torch.dtype | None) -> torch.autocast:
    """An autocast context for ``dtype`` on ``device`` (disabled when ``dtype`` is None)."""
    if dtype is None:
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=dtype)
