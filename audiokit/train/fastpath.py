"""The fast path of a run: which speed-ups apply to this model on this device.

Each speed-up is a :class:`~audiokit.train.config.TrainConfig` switch; ``"auto"`` is decided
here, per device and model, by small pure functions, and what a run resolved is one record
(:meth:`FastPath.record`) that every ``history.csv`` row carries:

- ``amp`` (``"auto"``): bf16 autocast (fp16 + GradScaler where the GPU has no native bf16);
- ``channels_last`` (``"auto"``): NHWC weights and activations for the 2-D CNNs, on CUDA and on
  the CPU, where convolutions over 4 M weights stay NCHW and batch norms of a few channels fold
  their backward (:func:`to_channels_last`; True: on any device; 1-D models never);
- ``fused_optimizer`` (``"auto"``): the fused AdamW / Adam / SGD kernel on CUDA, ``foreach``
  elsewhere (True: fused on any device, the CPU included; False: ``foreach``);
- ``tf32`` (True): TF32 tensor cores for float32 matmuls and convolutions;
- ``cudnn_benchmark`` (True): cuDNN autotuning for the fixed-length training crops (evaluation,
  whose clips vary in length, runs without it);
- ``pin_memory`` (True): page-locked batches, so the ``non_blocking`` copies are asynchronous;
- ``compile`` (False): ``"off"``, ``"on"`` or ``"failed"`` in the history (torch.compile
  failed: one warning, and the run goes on eagerly).

Those are the CUDA defaults; on the CPU only ``channels_last`` applies (2-D CNNs), the rest
leave a CPU run exactly what it was before any of them.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TypeVar

import torch
from torch import nn

from audiokit.models.folded_batchnorm import FoldedBatchNorm2d, folds
from audiokit.train.config import ConfigError

__all__ = ["FASTPATH_COLUMNS", "NCHW_WEIGHT_ELEMENTS", "SWITCHES", "CompileFallbackWarning",
           "CompileOrEager", "FastPath", "apply_backend_flags", "check_switches", "cudnn_autotune",
           "is_2d", "resolve_fastpath", "to_channels_last", "use_channels_last"]

FASTPATH_COLUMNS = ("amp", "channels_last", "fused_optimizer", "tf32", "cudnn_benchmark",
                    "pin_memory", "compile")
# TrainConfig switch -> whether it takes "auto" besides true / false
SWITCHES = {"compile": False, "channels_last": True, "fused_optimizer": True, "tf32": False,
            "cudnn_benchmark": False, "pin_memory": False}
T = TypeVar("T")


def check_switches(cfg) -> None:
    """Raise a :class:`ConfigError` naming the switch of ``cfg`` (a TrainConfig) that is not
    ``true`` / ``false`` (or ``"auto"`` where :data:`SWITCHES` allows it).

    Notebook: 06_pipeline_and_training_loop
    """
    for key, auto in SWITCHES.items():
        value = getattr(cfg, key)
        if not isinstance(value, bool) and not (auto and value == "auto"):
            raise ConfigError(f"{key} must be {'auto, ' * auto}true or false, got {value!r}")


def is_2d(model: nn.Module) -> bool:
    """True when ``model`` holds 2-D convolutions (the CNNs that read features as an image).

    Notebook: 14_comparing_backbones
    """
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def use_channels_last(setting: bool | str, two_d: bool, device: torch.device | str) -> bool:
    """Whether a model runs in NHWC: never for 1-D models; ``"auto"`` on CUDA and the CPU; True
    anywhere.

    Why on the CPU too: oneDNN's NHWC convolutions made the whole training step (forward,
    backward, AdamW; batch 8 x 298 frames x 80 bands, 2 threads, process time, best of 5
    interleaved) 1.10x faster for PANNs CNN6, 1.22x CNN10, 1.24x ResNetSE, 1.17x Res2Net, 1.13x
    CAM++ and 1.25x ERes2Net on an AMD EPYC (2026-12-04). The numbers a run computes change only
    by float rounding (another convolution kernel); a run and its resume use the same layout.

    Notebook: 06_pipeline_and_training_loop
    """
    if not two_d or setting is False:
        return False
    return setting is True or torch.device(device).type in ("cuda", "cpu")


#: On the CPU, a channels-last model keeps its convolutions with more weights than this in NCHW.
NCHW_WEIGHT_ELEMENTS = 4_000_000


def _nchw_input(module: nn.Module, args: tuple) -> tuple:
    """Forward pre-hook: the convolution's input in NCHW (a copy only when it arrives NHWC)."""
    return (args[0].contiguous(), *args[1:])


