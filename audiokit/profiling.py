"""Timing a call and counting a model's size and FLOPs: what the notebooks measure, in one place.

:func:`time_call` times any call; :func:`model_cost` counts parameters and FLOPs;
:func:`forward_time` and :func:`train_step_time` time a backbone's inference pass and training
step on random features of a given shape.

Notebook: 13_eres2net, 14_comparing_backbones, 15_inference_and_deployment
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

__all__ = ["forward_time", "model_cost", "time_call", "train_step_time"]


def time_call(fn: Callable[[], object], repeats: int = 5, warmup: int = 1,
              reduce: str = "median") -> float:
    """Wall time of ``fn()`` in seconds: ``warmup`` calls first, then the median (or ``"min"``)
    of ``repeats`` timed calls.

    The median is what a student sees on a busy laptop; the minimum is the closest to the
    machine's speed when nothing else runs (use it to compare two implementations).

    Notebook: 15_inference_and_deployment
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats}, {warmup}")
    if reduce not in ("median", "min"):
        raise ValueError(f"reduce must be 'median' or 'min', got {reduce!r}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) if reduce == "median" else np.min(times))


def model_cost(model: torch.nn.Module, n_frames: int = 100, n_features: int = 80) -> tuple[int, float]:
    """``(parameters, GFLOPs)`` of one forward pass of a backbone on one clip of ``n_frames``
    feature frames (``torch.utils.flop_counter``: multiply-adds count as 2 FLOPs).

    Notebook: 14_comparing_backbones
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.randn(1, n_frames, n_features))
    finally:
        model.train(was_training)
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() / 1e9


def forward_time(model: torch.nn.Module, batch: int = 8, n_frames: int = 100, n_features: int = 80,
                 repeats: int = 5, warmup: int = 1, reduce: str = "median") -> float:
    """Wall time in seconds of one inference forward pass (``eval``, no gradients) of a backbone
    on a batch of ``batch`` random clips of ``n_frames`` x ``n_features`` features.

    Timed with :func:`time_call` (``warmup`` untimed calls, then the median or minimum of
    ``repeats``), on the device the model's parameters are on. The model's training mode is
    restored afterwards.

    Notebook: 13_eres2net
    """
    device = next(model.parameters()).device
    x = torch.randn(batch, n_frames, n_features, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return time_call(lambda: _synced(model, x), repeats=repeats, warmup=warmup, reduce=reduce)
    finally:
        model.train(was_training)


def train_step_time(model: torch.nn.Module, batch: int = 32, n_frames: int = 100,
                    n_features: int = 80, repeats: int = 3, warmup: int = 1,
                    reduce: str = "median") -> float:
    """Wall time in seconds of one training step (forward, cross-entropy, backward, SGD update)
    of a backbone on ``batch`` random clips of ``n_frames`` x ``n_features`` features.

    The model is trained on a deep copy, so the given model's weights and mode are untouched.
    Timed with :func:`time_call`. Data loading and feature extraction are not included: this is
    the network's own cost per step, comparable between backbones.

    Notebook: 14_comparing_backbones
    """
    import copy

    net = copy.deepcopy(model).train()
    device = next(net.parameters()).device
    x = torch.randn(batch, n_frames, n_features, device=device)
    y = torch.randint(0, int(net.num_classes), (batch,), device=device)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(_synced(net, x), y).backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return time_call(step, repeats=repeats, warmup=warmup, reduce=reduce)


def _synced(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``, waiting for a CUDA device to finish (so the time is the work, not the launch)."""
    out = model(x)
    if x.device.type == "cuda":
        torch.cuda.synchronize(x.device)
    return out
