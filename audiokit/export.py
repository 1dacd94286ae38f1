"""Export feature front-end + model as one graph that takes waveforms (ONNX or ``torch.export``).

:class:`WaveformClassifier` chains the checkpoint's ``FeatureExtractor`` and model, so the exported
graph needs nothing but samples. Also importable from :mod:`audiokit.predict`.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path

import torch

__all__ = ["WaveformClassifier", "export"]


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
