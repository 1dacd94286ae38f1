"""Child: training-step throughput of one backbone in the given modes (and of macls, if asked).

One step is ``forward + cross-entropy + backward + AdamW step`` on a fixed batch of
``batch x frames x n_features`` (``benchmarks/models.py``'s ``make_step`` and ``race``; the fastest
of ``steps`` timed steps after ``warmup`` untimed ones). Modes:

- ``fp32``: eager float32 (torch's default TF32 settings);
- ``bf16``: bf16 autocast;
- ``bf16+channels_last``: bf16 with the model and its 4-D activations in NHWC (2-D CNNs only);
- ``bf16+compile``: bf16 with ``torch.compile``; when compiling fails the row says so and the
  eager bf16 step is timed instead (status ``fallback: ...``);
- ``fit``: what ``audiokit.train.fit`` runs by default on this device, its fast path resolved by
  the same functions (``audiokit.train.fastpath``, ``optim``): on CUDA bf16 + fused AdamW + TF32
  matmuls + channels_last for the 2-D CNNs, on the CPU fp32 + foreach AdamW (+ channels_last
  for the 2-D CNNs). The row's ``switches`` say which were on; against ``bf16`` /
  ``bf16+channels_last`` it measures the fused optimiser and TF32.

Every mode builds a fresh model, so one mode's memory format or compiled graph never leaks into
the next; peak CUDA memory is reset before each. An out-of-memory error fails that mode only.

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from audiokit import models
from audiokit.features import FeatureExtractor
from audiokit.train.config import TrainConfig
from audiokit.train.fastpath import is_2d, use_channels_last
from audiokit.train.optim import amp_dtype, optimizer_kernel
from benchmarks._device.budget import OK, failed, first_line, skipped
from benchmarks._device.child import emit, read_spec
from benchmarks.models import MACLS_NAMES, TWO_D, load_macls, make_step, race

MODES: dict[str, dict[str, bool | str]] = {
    "fp32": {"amp": False, "channels_last": False, "compile": False},
    "bf16": {"amp": True, "channels_last": False, "compile": False},
    "bf16+channels_last": {"amp": True, "channels_last": True, "compile": False},
    "bf16+compile": {"amp": True, "channels_last": False, "compile": True},
    "fit": {"amp": "auto", "channels_last": "auto", "compile": False, "fused": "auto", "tf32": True},
}


def switches(mode: dict[str, bool | str], model: torch.nn.Module, device: str) -> dict[str, Any]:
    """A mode's amp / channels_last / fused / tf32, with ``"auto"`` decided as ``fit`` decides it."""
    dev = torch.device(device)
    amp = mode["amp"] if mode["amp"] != "auto" else amp_dtype(TrainConfig(), dev) is not None
    cl = mode["channels_last"]
    if cl == "auto":
        cl = use_channels_last("auto", is_2d(model), dev)
    fused = optimizer_kernel(dev, mode["fused"])["fused"] if "fused" in mode else False
    return {"amp": bool(amp), "channels_last": bool(cl), "fused": fused,
            "tf32": bool(mode.get("tf32")) and dev.type == "cuda"}


@contextmanager
def tf32_matmuls(enabled: bool) -> Iterator[None]:
    """TF32 float32 matmuls inside the block (as ``fit``'s ``tf32`` sets them), torch's default after."""
    before = torch.get_float32_matmul_precision()
    if enabled:
        torch.set_float32_matmul_precision("high")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)
MACLS_MODES = ("fp32", "bf16")


def n_frames(seconds: float, n_features: int, sample_rate: int = 16000) -> int:
    """Frames of a ``seconds`` clip for the kit's 25 ms / 10 ms fbank (3 s -> 298)."""
    fe = FeatureExtractor("fbank", sample_rate=sample_rate, n_mels=n_features)
    return int(fe.frame_lengths(torch.tensor([round(seconds * sample_rate)]))[0])


