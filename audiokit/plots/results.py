"""Training and evaluation results: history, confusion matrices, probabilities, embeddings.

Notebook: 06_pipeline_and_training_loop, 07_tdnn, 14_comparing_backbones,
15_inference_and_deployment
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from audiokit.plots.core import axes_or_new, to_numpy

__all__ = [
    "plot_confusion_matrix",
    "plot_embeddings",
    "plot_history",
    "plot_probabilities",
    "project_2d",
]


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
    fig, ax = axes_or_new(ax, figsize=(7, 3.5))
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
    cm = to_numpy(cm).astype(float)
    n = len(classes)
    if cm.shape != (n, n):
        raise ValueError(f"confusion matrix shape {cm.shape} does not match {n} classes")
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = axes_or_new(ax, figsize=(0.5 * n + 2.5, 0.5 * n + 2))
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
    p = to_numpy(probs)
    if p.ndim == 1:
        fig, ax = axes_or_new(ax, figsize=(6, 3))
        order = np.argsort(p)[::-1][: top_k or len(p)]
        ax.barh([classes[i] for i in order][::-1], p[order][::-1])
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability")
        ax.set_ylabel("class")
    elif p.ndim == 2:
        fig, ax = axes_or_new(ax, figsize=(9, 3))
        t = np.arange(p.shape[0]) if times is None else to_numpy(times)
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
    X = to_numpy(embeddings).astype(np.float64)
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
    fig, ax = axes_or_new(ax, figsize=(5.5, 4.5))
    xy = project_2d(embeddings, method=method, seed=seed)
    labels = to_numpy(labels).astype(int)
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