def to_channels_last(model: nn.Module, device: torch.device | str) -> list[str]:
    """Put ``model`` in channels-last (NHWC), in place; on the CPU its widest convolutions stay NCHW.

    Why the exception: oneDNN reorders an NHWC convolution's weights on every call, and for a
    convolution whose weights outnumber its activations that copy costs more than NHWC saves.
    Only PANNs CNN14's last blocks are that wide among the backbones (512 -> 1024 channels and
    up, 3 x 3, on maps of 2 x 9 to 5 x 18 at 80 bands x 298 frames; CNN6's widest convolution
    holds 3.3 M weights, CNN10's 2.4 M, the rest under 2 M). A single 2048 -> 2048 convolution on
    8 x 2048 x 2 x 9, forward + backward, took 855 ms NHWC against 640 ms NCHW (Intel Xeon with
    AVX-512, 2 threads, 2026-12-05; in CNN14's NHWC step the weight copies alone were 131 ms).
    CNN14's whole training step there (benchmarks/speed.py's batch, process time, three runs: best
    of 4 / 4 / 8 interleaved): all NHWC 3497 / 3456 / 3475 ms, NCHW 3405 / 3512 / 3299,
    NHWC with these four convolutions NCHW 3494 / 3205 / 3224. Not yet measured on another CPU.
    Their outputs are NCHW; the next NHWC layer takes either layout. On CUDA every convolution
    is NHWC (cuDNN's tensor-core kernels want it). On the CPU, batch norms whose channels do not
    fill a vector register become :class:`~audiokit.models.folded_batchnorm.FoldedBatchNorm2d`
    (the same state; torch's channels-last backward took up to 5x as long as the fold for them).

    Returns
    -------
    list of str
        The names of the convolutions kept NCHW (empty on CUDA and for narrower models).

    Notebook: 14_comparing_backbones
    """
    model.to(memory_format=torch.channels_last)
    if torch.device(device).type != "cpu":
        return []
    for m in model.modules():
        if type(m) is nn.BatchNorm2d and folds(m.num_features) > 1:
            m.__class__ = FoldedBatchNorm2d  # same state; a faster backward (its module docstring)
    kept = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and m.weight.numel() > NCHW_WEIGHT_ELEMENTS:
            m.weight.data = m.weight.data.contiguous()
            m.register_forward_pre_hook(_nchw_input)
            kept.append(name)
    return kept


@dataclass(frozen=True)
class FastPath:
    """What a run's fast-path switches resolved to on its device (see the module table)."""

    amp: str
    channels_last: bool
    fused_optimizer: bool
    tf32: bool
    cudnn_benchmark: bool
    pin_memory: bool

    def record(self, compile_status: str) -> dict[str, str | bool]:
        """The ``history.csv`` columns: these settings and the compile status."""
        return {**asdict(self), "compile": compile_status}