def _free(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _timed(build: Callable[[], torch.nn.Module], mode: dict[str, bool | str], spec: dict[str, Any],
           compiled: bool) -> dict[str, Any]:
    """Build, (compile,) run one first step and ``race`` the rest; numbers of the fastest step."""
    device = spec["device"]
    model = build().to(device)
    on = switches(mode, model, device)
    if compiled:
        model = torch.compile(model)
    step = make_step(model, device, spec["batch"], spec["frames"], spec["n_features"],
                     amp=on["amp"], channels_last=on["channels_last"], fused=on["fused"])
    with tf32_matmuls(on["tf32"]):
        first_s = step()[0]  # includes cuDNN autotuning, and compiling for compiled models
        best = race({"step": step}, spec["steps"], max(0, spec["warmup"] - 1))["step"][0]
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    return {"clips_per_s": round(spec["batch"] / best, 3), "step_ms": round(best * 1e3, 3),
            "first_step_s": round(first_s, 3),
            "peak_mem_mib": round(peak, 1) if peak is not None else None, "switches": on}


def time_mode(build: Callable[[], torch.nn.Module], name: str, impl: str, mode_name: str,
              spec: dict[str, Any]) -> dict[str, Any]:
    """One table row: ``{"model", "impl", "mode", "device", "status", "wall_s", numbers...}``."""
    mode = MODES[mode_name]
    row: dict[str, Any] = {"kind": "row", "model": name, "impl": impl, "mode": mode_name,
                           "device": spec["device"], "clips_per_s": None, "step_ms": None,
                           "first_step_s": None, "peak_mem_mib": None}
    t0 = time.perf_counter()
    if mode["channels_last"] is True and name not in TWO_D:
        row["status"] = skipped("1-D model (channels_last is for 2-D CNNs)")
    elif mode["compile"] and not spec["device"].startswith("cuda"):
        row["status"] = skipped("no CUDA")
    else:
        _free(spec["device"])
        row.update(run_mode(build, mode, spec))
    row["wall_s"] = round(time.perf_counter() - t0, 3)
    _free(spec["device"])
    return row


def run_mode(build: Callable[[], torch.nn.Module], mode: dict[str, bool | str],
             spec: dict[str, Any]) -> dict[str, Any]:
    """Status and numbers of one mode; OOM and other errors fail it, a compile error falls back."""
    try:
        return {"status": OK, **_timed(build, mode, spec, compiled=mode["compile"])}
    except torch.cuda.OutOfMemoryError as exc:
        return {"status": failed(f"CUDA out of memory ({first_line(str(exc), 120)})")}
    except Exception as exc:  # noqa: BLE001 - a failing mode is a result, not a crash
        if not mode["compile"]:
            return {"status": failed(f"{type(exc).__name__}: {exc}")}
        why = f"{type(exc).__name__}: {first_line(str(exc), 160)}"
    torch._dynamo.reset()
    _free(spec["device"])
    try:
        numbers = _timed(build, mode, spec, compiled=False)
    except Exception as exc:  # noqa: BLE001
        return {"status": failed(f"torch.compile failed ({why}); eager fallback: {exc}")}
    return {"status": f"fallback: torch.compile failed ({why}); eager bf16 timed", **numbers}


def macls_builder(spec: dict[str, Any], name: str) -> tuple[Callable | None, str]:
    """A constructor of macls's model of the same name, or None and why not."""
    if spec.get("macls_skip"):
        return None, skipped(spec["macls_skip"])
    mm = load_macls(spec.get("macls_site"))
    if mm is None:
        return None, skipped("macls not importable (pass --macls-site)")
    cls = getattr(mm, MACLS_NAMES[name], None)
    if cls is None:
        return None, skipped(f"macls has no {MACLS_NAMES[name]}")
    return (lambda: cls(num_class=10, input_size=spec["n_features"])), OK


def main() -> None:
    spec = read_spec()
    name, device = spec["model"], spec["device"]
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    spec["frames"] = n_frames(spec["seconds"], spec["n_features"])

    def ours() -> torch.nn.Module:
        torch.manual_seed(0)
        return models.build(name, 10, spec["n_features"], preset=spec["preset"])

    theirs, macls_status = macls_builder(spec, name) if spec.get("macls") else (None, None)
    emit(spec["result"], {"kind": "info", "model": name, "frames": spec["frames"],
                          "params_m": round(models.count_parameters(ours()) / 1e6, 3),
                          "macls": macls_status})
    for mode in spec["modes"]:
        emit(spec["result"], time_mode(ours, name, "audiokit", mode, spec))
    if theirs is not None:
        for mode in MACLS_MODES:
            emit(spec["result"], time_mode(theirs, name, "macls", mode, spec))


if __name__ == "__main__":
    main()
