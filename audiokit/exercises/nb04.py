"""Exercises of notebook 04: mel filterbanks, MFCC and normalisation.

Notebook: 04_mel_mfcc_fbank
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _single_bin_bands(tiny: bool) -> int:
    """How many of 128 log-mel bands (``n_fft = 512``, 16 kHz) have weight on one FFT bin only.

    Notebook: 04_mel_mfcc_fbank
    """
    from audiokit.features import FeatureExtractor

    counts = {}
    for n_fft in (512, 1024, 2048):
        fb = FeatureExtractor("log_mel", sample_rate=16000, n_mels=128, n_fft=n_fft,
                              win_length=400).mel_fb.T  # (n_mels, n_fft // 2 + 1)
        bins_per_band = (fb > 0).sum(dim=1)
        counts[n_fft] = int((bins_per_band <= 1).sum())
        print(f"n_fft {n_fft:4d}: {counts[n_fft]:3d} of 128 bands cover at most one bin "
              f"(bins {16000 / n_fft:.1f} Hz apart)")
    return counts[512]


def _mfcc_inversion(tiny: bool) -> dict[str, float]:
    """Error (dB) of the log-mel rebuilt from all 40 MFCCs and from the first 13 (inverse DCT).

    Notebook: 04_mel_mfcc_fbank
    """
    import numpy as np
    import scipy.fft
    import torch

    from audiokit.datasets import load_builtin
    from audiokit.features import FeatureExtractor

    clip = load_builtin("spoken_digits", "test")[0][0][None]  # (1, samples)
    with torch.no_grad():
        log_mel = FeatureExtractor("log_mel", n_mels=40)(clip)[0].numpy()
        errors = {}
        for n_mfcc in (40, 13):
            coeffs = FeatureExtractor("mfcc", n_mels=40, n_mfcc=n_mfcc)(clip)[0].numpy()
            padded = np.pad(coeffs, ((0, 0), (0, 40 - n_mfcc)))  # dropped coefficients = 0
            rebuilt = scipy.fft.idct(padded, type=2, norm="ortho", axis=1)
            errors[f"{n_mfcc} coefficients: max |error| dB"] = float(np.abs(rebuilt - log_mel).max())
            errors[f"{n_mfcc} coefficients: RMS error dB"] = float(np.sqrt(np.mean((rebuilt - log_mel) ** 2)))
    return errors


def _cmn_and_noise(tiny: bool) -> dict[str, float]:
    """Mean |difference| (dB) of CMN log-mel features: a clip against the same clip at half the
    amplitude, and against the clip plus white noise at RMS 0.01.

    Notebook: 04_mel_mfcc_fbank
    """
    import torch

    from audiokit import signals
    from audiokit.datasets import load_builtin
    from audiokit.features import FeatureExtractor

    clip = load_builtin("spoken_digits", "test")[0][0]
    floor = torch.from_numpy(signals.noise(len(clip) / 16000, 16000, amplitude=1e-4, seed=2))
    clip = clip + floor[: len(clip)]  # no digital silence: log of zero would dominate
    noise = torch.from_numpy(signals.noise(len(clip) / 16000, 16000, amplitude=0.01, seed=1))
    cmn = FeatureExtractor("log_mel", n_mels=40, normalize="cmn")
    with torch.no_grad():
        f_clip, f_quiet, f_noisy = cmn(torch.stack([clip, 0.5 * clip, clip + noise[: len(clip)]]))
    return {"half amplitude": float((f_clip - f_quiet).abs().mean()),
            "plus noise": float((f_clip - f_noisy).abs().mean())}


EXERCISES: list[Exercise] = [
    Exercise(
        "04.1",
        question="Build `FeatureExtractor(\"log_mel\", n_mels=128, n_fft=512)` at 16 kHz and look "
                 "at its filterbank. How many of the 128 bands put weight on a single FFT bin "
                 "(or none)? Why, and what would fix it?",
        hint="`extractor.mel_fb` is (bins, bands); count the non-zero weights of each band. "
             "Compare the width of a low mel band in Hz with the bin spacing sr / n_fft.",
        answer=24,
        unit="bands",
        solve=_single_bin_bands,
        why="Low mel bands are narrower than the 31.25 Hz between bins of a 512-point FFT, so a "
            "triangle catches one bin (its band is just a copy of that bin, and neighbours "
            "repeat each other). A longer FFT (n_fft = 1024 or 2048, finer bins) or fewer mel "
            "bands (or a higher f_min) fixes it.",
    ),
    Exercise(
        "04.2",
        question="Compute MFCCs with `n_mfcc = n_mels` and invert the DCT "
                 "(`scipy.fft.idct(..., norm=\"ortho\")`). Do you get the log-mel back? What do "
                 "you lose when you keep only 13?",
        hint="Pad the kept coefficients with zeros up to n_mels before the inverse DCT, and "
             "compare with the log-mel of the same extractor settings.",
        solve=_mfcc_inversion,
        why="The orthonormal DCT is a rotation: with all coefficients the log-mel comes back up "
            "to float rounding. Keeping 13 is a low-pass filter along frequency: the smooth "
            "envelope (formants, tilt) survives, the fine structure across bands (the harmonics "
            "of the voice's pitch, narrow peaks) is lost, a few dB on average.",
    ),
    Exercise(
        "04.3",
        question="Add `signals.noise(amplitude=0.01)` to a clip. Does CMN remove the change in "
                 "the features, as it removes a gain change? Why not?",
        hint="A gain multiplies the power in every band; noise adds power. What does a "
             "logarithm turn each of them into?",
        solve=_cmn_and_noise,
        why="A gain is a product, so in dB it is the same shift in every frame of a band, which "
            "the mean subtraction cancels exactly. Noise adds power: quiet frames and bands rise "
            "a lot, loud ones hardly at all, so the change differs from frame to frame and no "
            "per-band constant can undo it.",
    ),
]
