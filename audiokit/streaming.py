"""Live audio in pieces: a rolling window over successive chunks, and what a stream yields.

A microphone delivers audio in chunks of any size (0.1-0.5 s is typical). :func:`rolling_windows`
turns them into the last ``window`` samples every ``hop`` samples of new audio, holding no more
than one window plus one chunk; :meth:`audiokit.predict.Predictor.stream` classifies them into
:class:`StreamResult` values. :func:`decode_events` reads a timeline of window probabilities
(:meth:`~audiokit.predict.Predictor.timeline`) as a list of events.

Notebook: 15_inference_and_deployment, 18_record_yourself
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from audiokit import io

__all__ = ["StreamResult", "as_mono", "decode_events", "rolling_windows"]


@dataclass
class StreamResult:
    """One window of a classified stream.

    Attributes
    ----------
    time_s : float
        Time of the window's end in seconds since the stream began.
    top : list of (str, float)
        Top-k labels, most probable first; empty when ``silent``.
    probs : np.ndarray or None
        Class probabilities (C,); ``None`` when ``silent``.
    silent : bool
        Nothing in the window reached the silence floor: no guess was made.

    Notebook: 15_inference_and_deployment, 18_record_yourself
    """

    time_s: float
    top: list = field(default_factory=list)
    probs: np.ndarray | None = None
    silent: bool = False


def as_mono(x, allow_empty: bool = False) -> np.ndarray:
    """An array or tensor ``(n,)`` / ``(channels, n)`` -> float32 samples ``(n,)``.

    Notebook: 15_inference_and_deployment
    """
    y = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    y = y.astype(np.float32, copy=False)
    if y.ndim == 2:
        y = io.to_mono(y)
    if y.ndim != 1 or (y.size == 0 and not allow_empty):
        raise ValueError(f"expected a mono waveform (samples,) or (channels, samples), got {y.shape}")
    return y


def rolling_windows(chunks: Iterable, window: int, hop: int) -> Iterator[tuple[int, np.ndarray]]:
    """The last ``window`` samples, every ``hop`` samples of new audio.

    Parameters
    ----------
    chunks : iterable of np.ndarray or torch.Tensor
        Successive pieces of one signal, any sizes (empty ones allowed), ``(n,)`` or
        ``(channels, n)``.
    window, hop : int
        Window length and hop in samples.

    Yields
    ------
    end : int
        Samples received when the window ends (``hop``, ``2 * hop``, ...).
    y : np.ndarray, float32
        The ``min(window, end)`` samples before ``end``; windows are cut at exact multiples
        of ``hop`` even when one chunk spans several hops.

    Notebook: 15_inference_and_deployment, 18_record_yourself
    """
    if window < 1 or hop < 1:
        raise ValueError(f"window and hop must be >= 1 sample, got {window}, {hop}")
    buf, buf_start, received, end = np.zeros(0, np.float32), 0, 0, hop
    for chunk in chunks:
        c = as_mono(chunk, allow_empty=True)
        buf = np.concatenate([buf, c])
        received += len(c)
        while end <= received:
            yield end, buf[max(0, end - window - buf_start): end - buf_start]
            end += hop
        drop = max(0, end - window - buf_start)  # samples no later window needs
        buf, buf_start = buf[drop:], buf_start + drop


def decode_events(times, probs, classes, threshold: float = 0.0) -> list[tuple[float, str]]:
    """The simplest decoder of a timeline: each window's top class, consecutive repeats merged.

    Parameters
    ----------
    times : array-like, (n_windows,)
        Centre time of each window in seconds (``Predictor.timeline``).
    probs : array-like, (n_windows, n_classes)
        Class probabilities of each window.
    classes : list of str
        Class names.
    threshold : float
        A window whose top probability is below it is ``"-"`` (nothing / unknown).

    Returns
    -------
    list of (float, str)
        ``(time_s, label)`` where the decoded label changes, first window first.

    Notebook: 15_inference_and_deployment
    """
    events: list[tuple[float, str]] = []
    for t, p in zip(np.asarray(times, dtype=float), np.asarray(probs)):
        name = str(classes[int(p.argmax())]) if p.max() >= threshold else "-"
        if not events or events[-1][1] != name:
            events.append((float(t), name))
    return events
