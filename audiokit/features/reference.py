"""NumPy / librosa references for teaching (and for the parity tests of ``FeatureExtractor``).

These are thin librosa calls with the package's defaults and its dB convention
(``10 log10(max(power, log_floor))``, ``ref=1.0``, no ``top_db`` clipping), so a notebook can put
them next to ``FeatureExtractor`` and show that both give the same numbers.

Notebook: 03_fourier_and_stft, 04_mel_mfcc_fbank
"""

from __future__ import annotations

import librosa
import numpy as np

__all__ = ["bins_to_hz", "frames_to_seconds", "log_mel", "mel_frequencies", "mfcc", "stft"]


def stft(
    y: np.ndarray,
    n_fft: int = 512,
    hop_length: int = 160,
    win_length: int = 400,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> np.ndarray:
    """Complex short-time Fourier transform (librosa), shape ``(n_fft // 2 + 1, frames)``.

    Parameters
    ----------
    y : np.ndarray
        Waveform ``(samples,)``.
    n_fft, hop_length, win_length : int
        FFT size, hop and window length in samples. Bin ``k`` is ``k * sr / n_fft`` Hz; frame
        ``t`` is centred at ``t * hop_length / sr`` seconds when ``center`` is True.
    window : str
        Window name (periodic form).
    pad_mode : {"constant", "reflect"}
        How ``center`` pads ``n_fft // 2`` samples at each end: zeros, or the signal mirrored.

    Notebook: 03_fourier_and_stft
    """
    return librosa.stft(
        np.asarray(y),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )


def log_mel(
    y: np.ndarray,
    sr: int = 16000,
    n_fft: int = 512,
    hop_length: int = 160,
    win_length: int = 400,
    n_mels: int = 80,
    f_min: float = 20.0,
    f_max: float | None = None,
    window: str = "hann",
    center: bool = True,
    power: float = 2.0,
    log_floor: float = 1e-10,
    pad_mode: str = "constant",
    top_db: float | None = None,
) -> np.ndarray:
    """Log-mel spectrogram in dB (librosa), shape ``(n_mels, frames)``.

    ``10 log10(max(mel_power, log_floor))`` with ``ref=1.0`` and, when ``top_db`` is given,
    floored at ``top_db`` dB under the clip's loudest value: the same numbers as
    ``FeatureExtractor("log_mel", log_floor=..., top_db=...)`` (which is time-first).

    Parameters
    ----------
    y : np.ndarray
        Waveform ``(samples,)`` at ``sr`` Hz.
    f_min, f_max : float
        Filterbank range in Hz (``f_max`` None = ``sr / 2``).
    pad_mode : {"constant", "reflect"}
        Edge padding when ``center`` is True (see :func:`stft`).

    Notebook: 04_mel_mfcc_fbank
    """
    S = librosa.feature.melspectrogram(
        y=np.asarray(y),
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=power,
        n_mels=n_mels,
        fmin=f_min,
        fmax=f_max,
    )
    return librosa.power_to_db(S, ref=1.0, amin=log_floor, top_db=top_db)


def mfcc(
    y: np.ndarray,
    sr: int = 16000,
    n_mfcc: int = 40,
    n_fft: int = 512,
    hop_length: int = 160,
    win_length: int = 400,
    n_mels: int = 80,
    f_min: float = 20.0,
    f_max: float | None = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> np.ndarray:
    """MFCCs (librosa): DCT-II (ortho) of the dB log-mel, shape ``(n_mfcc, frames)``.

    Unlike ``librosa.feature.mfcc(y=...)`` this applies no ``top_db=80`` clipping to the log-mel
    first (so it matches ``FeatureExtractor("mfcc")`` on any signal; the two agree whenever the
    log-mel spans less than 80 dB).

    Notebook: 04_mel_mfcc_fbank
    """
    S = log_mel(
        y,
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        n_mels=n_mels,
        f_min=f_min,
        f_max=f_max,
        window=window,
        center=center,
        pad_mode=pad_mode,
    )
    return librosa.feature.mfcc(S=S, n_mfcc=n_mfcc, dct_type=2, norm="ortho")


def frames_to_seconds(frames: np.ndarray | int, sr: int, hop_length: int) -> np.ndarray:
    """Frame index -> time in seconds (``frames * hop_length / sr``; centre of a centred frame).

    Notebook: 03_fourier_and_stft
    """
    return np.asarray(frames, dtype=np.float64) * hop_length / sr


def bins_to_hz(bins: np.ndarray | int, sr: int, n_fft: int) -> np.ndarray:
    """FFT bin index -> frequency in Hz (``bins * sr / n_fft``).

    Notebook: 03_fourier_and_stft
    """
    return np.asarray(bins, dtype=np.float64) * sr / n_fft


def mel_frequencies(
    n_mels: int = 80, f_min: float = 20.0, f_max: float = 8000.0, htk: bool = False
) -> np.ndarray:
    """``n_mels`` frequencies in Hz evenly spaced on the mel scale (librosa; Slaney unless htk).

    Notebook: 04_mel_mfcc_fbank
    """
    return librosa.mel_frequencies(n_mels=n_mels, fmin=f_min, fmax=f_max, htk=htk)
