"""The settings ``FeatureExtractor`` accepts, and the checks that turn bad settings or bad input
into a ``ValueError`` that names the problem.

Notebook: 04_mel_mfcc_fbank
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from audiokit.features.extractor import FeatureExtractor

__all__ = ["KINDS", "NORMALIZE", "PAD_MODES", "check_arguments", "check_waveforms"]

KINDS = ("spectrogram", "log_mel", "mfcc", "fbank")
NORMALIZE = (None, "cmn", "cmvn")
PAD_MODES = ("constant", "reflect")


def check_arguments(args: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first bad ``FeatureExtractor`` constructor argument.

    Parameters
    ----------
    args : dict
        The constructor's arguments by name (its ``locals()``).
    """
    kind = args["kind"]
    if kind not in KINDS:
        raise ValueError(f"FeatureExtractor: kind must be one of {KINDS}, got {kind!r}")
    if args["normalize"] not in NORMALIZE:
        raise ValueError(
            f"FeatureExtractor: normalize must be None, 'cmn' or 'cmvn', got {args['normalize']!r}"
        )
    for name in ("sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "n_mfcc"):
        value = args[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"FeatureExtractor: {name} must be a positive int, got {value!r}")
    if args["pad_mode"] not in PAD_MODES:
        raise ValueError(
            f"FeatureExtractor: pad_mode must be one of {PAD_MODES}, got {args['pad_mode']!r}"
        )
    if kind == "fbank" and args["pad_mode"] != "constant":
        raise ValueError(
            "FeatureExtractor: pad_mode is for the STFT kinds; fbank's edges follow snip_edges"
        )
    if kind != "fbank" and args["win_length"] > args["n_fft"]:
        raise ValueError(
            f"FeatureExtractor: win_length ({args['win_length']}) must be <= n_fft ({args['n_fft']})"
        )
    if kind == "mfcc" and args["n_mfcc"] > args["n_mels"]:
        raise ValueError(
            f"FeatureExtractor: n_mfcc ({args['n_mfcc']}) must be <= n_mels ({args['n_mels']})"
        )
    if args["power"] <= 0 or args["log_floor"] <= 0 or args["dither"] < 0:
        raise ValueError("FeatureExtractor: power and log_floor must be > 0, dither >= 0")
    top_db = args.get("top_db")
    if top_db is not None:
        if kind == "fbank":
            raise ValueError("FeatureExtractor: top_db is for the dB kinds (spectrogram, "
                             "log_mel, mfcc); fbank is Kaldi's natural log with no such floor")
        if isinstance(top_db, bool) or not isinstance(top_db, (int, float)) or top_db <= 0:
            raise ValueError(f"FeatureExtractor: top_db must be None or a number > 0 (dB), "
                             f"got {top_db!r}")


def check_waveforms(
    fe: FeatureExtractor, waveforms: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """Check the input of ``fe.forward``; return ``waveforms`` as ``(B, samples)``.

    Shapes are always checked; the values of ``lengths`` only outside a compiled or exported
    graph (a data-dependent check cannot be part of one).
    """
    if not isinstance(waveforms, torch.Tensor):
        raise ValueError(  # noqa: TRY004 (the API promises ValueError for bad input)
            f"FeatureExtractor: waveforms must be a torch.Tensor, got {type(waveforms).__name__}"
        )
    if not waveforms.is_floating_point():
        raise ValueError(
            f"FeatureExtractor: waveforms must be float (e.g. float32 in [-1, 1]), got "
            f"{waveforms.dtype}; convert int PCM with x.float() / 32768"
        )
    if waveforms.dim() == 1:
        waveforms = waveforms.unsqueeze(0)
    if waveforms.dim() != 2:
        raise ValueError(
            f"FeatureExtractor: waveforms must have shape (batch, samples) or (samples,), "
            f"got {tuple(waveforms.shape)}"
        )
    if lengths is not None and (
        not isinstance(lengths, torch.Tensor)
        or lengths.dim() != 1
        or lengths.shape[0] != waveforms.shape[0]
    ):
        raise ValueError(
            f"FeatureExtractor: lengths must be a 1-D tensor with one entry per clip "
            f"({waveforms.shape[0]}), got "
            f"{tuple(lengths.shape) if isinstance(lengths, torch.Tensor) else lengths!r}"
        )
    if fe.kind != "fbank" and fe.center and fe.pad_mode == "reflect":
        _check_reflect(fe.n_fft // 2, waveforms.shape[-1], lengths)
    min_len = fe.win_length if fe.kind == "fbank" else (1 if fe.center else fe.n_fft)
    if waveforms.shape[-1] < min_len:
        raise ValueError(
            f"FeatureExtractor: waveforms have {waveforms.shape[-1]} samples, need at least "
            f"{min_len}"
        )
    return waveforms


def _check_reflect(pad: int, n_samples: int, lengths: torch.Tensor | None) -> None:
    """Mirroring ``pad`` samples at each end needs more than ``pad`` samples in every clip."""
    need = (
        f"pad_mode='reflect' mirrors n_fft // 2 = {pad} samples at each end, so each clip "
        f"needs more than {pad} samples"
    )
    if n_samples <= pad:
        raise ValueError(f"FeatureExtractor: {need}; waveforms have {n_samples}")
    if lengths is None or torch.compiler.is_compiling():
        return
    shortest, longest = int(lengths.min()), int(lengths.max())
    if shortest <= pad or longest > n_samples:
        raise ValueError(
            f"FeatureExtractor: {need} and at most the {n_samples} samples given; lengths "
            f"range from {shortest} to {longest}"
        )
