"""Use a trained checkpoint: classify files or arrays, sliding-window timelines, export.

:class:`Predictor` rebuilds the exact ``FeatureExtractor`` saved in the checkpoint, cuts long
inputs into windows (``window_s`` / ``hop_s`` seconds), batches windows in bounded batches under
``torch.inference_mode()`` and averages window probabilities per file. :func:`export` wraps
feature front-end + model into one graph that takes waveforms (ONNX or ``torch.export``).

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import contextlib
import io
import logging

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = ["Predictor", "WaveformClassifier", "export", "frame_windows"]

UNKNOWN = "unknown"


def frame_windows(n: int, window: int, hop: int) -> list[int]:
    """Start samples of the windows that cover ``n`` samples.

    Windows are ``window`` samples long, ``hop`` apart; the last one is aligned to the end so the
    tail is covered. A clip no longer than one window gives ``[0]`` (used whole).

    Notebook: 15_inference_and_deployment
    """
    if n <= window:
        return [0]
    starts = list(range(0, n - window + 1, hop))
    if starts[-1] + window < n:
        starts.append(n - window)
    return starts


class WaveformClassifier(torch.nn.Module):
    """``FeatureExtractor`` + model in one module: waveforms ``(B, samples)`` -> logits ``(B, C)``.

    Notebook: 15_inference_and_deployment
    """

    def __init__(self, extractor: torch.nn.Module, model: torch.nn.Module) -> None:
        super().__init__()
        self.extractor = extractor
        self.model = model

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        feats = self.extractor(waveforms, None)
        return self.model(feats, None)


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
        ``("unknown", top_prob)`` first.

    Notebook: 15_inference_and_deployment
    """

    def __init__(self, checkpoint, device: str = "auto", window_s: float | None = None,
                 hop_s: float | None = None, batch_size: int = 32,
                 threshold: float | None = None) -> None:
        from audiokit.train import build_from_checkpoint, load_checkpoint, resolve_device

        ck = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
        self.device = resolve_device(device)
        self.model, self.extractor, self.classes = build_from_checkpoint(ck, device=self.device)
        self.sample_rate = int(self.extractor.sample_rate)
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
        from audiokit import io

        if isinstance(x, (str, os.PathLike)):
            y, _ = io.load(x, sr=self.sample_rate)
            return y
        y = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        y = y.astype(np.float32, copy=False)
        if y.ndim == 2:
            y = io.to_mono(y)
        if y.ndim != 1 or y.size == 0:
            raise ValueError(f"expected a mono waveform (samples,) or (channels, samples), got {y.shape}")
        if sr is None:
            raise ValueError(f"an array input needs its sample rate: predict(y, sr=...) "
                             f"(the model expects {self.sample_rate} Hz)")
        if int(sr) != self.sample_rate:
            y = io.resample(y, int(sr), self.sample_rate)
        return y

    def _windows(self, y: np.ndarray) -> tuple[list[np.ndarray], list[int]]:
        starts = frame_windows(len(y), self.window, self.hop)
        return [y[s: s + self.window] for s in starts], starts

    # -- model -------------------------------------------------------------------------------

    @torch.inference_mode()
    def _probs(self, chunks: Sequence[np.ndarray]) -> np.ndarray:
        """Softmax of each chunk (padded batch, masked by lengths) -> (N, C)."""
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
            out.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def _top(self, p: np.ndarray, top_k: int) -> list[tuple[str, float]]:
        order = np.argsort(-p)[: max(1, int(top_k))]
        res = [(self.classes[i], float(p[i])) for i in order]
        if self.threshold is not None and float(p.max()) < float(self.threshold):
            res = [(UNKNOWN, float(p.max()))] + res
        return res

    # -- public ------------------------------------------------------------------------------

    def probabilities(self, x, sr: int | None = None) -> np.ndarray:
        """Mean class probabilities over the windows of one input, shape (C,)."""
        chunks, _ = self._windows(self._load(x, sr))
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

    def predict_many(self, inputs: Iterable, sr: int | None = None,
                     top_k: int = 3) -> list[list[tuple[str, float]]]:
        """``predict`` for many inputs, windows from several files batched together.

        At most ``batch_size`` windows (plus one file's windows) are held at a time, so memory
        does not grow with the number of files.

        Notebook: 15_inference_and_deployment
        """
        results: list = []
        pending: list[tuple[int, list[np.ndarray]]] = []
        n_pending = 0

        def flush() -> None:
            nonlocal pending, n_pending
            if not pending:
                return
            flat = [c for _, cs in pending for c in cs]
            probs = self._probs(flat)
            k = 0
            for idx, cs in pending:
                results[idx] = self._top(probs[k: k + len(cs)].mean(axis=0), top_k)
                k += len(cs)
            pending, n_pending = [], 0

        for x in inputs:
            chunks, _ = self._windows(self._load(x, sr))
            results.append(None)
            pending.append((len(results) - 1, chunks))
            n_pending += len(chunks)
            if n_pending >= self.batch_size:
                flush()
        flush()
        return results

    def timeline(self, x, sr: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities of each sliding window, for a timeline plot.

        Returns
        -------
        times_s : np.ndarray, shape (n_windows,)
            Centre of each window in seconds.
        probs : np.ndarray, shape (n_windows, C)

        Notebook: 15_inference_and_deployment
        """
        y = self._load(x, sr)
        chunks, starts = self._windows(y)
        centres = [(s + len(c) / 2) / self.sample_rate for s, c in zip(starts, chunks)]
        return np.asarray(centres, dtype=np.float64), self._probs(chunks)

    def __repr__(self) -> str:
        return (f"Predictor({len(self.classes)} classes, {self.sample_rate} Hz, window {self.window_s} s, "
                f"hop {self.hop_s} s, device {self.device})")


def export(checkpoint, out: str | os.PathLike, example_seconds: float | None = None,
           opset: int = 18) -> Path:
    """Export feature front-end + model as one graph taking waveforms ``(B, samples)`` -> logits.

    Parameters
    ----------
    checkpoint : path or checkpoint dict
    out : path
        ``*.onnx`` (``torch.onnx.export``, dynamic batch and length axes) or ``*.pt2``
        (``torch.export.save``, dynamic batch and length).
    example_seconds : float, optional
        Length of the example input used for tracing; default the training duration.
    opset : int
        ONNX opset version.

    Returns
    -------
    pathlib.Path
        The written file (written to a temp name, then renamed).

    Notebook: 15_inference_and_deployment
    """
    from audiokit.train import build_from_checkpoint, load_checkpoint

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".onnx", ".pt2"):
        raise ValueError(f"{out}: export format must be .onnx or .pt2")
    ck = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
    model, extractor, _ = build_from_checkpoint(ck, device="cpu")
    wrapper = WaveformClassifier(extractor, model).eval()
    seconds = example_seconds or float(ck.get("config", {}).get("duration", 1.0))
    n = max(int(seconds * extractor.sample_rate), extractor.win_length * 4)
    example = torch.randn(2, n) * 0.1
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    batch = torch.export.Dim("batch", min=1, max=1024)
    samples = torch.export.Dim("samples", min=extractor.win_length * 2, max=extractor.sample_rate * 600)
    try:
        if suffix == ".onnx":
            with _quiet_onnx_logs():
                torch.onnx.export(
                    wrapper, (example,), str(tmp), input_names=["waveforms"],
                    output_names=["logits"], dynamic_shapes={"waveforms": {0: batch, 1: samples}},
                    opset_version=opset, dynamo=True, external_data=False, verbose=False,
                )
        else:
            auto = torch.export.Dim.AUTO  # let export find the ranges the graph supports
            ep = torch.export.export(wrapper, (example,),
                                     dynamic_shapes={"waveforms": {0: auto, 1: auto}})
            torch.export.save(ep, str(tmp))
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


@contextlib.contextmanager
def _quiet_onnx_logs():
    """Silence the exporter's progress lines and its "torchvision is not installed" warnings
    (irrelevant here) while keeping errors."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)
