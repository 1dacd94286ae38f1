"""Time ``FeatureExtractor("log_mel")`` against librosa on 64 three-second 16 kHz clips.

Run: ``python benchmarks/features.py [--repeats 7] [--batch 64] [--seconds 3]``.
Prints the median wall time of each method (after one warm-up) and the ratios
librosa / ours (> 1 means ours is faster). CUDA time is added when a GPU is present.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import librosa
import numpy as np
import torch

from audiokit.features import FeatureExtractor

SR, N_FFT, WIN, HOP, N_MELS, F_MIN = 16000, 512, 400, 160, 80, 20.0


def median_time(
    fn: Callable[[], object], repeats: int, sync: Callable[[], None] = lambda: None
) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs after one warm-up call."""
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def librosa_log_mel(y: np.ndarray) -> np.ndarray:
    """librosa log-mel of ``y`` (one clip or a batch ``(B, samples)``)."""
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, win_length=WIN, n_mels=N_MELS, fmin=F_MIN
    )
    return librosa.power_to_db(S, ref=1.0, top_db=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    y = (0.1 * rng.standard_normal((args.batch, int(args.seconds * SR)))).astype(np.float32)
    x = torch.from_numpy(y)
    fe = FeatureExtractor(
        "log_mel",
        sample_rate=SR,
        n_fft=N_FFT,
        win_length=WIN,
        hop_length=HOP,
        n_mels=N_MELS,
        f_min=F_MIN,
    ).eval()
    print(
        f"batch {y.shape} float32, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"librosa {librosa.__version__}, median of {args.repeats} after a warm-up"
    )

    def ours() -> torch.Tensor:
        with torch.inference_mode():
            return fe(x)

    t_ours = median_time(ours, args.repeats)
    t_loop = median_time(lambda: [librosa_log_mel(clip) for clip in y], args.repeats)
    t_batch = median_time(lambda: librosa_log_mel(y), args.repeats)
    print(f"FeatureExtractor (CPU)      {t_ours * 1e3:9.1f} ms")
    print(
        f"librosa per-clip loop       {t_loop * 1e3:9.1f} ms   ratio librosa/ours = {t_loop / t_ours:5.2f}x"
    )
    print(
        f"librosa batched (B, n) call {t_batch * 1e3:9.1f} ms   ratio librosa/ours = {t_batch / t_ours:5.2f}x"
    )

    if torch.cuda.is_available():
        fe_cuda, x_cuda = fe.to("cuda"), x.to("cuda")

        def ours_cuda() -> torch.Tensor:
            with torch.inference_mode():
                return fe_cuda(x_cuda)[0]

        t_cuda = median_time(ours_cuda, args.repeats, sync=torch.cuda.synchronize)
        print(
            f"FeatureExtractor (CUDA, {torch.cuda.get_device_name()}) {t_cuda * 1e3:9.2f} ms   "
            f"ratio librosa batched/ours = {t_batch / t_cuda:6.1f}x"
        )
    else:
        print("CUDA: no GPU present, skipped")


if __name__ == "__main__":
    main()
