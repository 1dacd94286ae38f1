"""The fixed matrices of the front-end: frame windows, mel filterbanks and the DCT.

Everything here is NumPy float64, computed once per ``FeatureExtractor`` and stored as float32
buffers. librosa supplies the STFT window and the Slaney mel filterbank; Kaldi's filterbank and
windows are written out because librosa has no Kaldi variant.

Notebook: 04_mel_mfcc_fbank
"""

from __future__ import annotations

import librosa
import numpy as np
import scipy.fft

__all__ = [
    "KALDI_EPS",
    "KALDI_WINDOWS",
    "dct_matrix",
    "kaldi_mel",
    "kaldi_mel_filterbank",
    "kaldi_window",
    "mel_filterbank",
    "next_pow2",
    "stft_window",
]

KALDI_WINDOWS = ("povey", "hann", "hanning", "hamming", "rectangular")
# Kaldi floors the mel energies at float32 machine epsilon before the natural log.
KALDI_EPS = float(np.finfo(np.float32).eps)


def next_pow2(n: int) -> int:
    """Smallest power of two >= ``n`` (Kaldi's FFT size for a frame of ``n`` samples)."""
    return 1 << (int(n) - 1).bit_length()


def stft_window(name: str, win_length: int, n_fft: int) -> np.ndarray:
    """Periodic STFT window of ``win_length`` samples centred in ``n_fft``, shape ``(n_fft,)``.

    The same window ``librosa.stft`` uses (``get_window(name, win_length, fftbins=True)``, then
    zero-padded on both sides to ``n_fft``).

    Parameters
    ----------
    name : str
        Any librosa / scipy window name (``"hann"``, ``"hamming"``, ``"blackman"`` ...).
    win_length, n_fft : int
        Window length and FFT size in samples (``win_length <= n_fft``).

    Notebook: 03_fourier_and_stft
    """
    try:
        window = librosa.filters.get_window(name, win_length, fftbins=True)
    except Exception as exc:  # scipy raises ValueError / KeyError / TypeError
        raise ValueError(f"FeatureExtractor: unknown window {name!r} ({exc})") from exc
    return librosa.util.pad_center(window, size=n_fft)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float = 20.0, f_max: float | None = None
) -> np.ndarray:
    """librosa's Slaney mel filterbank (area-normalised triangles), ``(n_mels, n_fft // 2 + 1)``.

    Parameters
    ----------
    sample_rate : int
        Sampling rate in Hz.
    n_fft : int
        FFT size in samples.
    f_min, f_max : float
        Lowest / highest filter edge in Hz (``f_max`` None = Nyquist).

    Notebook: 04_mel_mfcc_fbank
    """
    return librosa.filters.mel(
        sr=sample_rate,
        n_fft=n_fft,
        n_mels=n_mels,
        fmin=f_min,
        fmax=f_max,
        htk=False,
        norm="slaney",
        dtype=np.float64,
    )


def dct_matrix(n_mels: int, n_mfcc: int) -> np.ndarray:
    """Orthonormal DCT-II rows, shape ``(n_mfcc, n_mels)``: ``mfcc = dct_matrix @ log_mel``.

    The same transform as ``scipy.fft.dct(..., type=2, norm="ortho")`` and
    ``librosa.feature.mfcc``.

    Notebook: 04_mel_mfcc_fbank
    """
    return scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:n_mfcc]


def kaldi_mel(f_hz: np.ndarray | float) -> np.ndarray:
    """Kaldi's mel scale ``1127 ln(1 + f / 700)`` (Hz -> mel).

    Notebook: 04_mel_mfcc_fbank
    """
    return 1127.0 * np.log1p(np.asarray(f_hz, dtype=np.float64) / 700.0)


def kaldi_mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float = 20.0, f_max: float | None = None
) -> np.ndarray:
    """Kaldi-style triangular mel filterbank, shape ``(n_mels, n_fft // 2 + 1)``.

    librosa has no Kaldi filterbank: Kaldi places triangles evenly on its own mel scale
    (``1127 ln(1 + f/700)``), computes each weight *in the mel domain* (triangle in mel, not in Hz),
    does not normalise the area (librosa's ``norm="slaney"`` does) and gives the Nyquist bin zero
    weight. So it is written out here, following the Kaldi ``MelBanks`` definition.

    Parameters
    ----------
    sample_rate : int
        Sampling rate in Hz.
    n_fft : int
        FFT size in samples (the padded frame length).
    n_mels : int
        Number of triangular filters.
    f_min, f_max : float
        Lowest / highest filter edge in Hz. ``f_max`` None or <= 0 means Nyquist + f_max (Kaldi).

    Notebook: 04_mel_mfcc_fbank
    """
    nyquist = 0.5 * sample_rate
    high = nyquist if f_max is None else (f_max if f_max > 0 else nyquist + f_max)
    if not 0.0 <= f_min < high <= nyquist:
        raise ValueError(
            f"features: need 0 <= f_min < f_max <= Nyquist, got f_min={f_min}, f_max={high}"
        )
    mel_low, mel_high = kaldi_mel(f_min), kaldi_mel(high)
    delta = (mel_high - mel_low) / (n_mels + 1)
    n_bins = n_fft // 2 + 1
    mel = kaldi_mel(np.arange(n_bins) * sample_rate / n_fft)  # (n_bins,)
    left = mel_low + delta * np.arange(n_mels)[:, None]
    center, right = left + delta, left + 2 * delta
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    fb = np.where((mel > left) & (mel < right), np.where(mel <= center, up, down), 0.0)
    fb[:, -1] = 0.0  # Kaldi uses only the first n_fft // 2 bins
    return fb


def kaldi_window(name: str, size: int) -> np.ndarray:
    """Kaldi frame windows (symmetric: denominators use ``size - 1``), shape ``(size,)``.

    Notebook: 04_mel_mfcc_fbank
    """
    a = 2.0 * np.pi / (size - 1)
    i = np.arange(size)
    if name == "povey":
        return (0.5 - 0.5 * np.cos(a * i)) ** 0.85
    if name in ("hann", "hanning"):
        return 0.5 - 0.5 * np.cos(a * i)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(a * i)
    if name == "rectangular":
        return np.ones(size)
    raise ValueError(f"features: fbank window must be one of {KALDI_WINDOWS}, got {name!r}")
