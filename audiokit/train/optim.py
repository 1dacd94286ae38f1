"""Optimiser, learning-rate schedule and mixed precision of a run.

The schedule is a linear warm-up followed by a cosine decay to 0, stepped once per batch.
Mixed precision is bf16 on CUDA by default where the GPU has bf16 units (no loss scaling needed),
fp16 with a GradScaler on older GPUs or on request, and off on CPU / MPS unless asked for
(``amp="bf16"`` on a CPU with native bf16). On CUDA the optimiser runs its fused kernel (one
launch for all parameters, no host sync even under a GradScaler); elsewhere the ``foreach``
kernel, which gives the CPU the very numbers of torch's default, with Adam's large tensors in
cache-sized blocks (:mod:`audiokit.train.blocked_adam`; the fused kernel is faster there too,
opt-in: :func:`optimizer_kernel` says why it is not the default).

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch

from audiokit.train.blocked_adam import BlockedAdam, BlockedAdamW
from audiokit.train.config import ConfigError, TrainConfig

__all__ = [
    "amp_dtype",
    "autocast",
    "cpu_has_native_bf16",
    "load_optimizer_state",
    "lr_lambda",
    "make_optimizer",
    "make_scheduler",
    "optimizer_kernel",
]


def optimizer_kernel(device: torch.device | str, fused: bool | str = "auto") -> dict[str, bool]:
    """The optimiser's kernel keywords on ``device``: ``{"fused": bool, "foreach": bool}``.

    ``fused="auto"`` picks the fused kernel on CUDA and ``foreach`` elsewhere; ``True`` asks for
    the fused kernel on any device; ``False`` is always ``foreach``. On the CPU ``foreach`` gives
    the very numbers of torch's default; the fused kernel meets them to a few float32 roundings
    (AdamW, Adam; SGD bit for bit).

    The fused kernel on the CPU (``fused_optimizer: true``) is faster: AdamW's ``step()`` alone
    (2 threads, process time, best of 5; Intel Xeon, 2026-12-05) took 1.1 ms fused vs 9.9 ms
    ``foreach`` for TDNN's 2.8 M parameters, 3.1 vs 23.4 ms Res2Net, 94 vs 400 ms PANNs CNN14
    (``foreach`` on the CPU makes about seven passes over the optimiser's memory, fused one);
    ``audiokit train`` 3 min 44 s vs 3 min 51 s. Why it is not the CPU's default: seven seeds of
    the default digits recipe (same CPU) printed 91.8 / 90.9 / 85.5 / 89.3 / 84.4 / 91.4 / 91.1 %
    on the test split with it (mean 89.2), against 91.4 / 89.5 / 92.3 / 90.9 / 88.6 % for seeds
    0 / 3 / 4 / 5 / 6 with ``foreach`` (seeds 1 / 2: 91.1 / 93.3, README; mean 91.0). Rounding
    this small can only re-draw a run, so that is most likely the recipe's seed spread, but
    ``foreach`` keeps every published figure reproducible.

    Notebook: 06_pipeline_and_training_loop
    """
    use_fused = fused is True or (fused == "auto" and torch.device(device).type == "cuda")
    return {"fused": use_fused, "foreach": not use_fused}


def load_optimizer_state(opt: torch.optim.Optimizer, state: dict) -> None:
    """``opt.load_state_dict(state)``, keeping ``opt``'s own kernel (fused or foreach).

    A checkpoint's parameter groups carry the kernel chosen on the device it was written on; a
    run resumed on another device (or from a checkpoint older than that choice) keeps the one
    :func:`optimizer_kernel` chose here, and the fused kernel's step counters move to the
    parameters' device as it needs them.

    Notebook: 06_pipeline_and_training_loop
    """
    groups = [{**saved, **{k: now.get(k) for k in ("fused", "foreach")}}
              for saved, now in zip(state["param_groups"], opt.param_groups)]
    groups += state["param_groups"][len(groups):]  # a count mismatch is load_state_dict's error
    opt.load_state_dict({**state, "param_groups": groups})


def make_optimizer(cfg: TrainConfig, params,
                   device: torch.device | str = "cpu") -> torch.optim.Optimizer:
    """``cfg.optimizer`` over ``params``: AdamW, Adam, or SGD (momentum 0.9, Nesterov).

    The kernel (fused on CUDA, ``foreach`` elsewhere) is :func:`optimizer_kernel`'s choice for
    ``device`` and ``cfg.fused_optimizer``. AdamW and Adam are
    :class:`~audiokit.train.blocked_adam.BlockedAdamW` / ``BlockedAdam``: torch's classes, whose
    ``foreach`` step on the CPU runs large tensors in cache-sized blocks (the same numbers, bit
    for bit; PANNs CNN14's training step 1.12x faster).

    Notebook: 06_pipeline_and_training_loop
    """
    name = cfg.optimizer.lower()
    if name not in ("adamw", "adam", "sgd"):
        raise ConfigError(f"unknown optimizer {cfg.optimizer!r}; valid: adamw, adam, sgd")
    kernel = optimizer_kernel(device, cfg.fused_optimizer)
    if name == "adamw":
        return BlockedAdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, **kernel)
    if name == "adam":
        return BlockedAdam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, **kernel)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                           weight_decay=cfg.weight_decay, **kernel)


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


def amp_dtype(cfg: TrainConfig, device: torch.device,
              bf16_supported: bool | None = None) -> torch.dtype | None:
    """The autocast dtype of ``cfg.amp`` on ``device`` (None = full precision).

    ``"auto"`` on CUDA is bf16 where the GPU computes it natively (Ampere, sm_80, and later) and
    fp16 (with a GradScaler) on older GPUs, whose bf16 is only emulated; off elsewhere.
    On the CPU ``"bf16"`` is an opt-in: bf16 autocast where the CPU computes bf16 natively
    (oneDNN's check: AVX512-BF16 or AMX), else full precision with a warning (emulated bf16 is
    slower than float32); ``"auto"`` and ``"fp16"`` stay float32 there. Why opt-in: on an AMD
    EPYC with AVX512-BF16 (2 threads) a training step ran 1.3-2.1x faster in bf16 across the ten
    backbones (``benchmarks/speed.py``, two runs), but it trains the digits recipe to 85.7 /
    85.5 / 93.0 % on its test split against float32's 91.4 / 91.1 / 93.3 (seeds 0-2, README
    "Speed, measured"); the recipes' README figures are float32. ``bf16_supported`` overrides
    the query of the current GPU or CPU (for tests).

    Notebook: 06_pipeline_and_training_loop
    """
    amp = str(cfg.amp).lower()
    if amp not in ("auto", "bf16", "fp16", "off", "false", "none"):
        raise ConfigError(f"amp must be auto, bf16, fp16 or off, got {cfg.amp!r}")
    if device.type == "cpu" and amp == "bf16":
        if bf16_supported is None:
            bf16_supported = cpu_has_native_bf16()
        if bf16_supported:
            return torch.bfloat16
        warnings.warn("amp=bf16: this CPU has no native bf16 (AVX512-BF16 or AMX); emulated bf16 "
                      "is slower than float32, so the run trains in float32", stacklevel=2)
        return None
    if device.type != "cuda" or amp in ("off", "false", "none"):
        return None
    if amp == "auto":
        if bf16_supported is None:
            bf16_supported = torch.cuda.is_bf16_supported(including_emulation=False)
        amp = "bf16" if bf16_supported else "fp16"
    return torch.float16 if amp == "fp16" else torch.bfloat16


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 convolutions and matmuls natively on this CPU (AVX512-BF16 or AMX).

    Notebook: 06_pipeline_and_training_loop
    """
    try:
        return bool(torch.backends.mkldnn.is_available()
                    and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without the query
        return False


def autocast(device: torch.device, dtype: torch.dtype | None) -> torch.autocast:
    """An autocast context for ``dtype`` on ``device`` (disabled when ``dtype`` is None)."""
    if dtype is None:
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=dtype)
