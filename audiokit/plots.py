"""The plotting contract: every ``plot_*`` takes ``ax=None``, labels its axes with units and
returns ``(fig, ax)`` so panels compose; nothing here displays a figure itself.

Notebook: all
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "audio",
    "plot_confusion_matrix",
    "plot_embeddings",
    "plot_features",
    "plot_filterbank",
    "plot_history",
    "plot_probabilities",
    "plot_spectrogram",
    "plot_waveform",
]

#: Sample rates every browser's <audio> element plays (Hz). Others are resampled before playing.
BROWSER_SAFE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


def _axes(ax: matplotlib.axes.Axes | None, figsize: tuple[float, float] = (8, 3)):
    if ax is None:
        _fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def _to_numpy(x) -> np.ndarray:
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
    fig, ax = _axes(ax)
    y = np.atleast_2d(_to_numpy(y))
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

    fig, ax = _axes(ax)
    S = _to_numpy(S)
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
    F = _to_numpy(features)
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
    fig, ax = _axes(ax)
    fb = _to_numpy(fb)
    freqs = np.linspace(0, sr / 2, fb.shape[1])
    ax.plot(freqs, fb.T, lw=0.8, **kwargs)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.set_xlim(0, sr / 2)
    ax.set_title(title)
    return fig, ax


def plot_history(history: Sequence[Mapping[str, float]], ax=None,
                 title: str | None = None):
    """Loss and accuracy per epoch from the training loop's history (a list of dicts).

    Keys starting with ``train_`` and ``valid_`` and containing ``loss`` go on the left axis,
    those containing ``acc`` or ``f1`` on a twin right axis.

    Returns
    -------
    (Figure, Axes)
        The Axes is the loss axis; the accuracy axis is ``ax.right_ax``.

    Notebook: 06_pipeline_and_training_loop
    """
    fig, ax = _axes(ax, figsize=(7, 3.5))
    rows = list(history)
    epochs = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
    keys = sorted({k for r in rows for k in r if isinstance(r.get(k), (int, float))})
    right = ax.twinx()
    ax.right_ax = right
    for k in keys:
        if "loss" in k:
            ax.plot(epochs, [r.get(k, np.nan) for r in rows], "o-", label=k)
        elif "acc" in k or "f1" in k:
            right.plot(epochs, [r.get(k, np.nan) for r in rows], "s--", label=k)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    right.set_ylabel("accuracy / F1")
    right.set_ylim(0, 1.02)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    if handles:
        ax.legend(handles=handles, loc="center right", fontsize="small")
    if title:
        ax.set_title(title)
    return fig, ax


def plot_confusion_matrix(cm, classes: Sequence[str], normalize: bool = False, ax=None,
                          title: str | None = None, cmap: str = "Blues"):
    """Confusion matrix with true classes as rows and predictions as columns.

    Parameters
    ----------
    cm : array_like
        Counts ``(n_classes, n_classes)``.
    normalize : bool
        Divide each row by its total (recall per class on the diagonal).

    Notebook: 06_pipeline_and_training_loop, 14_comparing_backbones
    """
    cm = _to_numpy(cm).astype(float)
    n = len(classes)
    if cm.shape != (n, n):
        raise ValueError(f"confusion matrix shape {cm.shape} does not match {n} classes")
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = _axes(ax, figsize=(0.5 * n + 2.5, 0.5 * n + 2))
    im = ax.imshow(cm, cmap=cmap, vmin=0, vmax=1 if normalize else None)
    ax.set_xticks(range(n), classes, rotation=45, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            if cm[i, j] > 0:
                ax.text(j, i, f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}",
                        ha="center", va="center", fontsize="small",
                        color="white" if cm[i, j] > threshold else "black")
    fig.colorbar(im, ax=ax, label="fraction of row" if normalize else "clips")
    ax.set_title(title or ("confusion matrix (row-normalised)" if normalize else "confusion matrix"))
    return fig, ax


def plot_probabilities(probs, classes: Sequence[str], times=None, ax=None,
                       title: str | None = None, top_k: int | None = None):
    """Class probabilities: a bar chart for one prediction ``(n_classes,)``, or a timeline
    ``(n_windows, n_classes)`` against window centre ``times`` in seconds.

    Notebook: 06_pipeline_and_training_loop, 15_inference_and_deployment
    """
    p = _to_numpy(probs)
    if p.ndim == 1:
        fig, ax = _axes(ax, figsize=(6, 3))
        order = np.argsort(p)[::-1][: top_k or len(p)]
        ax.barh([classes[i] for i in order][::-1], p[order][::-1])
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability")
        ax.set_ylabel("class")
    elif p.ndim == 2:
        fig, ax = _axes(ax, figsize=(9, 3))
        t = np.arange(p.shape[0]) if times is None else _to_numpy(times)
        shown = np.argsort(p.max(0))[::-1][: top_k or p.shape[1]]
        for c in shown:
            ax.plot(t, p[:, c], label=classes[c])
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("time (s)" if times is not None else "window")
        ax.set_ylabel("probability")
        ax.legend(loc="upper right", fontsize="small", ncol=2)
    else:
        raise ValueError(f"probs must be (n_classes,) or (n_windows, n_classes), got {p.shape}")
    if title:
        ax.set_title(title)
    return fig, ax


def project_2d(embeddings, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Project ``(n, d)`` embeddings to ``(n, 2)`` for a scatter plot.

    ``pca`` uses an SVD of the centred data (NumPy only); ``tsne`` uses scikit-learn's t-SNE
    (perplexity adapted to small sets), which must be installed.

    Notebook: 07_tdnn
    """
    X = _to_numpy(embeddings).astype(np.float64)
    if X.ndim != 2 or X.shape[0] < 3:
        raise ValueError(f"need at least 3 embeddings of shape (n, d), got {X.shape}")
    X = X - X.mean(axis=0)
    if method == "pca":
        _, _, vt = np.linalg.svd(X, full_matrices=False)
        return X @ vt[:2].T
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("t-SNE needs scikit-learn: pip install scikit-learn") from err
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        perplexity = float(min(30, max(2, (X.shape[0] - 1) // 3)))
        # One thread: for a few hundred points threading costs more than it saves, and on a
        # busy machine oversubscribed OpenMP threads made this 50x slower.
        with threadpool_limits(1):
            return TSNE(n_components=2, perplexity=perplexity, random_state=seed,
                        init="pca").fit_transform(X)
    raise ValueError(f"unknown method {method!r}; choose 'pca' or 'tsne'")


def plot_embeddings(embeddings, labels, classes: Sequence[str], ax=None, method: str = "pca",
                    title: str | None = None, seed: int = 0):
    """Scatter the 2-D projection of model embeddings, one colour per class.

    Parameters
    ----------
    embeddings : array_like
        ``(n, d)`` vectors, e.g. from ``model.embed(features, lengths)``.
    labels : array_like
        ``(n,)`` class indices.
    method : {"pca", "tsne"}
        Projection (see :func:`project_2d`).

    Notebook: 07_tdnn
    """
    fig, ax = _axes(ax, figsize=(5.5, 4.5))
    xy = project_2d(embeddings, method=method, seed=seed)
    labels = _to_numpy(labels).astype(int)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for c, name in enumerate(classes):
        sel = labels == c
        if sel.any():
            ax.scatter(xy[sel, 0], xy[sel, 1], s=14, color=cmap(c % cmap.N), label=name)
    ax.set_xlabel(f"{method.upper()} 1")
    ax.set_ylabel(f"{method.upper()} 2")
    ax.legend(fontsize="small", loc="best", markerscale=1.5, ncol=2 if len(classes) > 6 else 1)
    ax.set_title(title or f"embeddings ({method.upper()})")
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

    y = _to_numpy(y).astype(np.float32)
    if sr not in BROWSER_SAFE_RATES:
        target = min(BROWSER_SAFE_RATES, key=lambda r: abs(r - sr) if r >= sr else 1e9)
        target = target if target >= sr else BROWSER_SAFE_RATES[-1]
        y = resample(y, sr, target, res_type="kaiser_fast")
        sr = target
    if not normalize:
        y = np.clip(y, -1.0, 1.0)
    return Audio(y, rate=sr, normalize=normalize)
