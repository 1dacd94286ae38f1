"""Use a trained checkpoint: classify files, folders or arrays, sliding-window timelines, live streams.

:class:`Predictor` rebuilds the exact ``FeatureExtractor`` saved in the checkpoint, trims each
input's silent ends by the rule its training clips were cut with (``trim="auto"``, see
:mod:`audiokit.preprocess`), cuts long inputs into windows (``window_s`` / ``hop_s`` seconds),
batches windows in bounded batches under ``torch.inference_mode()`` and averages window
probabilities per input. :func:`export` (from :mod:`audiokit.export`) wraps feature front-end +
model into one graph that takes waveforms.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from audiokit.export import WaveformClassifier, export
from audiokit.io import AudioError
from audiokit.preprocess import TRIM_DEFAULTS, apply_trim, is_silent, set_peak, trim_rule, trim_view
from audiokit.sources import expand_inputs
from audiokit.streaming import StreamResult, as_mono, rolling_windows

__all__ = ["Prediction", "Predictor", "StreamResult", "WaveformClassifier", "export",
           "frame_windows"]

UNKNOWN = "unknown"


def frame_windows(n: int, window: int, hop: int) -> list[tuple[int, int]]:
    """``(start, stop)`` samples of the windows that cover ``n`` samples.

    Windows are ``window`` samples long, ``hop`` apart. What is left after the last full window
    is covered by that window growing to the end when it is at most half a hop, and by one
    more window aligned to the end otherwise. So an input up to ``window + hop // 2`` samples is
    used whole: a one-shot trimmed to a few ms over the window is not scored a second time with
    its attack cut off (the models saw such lengths in training, see ``RandomPlacement``).

    Notebook: 15_inference_and_deployment
    """
    if n <= window:
        return [(0, n)]
    spans = [(s, s + window) for s in range(0, n - window + 1, hop)]
    rest = n - spans[-1][1]
    if 0 < rest <= hop // 2:
        spans[-1] = (spans[-1][0], n)
    elif rest > 0:
        spans.append((n - window, n))
    return spans


@dataclass
class Prediction(Sequence):
    """The result for one input of :meth:`Predictor.predict_many`.

    It is also the ranked list of ``(label, probability)`` itself (``res[0]`` is the best), so
    code written for a plain list keeps working.

    Attributes
    ----------
    path : str or None
        The file (``None`` for an array input).
    top : list of (str, float)
        Top-k labels, most probable first (empty when ``error`` is set).
    probs : np.ndarray or None
        Mean class probabilities over the windows, shape (C,).
    error : str or None
        Why the input could not be classified (names the file).

    Notebook: 15_inference_and_deployment
    """

    path: str | None
    top: list = field(default_factory=list)
    probs: np.ndarray | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def __getitem__(self, i):
        return self.top[i]

    def __len__(self) -> int:
        return len(self.top)

    def to_dict(self) -> dict[str, Any]:
        """``{"file", "predictions": [{"label", "prob"}]}``, or ``{"file", "error"}``."""
        if self.error is not None:
            return {"file": self.path, "error": self.error}
        return {"file": self.path,
                "predictions": [{"label": lab, "prob": round(p, 6)} for lab, p in self.top]}


class Predictor:
    """Classify audio with a trained checkpoint.

    Parameters
    ----------
    checkpoint : path or checkpoint dict
        A ``best.pt`` / ``last.pt`` from :func:`audiokit.train.fit`.
    device : str
        ``"auto"`` (CUDA, MPS, CPU), ``"cpu"``, ``"cuda"`` ...
    window_s : float, optional
        Window length in seconds for long inputs; default the training crop duration.
    hop_s : float, optional
        Hop between windows in seconds; default half a window.
    batch_size : int
        Windows per forward pass (memory stays bounded whatever the number of files).
    threshold : float, optional
        Open-set rejection: when the top probability is below it, ``predict`` puts
        ``("unknown", top_prob)`` first. For a multi-label checkpoint (``multi_label``, e.g. a
        converted AudioSet PANNs) the probabilities are per-class sigmoids (tags), not a softmax.
    trim : "auto", None, bool or dict
        Silence trimming of each input before windowing: ``"auto"`` applies the checkpoint's
        ``preprocess["trim"]`` rule (none for checkpoints without one), ``None`` / ``False``
        none, a dict of :func:`audiokit.io.trim_silence` arguments overrides. The rule in force
        is :attr:`trim`.

    Notebook: 15_inference_and_deployment
    """

    def __init__(self, checkpoint, device: str = "auto", window_s: float | None = None,
                 hop_s: float | None = None, batch_size: int = 32,
                 threshold: float | None = None, trim: Any = "auto") -> None:
        from audiokit.train import build_from_checkpoint, load_checkpoint, resolve_device

        ck = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
        self.device = resolve_device(device)
        self.model, self.extractor, self.classes = build_from_checkpoint(ck, device=self.device)
        self.sample_rate = int(self.extractor.sample_rate)
        self.trim: dict | None = trim_rule(ck, trim)
        # multi-label checkpoints (e.g. converted AudioSet PANNs): independent per-class sigmoids
        self.multi_label: bool = ck.get("task") == "multi_label"
        train_duration = float(ck.get("config", {}).get("duration", 1.0))
        self.window_s = float(window_s) if window_s else train_duration
        self.hop_s = float(hop_s) if hop_s else self.window_s / 2
        if self.window_s <= 0 or self.hop_s <= 0:
            raise ValueError(f"window_s and hop_s must be > 0 seconds, got {self.window_s}, {self.hop_s}")
        self.batch_size = int(batch_size)
        if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be a probability in [0, 1], got {threshold}")
        self.threshold = threshold

    # -- input -------------------------------------------------------------------------------

    @property
    def window(self) -> int:
        """Window length in samples."""
        return max(1, round(self.window_s * self.sample_rate))

    @property
    def hop(self) -> int:
        """Hop in samples."""
        return max(1, round(self.hop_s * self.sample_rate))

    def _load(self, x, sr: int | None) -> np.ndarray:
        """A file or array -> contiguous float32 mono samples at the model's rate (untrimmed)."""
        from audiokit import io

        if isinstance(x, (str, os.PathLike)):
            y, _ = io.load(x, sr=self.sample_rate)
            return np.ascontiguousarray(y)
        y = as_mono(x)
        if sr is None:
            raise ValueError(f"an array input needs its sample rate: predict(y, sr=...) "
                             f"(the model expects {self.sample_rate} Hz)")
        if int(sr) != self.sample_rate:
            y = io.resample(y, int(sr), self.sample_rate)
        return np.ascontiguousarray(y)

    def _prepare(self, x, sr: int | None) -> tuple[np.ndarray, int]:
        """Loaded and trimmed samples, and the sample where they start in the loaded input."""
        y = self._load(x, sr)
        t = trim_view(y, self.sample_rate, self.trim)
        # trim_silence returns a slice of y: its start is its offset in y's buffer
        start = (t.ctypes.data - y.ctypes.data) // y.itemsize if t.size else 0
        return set_peak(t, (self.trim or {}).get("peak_dbfs")), start

    def _windows(self, y: np.ndarray) -> tuple[list[np.ndarray], list[int]]:
        spans = frame_windows(len(y), self.window, self.hop)
        return [y[a:b] for a, b in spans], [a for a, _ in spans]

    # -- model -------------------------------------------------------------------------------

    @torch.inference_mode()
    def _probs(self, chunks: Sequence[np.ndarray]) -> np.ndarray:
        """Softmax (sigmoids when multi-label) of each chunk (padded batch, masked) -> (N, C)."""
        from audiokit.evaluate import pad_to_one_frame

        out = []
        for i in range(0, len(chunks), self.batch_size):
            part = chunks[i: i + self.batch_size]
            n = max(len(c) for c in part)
            waves = torch.zeros(len(part), n)
            for j, c in enumerate(part):
                waves[j, : len(c)] = torch.from_numpy(np.ascontiguousarray(c))
            lengths = torch.tensor([len(c) for c in part], dtype=torch.int64)
            waves = pad_to_one_frame(waves, self.extractor)
            lengths = lengths.to(self.device)
            feats = self.extractor(waves.to(self.device), lengths)
            flen = self.extractor.frame_lengths(lengths)
            logits = self.model(feats, flen)
            probs = torch.sigmoid(logits.float()) if self.multi_label else logits.float().softmax(1)
            out.append(probs.cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def _top(self, p: np.ndarray, top_k: int) -> list[tuple[str, float]]:
        order = np.argsort(-p)[: max(1, int(top_k))]
        res = [(self.classes[i], float(p[i])) for i in order]
        if self.threshold is not None and float(p.max()) < float(self.threshold):
            res = [(UNKNOWN, float(p.max()))] + res
        return res

    # -- public ------------------------------------------------------------------------------

    def probabilities(self, x, sr: int | None = None) -> np.ndarray:
        """Mean class probabilities over the windows of one (trimmed) input, shape (C,)."""
        chunks, _ = self._windows(self._prepare(x, sr)[0])
        return self._probs(chunks).mean(axis=0)

    def predict(self, x, sr: int | None = None, top_k: int = 3) -> list[tuple[str, float]]:
        """Top-k ``(label, probability)`` for one file or array.

        Parameters
        ----------
        x : path, np.ndarray or torch.Tensor
            An audio file, or samples ``(n,)`` / ``(channels, n)``.
        sr : int, optional
            Sample rate of an array input in Hz (resampled to the model's rate).
        top_k : int
            How many labels to return, most probable first.

        Returns
        -------
        list of (str, float)
            With a ``threshold`` and a top probability below it, ``("unknown", top_prob)``
            comes first, followed by the top-k labels.

        Notebook: 15_inference_and_deployment
        """
        return self._top(self.probabilities(x, sr), top_k)

    def predict_many(self, inputs: Iterable, sr: int | None = None, top_k: int = 3,
                     on_error: str = "raise") -> list[Prediction]:
        """``predict`` for many files, folders, glob patterns or arrays, batched together.

        Parameters
        ----------
        inputs : iterable of path, pattern or array
            Folders give their audio files (recursive, sorted), patterns their matches
            (:func:`audiokit.sources.expand_inputs`).
        sr : int, optional
            Sample rate of array inputs in Hz.
        top_k : int
        on_error : {"raise", "skip"}
            ``"raise"``: the first input that cannot be read raises its error (naming it).
            ``"skip"``: it becomes a :class:`Prediction` with ``error`` set and the others are
            still classified; ``[r for r in res if not r.ok]`` lists the failures.

        Returns
        -------
        list of Prediction
            One per file, in input order (folders and patterns expanded in place).

        Notebook: 15_inference_and_deployment
        """
        return list(self.iter_predictions(inputs, sr=sr, top_k=top_k, on_error=on_error))

    def iter_predictions(self, inputs: Iterable, sr: int | None = None, top_k: int = 3,
                         on_error: str = "raise") -> Iterator[Prediction]:
        """:meth:`predict_many` as a generator: results come as soon as their batch is done.

        At most ``batch_size`` windows (plus one file's windows) are held at a time, so memory
        does not grow with the number of files.

        Notebook: 15_inference_and_deployment
        """
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error={on_error!r}: choose 'raise' or 'skip'")
        pending: list[tuple[Prediction, list[np.ndarray]]] = []
        n_pending = 0
        for i, (name, x, error) in enumerate(expand_inputs(inputs)):
            chunks: list[np.ndarray] = []
            if error is None:
                try:
                    chunks = self._windows(self._prepare(x, sr)[0])[0]
                except (AudioError, OSError, ValueError) as exc:  # unreadable / bad input
                    error = exc
            if error is not None and on_error == "raise":
                raise error
            pending.append((Prediction(name, error=_message(name, i, error)), chunks))
            n_pending += len(chunks)
            if n_pending >= self.batch_size:
                yield from self._flush(pending, top_k)
                pending, n_pending = [], 0
        yield from self._flush(pending, top_k)

    def _flush(self, pending: list[tuple[Prediction, list[np.ndarray]]],
               top_k: int) -> Iterator[Prediction]:
        probs = self._probs([c for _, cs in pending for c in cs])
        k = 0
        for res, cs in pending:
            if cs:
                res.probs = probs[k: k + len(cs)].mean(axis=0)
                res.top = self._top(res.probs, top_k)
                k += len(cs)
            yield res

    def timeline(self, x, sr: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities of each sliding window of the (end-trimmed) input.

        Returns
        -------
        times_s : np.ndarray, shape (n_windows,)
            Centre of each window in seconds from the start of the untrimmed input.
        probs : np.ndarray, shape (n_windows, C)

        Notebook: 15_inference_and_deployment
        """
        y, offset = self._prepare(x, sr)
        chunks, starts = self._windows(y)
        centres = [(offset + s + len(c) / 2) / self.sample_rate for s, c in zip(starts, chunks)]
        return np.asarray(centres, dtype=np.float64), self._probs(chunks)

    def stream(self, chunks: Iterable, sr: int | None = None, top_k: int = 3,
               silence_db: float = -60.0) -> Iterator[StreamResult]:
        """Classify a live stream: a rolling window over successive chunks of audio.

        Every ``hop_s`` seconds of new audio, the last ``window_s`` seconds (fewer at the very
        start) are resampled to the model's rate, checked against the silence floor, trimmed by
        :attr:`trim` and classified.

        Parameters
        ----------
        chunks : iterable of np.ndarray or torch.Tensor
            Successive pieces of one signal, any sizes, ``(n,)`` or ``(channels, n)``.
        sr : int, optional
            Their sample rate in Hz (default the model's).
        top_k : int
        silence_db : float
            A window whose loudest frame is below this RMS level (dBFS) yields
            ``StreamResult(silent=True)`` instead of a guess.

        Yields
        ------
        StreamResult
            ``time_s`` = end of the window in seconds since the first chunk.

        Notebook: 15_inference_and_deployment, 18_record_yourself
        """
        from audiokit import io

        sr = int(sr or self.sample_rate)
        frames = self.trim or TRIM_DEFAULTS
        for end, y in rolling_windows(chunks, max(1, round(self.window_s * sr)),
                                      max(1, round(self.hop_s * sr))):
            if sr != self.sample_rate:
                y = io.resample(y, sr, self.sample_rate)
            if is_silent(y, silence_db, frames["frame_length"], frames["hop_length"]):
                yield StreamResult(end / sr, silent=True)
                continue
            p = self._probs([apply_trim(y, self.sample_rate, self.trim)])[0]
            yield StreamResult(end / sr, self._top(p, top_k), p)

    def __repr__(self) -> str:
        return (f"Predictor({len(self.classes)} classes, {self.sample_rate} Hz, window {self.window_s} s, "
                f"hop {self.hop_s} s, trim {self.trim}, device {self.device})")


def _message(name: str | None, index: int, error: Exception | None) -> str | None:
    """The error's text, naming the input (the file, or "item #i" of the results for an array)."""
    if error is None:
        return None
    msg = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    label = name if name is not None else f"item #{index}"
    return msg if label in msg else f"{label}: {msg}"
