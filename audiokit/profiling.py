"""Timing a call and counting a model's size and FLOPs: what the notebooks measure, in one place.

Notebook: 13_eres2net, 14_comparing_backbones, 15_inference_and_deployment
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

__all__ = ["model_cost", "time_call"]


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
