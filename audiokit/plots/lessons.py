"""Figures for the lessons' experiments: each draws the dict one :mod:`audiokit.lessons` demo
returns (``plot_sampling(sampling_demo(...))`` ...) and returns ``(fig, ax)``.

Two-panel figures take ``ax`` as a pair of Axes (or None for a new figure) and return both.

Notebook: 01_digital_audio, 02_reading_and_resampling, 03_fourier_and_stft, 04_mel_mfcc_fbank,
05_datasets_and_augmentation
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from audiokit.plots.core import (
    axes_or_new,
    plot_features,
    plot_filterbank,
    plot_spectrogram,
    plot_waveform,
)

__all__ = ["plot_augmentation", "plot_mel", "plot_resampling", "plot_sampling", "plot_stft"]


def _two_panels(ax, figsize: tuple[float, float], **kwargs):
    """``(fig, array of 2 Axes)``: the pair given, or a new constrained figure."""
    if ax is None:
        _fig, ax = plt.subplots(1, 2, figsize=figsize, layout="constrained", **kwargs)
    ax = np.asarray(ax)
    if ax.shape != (2,):
        raise ValueError(f"this figure needs a pair of Axes, got {ax.shape}")
    return ax[0].figure, ax


def plot_sampling(demo: dict[str, Any], ax=None):
    """Draw :func:`audiokit.lessons.sampling_demo`'s result: time view (continuous, sampled,
    quantised, and the alias heard) and the spectrum with the Nyquist frequency and the alias
    marked.

    Returns
    -------
    (Figure, array of 2 Axes)

    Notebook: 01_digital_audio
    """
    fig, (ax_t, ax_f) = _two_panels(ax, (11, 3.4))
    sr = demo["sr"]
    dense_sr = len(demo["t_cont"]) / demo["t_cont"][-1] if len(demo["t_cont"]) > 1 else sr
    plot_waveform(demo["y_cont"], round(dense_sr), ax=ax_t, color="0.6")
    ax_t.lines[-1].set_label(f"tone {demo['freq_hz']:.0f} Hz")
    if demo["aliased"]:
        ax_t.plot(demo["t_cont"], demo["y_alias"], "--", color="tab:red", lw=1,
                  label=f"alias {demo['alias_hz']:.0f} Hz")
    ax_t.plot(demo["t"], demo["y"], "o", ms=4, color="tab:blue", label=f"samples @ {sr} Hz")
    ax_t.step(demo["t"], demo["y_q"], where="post", color="tab:orange", lw=1.2,
              label=f"{demo['bits']}-bit")
    ax_t.set_xlim(0, demo["t_cont"][-1])
    ax_t.legend(loc="upper right", fontsize="x-small")
    ax_t.set_title("time: tone, samples and quantised samples")
    ax_f.plot(demo["freqs"], demo["spectrum_db"], lw=0.8)
    ax_f.axvline(demo["alias_hz"], color="tab:red", ls="--", lw=1,
                 label=f"heard at {demo['alias_hz']:.0f} Hz")
    ax_f.set_xlim(0, demo["nyquist_hz"])
    ax_f.set_ylim(max(-165.0, float(demo["spectrum_db"].min()) - 5), 5)
    ax_f.set_xlabel("frequency (Hz)")
    ax_f.set_ylabel("magnitude (dB re full scale)")
    ax_f.legend(loc="upper right", fontsize="x-small")
    ax_f.set_title(f"spectrum (0 .. Nyquist {demo['nyquist_hz']:.0f} Hz); SNR "
                   f"{demo['snr_db']:.1f} dB, theory {demo['snr_theory_db']:.1f} dB",
                   fontsize="small")
    return fig, np.array([ax_t, ax_f])


def plot_resampling(demo: dict[str, Any], ax=None):
    """Spectrogram of :func:`audiokit.lessons.resampling_demo`'s output (aliases show as
    mirrored sweeps), titled with the method, the rates and the time it took.

    Notebook: 02_reading_and_resampling
    """
    new = ax is None
    fig, ax = plot_spectrogram(
        demo["S_db"], demo["sr_out"], demo["hop_length"], ax=ax, vmin=-100, vmax=0,
        title=(f"{demo['method']}: {demo['orig_sr']} Hz -> {demo['sr_out']} Hz "
               f"({1000 * demo['seconds']:.2f} ms)"))
    if new:
        fig.set_size_inches(8, 3.2)
    return fig, ax


def plot_stft(demo: dict[str, Any], ax=None, f_max: float | None = 5000.0):
    """Draw :func:`audiokit.lessons.stft_demo`'s spectrogram (80 dB range, up to ``f_max`` Hz),
    titled with its resolutions.

    Notebook: 03_fourier_and_stft
    """
    top = float(demo["S_db"].max())
    fig, ax = plot_spectrogram(
        demo["S_db"], demo["sr"], demo["hop_length"], ax=ax, vmin=top - 80, vmax=top,
        title=(f"{demo['window']}, n_fft={demo['n_fft']}, hop={demo['hop_length']}: "
               f"{demo['bin_hz']:.1f} Hz/bin, {1000 * demo['frame_s']:.0f} ms frames"))
    if f_max:
        ax.set_ylim(0, f_max)
    ax.title.set_fontsize("small")
    return fig, ax


def plot_mel(demo: dict[str, Any], ax=None):
    """Filterbank (left) and features (right) of :func:`audiokit.lessons.mel_demo`; the colour
    range is the features' 2nd to 98th percentile.

    Notebook: 04_mel_mfcc_fbank
    """
    fig, (ax_fb, ax_x) = _two_panels(ax, (11, 3.4), gridspec_kw={"width_ratios": [1, 1.4]})
    plot_filterbank(demo["filterbank"], demo["sr"], ax=ax_fb,
                    title=f"{demo['n_mels']} filters up to {demo['f_max']:.0f} Hz")
    plot_features(demo["features"], demo["sr"], demo["hop_length"], ax=ax_x,
                  kind=demo["kind"], vmin=float(np.percentile(demo["features"], 2)),
                  vmax=float(np.percentile(demo["features"], 98)),
                  title=f"{demo['kind']}: {demo['features'].shape[1]} features per frame")
    return fig, np.array([ax_fb, ax_x])


def plot_augmentation(demo: dict[str, Any], ax=None):
    """Features before and after :func:`audiokit.lessons.augmentation_demo`'s augmentation, on one
    colour scale (the original's maximum and 80 dB below it).

    Notebook: 05_datasets_and_augmentation
    """
    fig, axes = _two_panels(ax, (10, 3), sharey=True)
    vmax = float(demo["features"].max())
    titles = ("original", f"{demo['name']} (strength {demo['strength']:.2f})")
    for panel, key, title in zip(axes, ("features", "features_aug"), titles):
        plot_features(demo[key], demo["sr"], demo["hop_length"], kind=demo["kind"], ax=panel,
                      title=title, vmin=vmax - 80, vmax=vmax, colorbar=panel is axes[1])
    return fig, axes


def plot_voices(demo: dict[str, Any], ax=None):
    """Mean spectrum of each engine in :func:`audiokit.lessons.voices_demo`, with the 4 kHz
    edge of the 8 kHz recordings marked.

    Notebook: 05_datasets_and_augmentation
    """
    fig, ax = axes_or_new(ax, (8, 3.2))
    for engine in demo["engines"]:
        ax.plot(demo["freqs"], demo["spectra_db"][engine], lw=1.2,
                label=f"{engine} ({demo['clips'][engine]} clips)")
    ax.axvline(4000, color="k", ls="--", lw=0.8)
    ax.text(4050, -5, "4 kHz: Nyquist of an 8 kHz recording", fontsize="small", va="top")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (dB re max)")
    ax.set_ylim(-100, 3)
    ax.set_title(f'"{demo["word"]}": mean spectrum per engine')
    ax.legend(fontsize="small", loc="lower left")
    return fig, ax
