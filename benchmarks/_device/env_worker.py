"""Child: describe the machine (GPU, driver, CUDA, cuDNN, torch, TF32 / bf16, CPUs, models).

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from typing import Any

import torch

from benchmarks._device.child import emit, read_spec


def driver_version() -> str | None:
    """The NVIDIA driver version from ``nvidia-smi`` (None without it; 10 s timeout)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def gpu_info() -> dict[str, Any]:
    """Per-GPU name, memory (GiB) and compute capability, plus TF32 / bf16 support."""
    if not torch.cuda.is_available():
        return {"cuda_available": False, "gpu_count": 0, "gpus": [], "tf32_supported": False,
                "bf16_supported": False}
    gpus = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        gpus.append({"name": p.name, "memory_gib": round(p.total_memory / 2**30, 1),
                     "capability": f"{p.major}.{p.minor}"})
    major = torch.cuda.get_device_capability(0)[0]
    return {"cuda_available": True, "gpu_count": len(gpus), "gpus": gpus,
            "tf32_supported": major >= 8,  # TF32 tensor cores exist from Ampere (sm_80) on
            "bf16_supported": bool(torch.cuda.is_bf16_supported())}


def model_names() -> dict[str, Any]:
    """``audiokit.models.available()``; a broken import is reported, not fatal (the GPU facts
    above are what the other sections need most)."""
    try:
        from audiokit import models

        return {"models": models.available(), "models_error": None}
    except Exception as exc:  # noqa: BLE001
        return {"models": [], "models_error": f"{type(exc).__name__}: {exc}"}


def describe() -> dict[str, Any]:
    """Everything the environment section reports."""
    info = {
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "driver": driver_version(),
        "tf32_matmul_enabled": bool(torch.backends.cuda.matmul.allow_tf32),
        "tf32_cudnn_enabled": bool(torch.backends.cudnn.allow_tf32),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    info.update(model_names())
    info.update(gpu_info())
    info["gpu_name"] = info["gpus"][0]["name"] if info["gpus"] else None
    return info


def main() -> None:
    spec = read_spec()
    emit(spec["result"], describe())


if __name__ == "__main__":
    main()
