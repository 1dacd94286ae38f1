"""Signals and spectra: waveforms, spectrograms, features, filterbanks, and a player.

Also the two helpers every ``plot_*`` module shares (``axes_or_new``, ``to_numpy``).

Notebook: 01_digital_audio, 03_fourier_and_stft, 04_mel_mfcc_fbank
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "BROWSER_SAFE_RATES",
    "audio",
    "axes_or_new",
    "plot_features",
    "plot_filterbank",
    "plot_spectrogram",
    "plot_waveform",
    "to_numpy",
]

#: Sample rates every browser's <audio> element plays (Hz). Others are resampled before playing.
BROWSER_SAFE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


def axes_or_new(ax: matplotlib.axes.Axes | None, figsize: tuple[float, float] = (8, 3)):
    """``(ax.figure, ax)``, or a new constrained-layout figure of ``figsize`` inches if ax is None."""
    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def to_numpy(x) -> np.ndarray:
    """A NumPy array from an array or a (possibly GPU, grad-tracking) torch tensor."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def plot_waveform(y, sr: int, ax=None, title: str | None = None, max_points: int = 20000,
                  **kwargs):
    """Plot samples against time in seconds (each channel of ``(channels, n)`` input separately).

    Long signals are drawn as a min/max envelope of ``max_points`` columns so plotting stays fast.

    Parameters
    ----------
    y : array_like
        Samples, ``(n,)`` or ``(channels, n)``.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    (Figure, Axes)

    Notebook: 01_digital_audio
    """
    fig, ax = axes_or_new(ax)
    y = np.atleast_2d(to_numpy(y))
    n = y.shape[-1]
    for c, ch in enumerate(y):
        label = f"channel {c}" if y.shape[0] > 1 else None
        if n > max_points:
            hop = int(np.ceil(n / (max_points // 2)))
            m = (n // hop) * hop
            blocks = ch[:m].reshape(-1, hop)
            t = (np.arange(blocks.shape[0]) * hop + hop / 2) / sr
            ax.fill_between(t, blocks.min(1), blocks.max(1), alpha=0.8, label=label, **kwargs)
        else:
            ax.plot(np.arange(n) / sr, ch, lw=0.8, label=label, **kwargs)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.set_xlim(0, n / sr)
    if y.shape[0] > 1:
        ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return fig, ax


def plot_spectrogram(S, sr: int, hop_length: int, ax=None, y_axis: str = "hz",
                     n_fft: int | None = None, f_min: float = 0.0, f_max: float | None = None,
                     title: str | None = None, colorbar: bool = True, unit: str = "dB",
                     cmap: str = "magma", **kwargs):
    """Draw any time-frequency matrix ``S`` of shape ``(n_bins, frames)``.

    Parameters
    ----------
    S : array_like
        Values to draw (e.g. power in dB), frequency (or feature index) along the first axis.
    sr : int
        Sample rate in Hz.
    hop_length : int
        Samples between frames; sets the time axis in seconds.
    y_axis : {"hz", "mel", "bins"}
        ``hz``: linear STFT bins up to ``sr/2`` (``n_fft`` defaults to ``2 * (n_bins - 1)``);
        ``mel``: mel bands between ``f_min`` and ``f_max`` labelled in Hz;
        ``bins``: plain feature indices (MFCC, fbank coefficients).
    unit : str
        Colorbar label.

    Returns
    -------
    (Figure, Axes)

    Notebook: 03_fourier_and_stft, 04_mel_mfcc_fbank
    """
    import librosa

    fig, ax = axes_or_new(ax)
    S = to_numpy(S)
    if S.ndim != 2:
        raise ValueError(f"plot_spectrogram expects a 2-D (n_bins, frames) matrix, got {S.shape}")
    n_bins, frames = S.shape
    t_max = frames * hop_length / sr
    if y_axis == "hz":
        nyquist = sr / 2
        extent = (0, t_max, 0, nyquist)
        ylabel = "frequency (Hz)"
    elif y_axis in ("mel", "bins"):
        extent = (0, t_max, -0.5, n_bins - 0.5)
        ylabel = "mel band" if y_axis == "mel" else "coefficient"
    else:
        raise ValueError(f"unknown y_axis {y_axis!r}; choose 'hz', 'mel' or 'bins'")
    im = ax.imshow(S, origin="lower", aspect="auto", extent=extent, cmap=cmap,
                   interpolation="nearest", **kwargs)
    if y_axis == "mel":
        f_max = f_max if f_max is not None else sr / 2
        centres = librosa.mel_frequencies(n_mels=n_bins + 2, fmin=f_min, fmax=f_max)[1:-1]
        ticks = np.linspace(0, n_bins - 1, min(6, n_bins)).astype(int)
        ax.set_yticks(ticks, [f"{centres[i]:.0f}" for i in ticks])
        ylabel = "frequency (Hz, mel-spaced)"
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    if colorbar:
        fig.colorbar(im, ax=ax, label=unit)
    if title:
        ax.set_title(title)
    return fig, ax


def plot_features(features, sr: int, hop_length: int, ax=None, kind: str = "log_mel",
                  title: str | None = None, **kwargs):
    """Draw time-first features ``(frames, n_features)`` as produced by ``FeatureExtractor``.

    Notebook: 04_mel_mfcc_fbank
    """
    F = to_numpy(features)
    if F.ndim == 3:
        if F.shape[0] != 1:
            raise ValueError(f"plot_features draws one clip; got a batch of {F.shape[0]}")
        F = F[0]
    y_axis = {"spectrogram": "hz", "log_mel": "mel", "fbank": "mel"}.get(kind, "bins")
    unit = {"fbank": "log energy", "mfcc": "coefficient value"}.get(kind, "dB")
    return plot_spectrogram(F.T, sr, hop_length, ax=ax, y_axis=y_axis, unit=unit,
                            title=title or kind, **kwargs)


def plot_filterbank(fb, sr: int, ax=None, title: str = "mel filterbank", **kwargs):
    """Plot each triangular filter's weight against frequency in Hz.

    Parameters
    ----------
    fb : array_like
        Filter weights ``(n_filters, n_fft // 2 + 1)``.

    Notebook: 04_mel_mfcc_fbank
    """
    fig, ax = axes_or_new(ax)
    fb = to_numpy(fb)
    freqs = np.linspace(0, sr / 2, fb.shape[1])
    ax.plot(freqs, fb.T, lw=0.8, **kwargs)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.set_xlim(0, sr / 2)
    ax.set_title(title)
    return fig, ax



def audio(y, sr: int, normalize: bool = False):
    """An ``IPython.display.Audio`` player for samples ``y`` at ``sr`` Hz.

    Rates a browser may refuse (below 8 kHz, above 48 kHz, or unusual values) are resampled to
    the nearest safe rate first, so what you hear is the same band-limited signal. By default
    the level is *not* normalised, so quiet signals sound quiet and quantisation is audible.

    Notebook: 01_digital_audio
    """
    from IPython.display import Audio

    from audiokit.io import resample

    y = to_numpy(y).astype(np.float32)
    if sr not in BROWSER_SAFE_RATES:
        target = min(BROWSER_SAFE_RATES, key=lambda r: abs(r - sr) if r >= sr else 1e9)
        target = target if target >= sr else BROWSER_SAFE_RATES[-1]
        y = resample(y, sr, target, res_type="kaiser_fast")
        sr = target
    if not normalize:
        y = np.clip(y, -1.0, 1.0)
    return Audio(y, rate=sr, normalize=normalize)
