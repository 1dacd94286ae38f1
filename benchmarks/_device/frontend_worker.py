"""Child: the kit's ``FeatureExtractor`` (CPU, and on the GPU when there is one) vs librosa.

librosa computes the same log-mel (``benchmarks/features.py``'s settings: 512-point FFT, 25 ms
window, 10 ms hop, 80 bands from 20 Hz) on the CPU, one batched ``(B, samples)`` call. Times are
medians of ``repeats`` runs after a warm-up (``benchmarks/features.py``'s ``median_time``); the
ratios are librosa / ours, so > 1 means ours is faster.

Notebook: 03_fourier_and_stft
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from audiokit.features import FeatureExtractor
from benchmarks._device.child import emit, read_spec
from benchmarks.features import F_MIN, HOP, N_FFT, N_MELS, SR, WIN, librosa_log_mel, median_time


def _ours(fe: FeatureExtractor, x: torch.Tensor):
    def run() -> torch.Tensor:
        with torch.inference_mode():
            return fe(x)
    return run


def measure(batch: int, seconds: float, repeats: int, cuda: bool) -> dict[str, Any]:
    """Median ms of librosa (CPU, batched), ours on the CPU and ours on CUDA, with the ratios."""
    rng = np.random.default_rng(0)
    y = (0.1 * rng.standard_normal((batch, int(seconds * SR)))).astype(np.float32)
    x = torch.from_numpy(y)
    fe = FeatureExtractor("log_mel", sample_rate=SR, n_fft=N_FFT, win_length=WIN, hop_length=HOP,
                          n_mels=N_MELS, f_min=F_MIN).eval()
    t_librosa = median_time(lambda: librosa_log_mel(y), repeats)
    t_cpu = median_time(_ours(fe, x), repeats)
    t_cuda = None
    if cuda:
        t_cuda = median_time(_ours(fe.to("cuda"), x.to("cuda")), repeats, sync=torch.cuda.synchronize)
    return {
        "batch": batch, "seconds": seconds, "repeats": repeats,
        "librosa_cpu_ms": round(t_librosa * 1e3, 3),
        "ours_cpu_ms": round(t_cpu * 1e3, 3),
        "ours_cuda_ms": round(t_cuda * 1e3, 3) if t_cuda is not None else None,
        "ratio_librosa_over_ours_cpu": round(t_librosa / t_cpu, 3),
        "ratio_librosa_over_ours_cuda": round(t_librosa / t_cuda, 3) if t_cuda else None,
        "torch_threads": torch.get_num_threads(),
    }


def main() -> None:
    spec = read_spec()
    emit(spec["result"], measure(spec["batch"], spec["seconds"], spec["repeats"],
                                 spec["device"].startswith("cuda")))


if __name__ == "__main__":
    main()