def resolve_fastpath(cfg, device: torch.device, model: nn.Module, amp: torch.dtype | None,
                     fused: bool) -> FastPath:
    """The :class:`FastPath` of ``cfg`` (a TrainConfig) for ``model`` on ``device``.

    ``amp`` is the autocast dtype (:func:`audiokit.train.optim.amp_dtype`) and ``fused``
    whether the optimiser runs its fused kernel (:func:`audiokit.train.optim.optimizer_kernel`),
    both as the run decided them.

    Notebook: 06_pipeline_and_training_loop
    """
    check_switches(cfg)
    cuda = device.type == "cuda"
    names = {torch.bfloat16: "bf16", torch.float16: "fp16", None: "off"}
    return FastPath(amp=names[amp],
                    channels_last=use_channels_last(cfg.channels_last, is_2d(model), device),
                    fused_optimizer=bool(fused),
                    tf32=cuda and bool(cfg.tf32), cudnn_benchmark=cuda and bool(cfg.cudnn_benchmark),
                    pin_memory=cuda and bool(cfg.pin_memory))


def apply_backend_flags(fp: FastPath, device: torch.device) -> None:
    """Set TF32 and cuDNN autotuning as ``fp`` says (process-wide torch flags; CUDA only).

    Notebook: 06_pipeline_and_training_loop
    """
    if device.type != "cuda":
        return
    # set_float32_matmul_precision keeps torch's old and new TF32 flags in agreement
    torch.set_float32_matmul_precision("high" if fp.tf32 else "highest")
    torch.backends.cudnn.allow_tf32 = fp.tf32
    torch.backends.cudnn.benchmark = fp.cudnn_benchmark


@contextmanager
def cudnn_autotune(enabled: bool) -> Iterator[None]:
    """cuDNN autotuning on or off inside the block, as it was after (for varying lengths)."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


class CompileFallbackWarning(RuntimeWarning):
    """torch.compile failed; the run continues with the eager model."""


class CompileOrEager(nn.Module):
    """A module called through ``torch.compile`` when that works, and eagerly when it does not.

    ``torch.compile`` compiles lazily, at the first call (and again when a guard fails), so a
    broken backend surfaces inside a training step. :meth:`attempt` runs a step; when compiling
    fails it warns once, in one line, drops the compiled module and runs the step again eagerly.
    A failure counts as a compile failure when it is one of torch._dynamo's errors, or anything
    raised before the first compiled step went through; later errors are the step's own.

    Parameters
    ----------
    module : torch.nn.Module
        The eager module (the model, or its DistributedDataParallel wrapper).
    enabled : bool
        Compile at all (False: a plain pass-through, ``status == "off"``).
    compiler : callable, optional
        Replaces ``torch.compile`` (for tests and other backends).

    Notebook: 06_pipeline_and_training_loop
    """

    def __init__(self, module: nn.Module, enabled: bool,
                 compiler: Callable[[nn.Module], Callable] | None = None) -> None:
        super().__init__()
        self.eager = module
        self.status = "off"
        self._compiled: Callable | None = None  # not a submodule: it shares eager's parameters
        self._proven = False
        if enabled:
            try:
                self._compiled = (compiler or torch.compile)(module)
                self.status = "on"
            except Exception as exc:  # noqa: BLE001 - any failure to compile means: run eagerly
                self._fall_back(exc)

    def forward(self, *args, **kwargs):
        return (self._compiled or self.eager)(*args, **kwargs)

    def attempt(self, step: Callable[[], T]) -> T:
        """``step()`` (which calls this module), run again eagerly if compiling failed in it."""
        try:
            out = step()
        except Exception as exc:
            if not self._is_compile_failure(exc):
                raise
            self._fall_back(exc)
            out = step()
        self._proven = True
        return out

    def _is_compile_failure(self, exc: Exception) -> bool:
        if self._compiled is None:
            return False
        from torch._dynamo.exc import TorchDynamoException

        return isinstance(exc, TorchDynamoException) or not self._proven

    def _fall_back(self, exc: Exception) -> None:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        warnings.warn(f"torch.compile failed ({type(exc).__name__}: {first}); "
                      "training continues with the eager model", CompileFallbackWarning,
                      stacklevel=3)
        self._compiled, self.status = None, "failed"
        torch._dynamo.reset()  # drop the half-built graphs and their guards
