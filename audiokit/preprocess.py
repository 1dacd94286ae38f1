"""The preprocessing a checkpoint's training clips had, applied again at inference and evaluation.

The shipped datasets were cut with :func:`audiokit.io.trim_silence` (and the drums scaled to a
peak of -1 dBFS); audio as users have it has silence around the sound and any level. A
checkpoint records the rule its clips were made with::

    ck["preprocess"] = {"trim": {"top_db": 40.0, "margin_s": 0.02, "frame_length": 512,
                                 "hop_length": 128, "precise_start": False,
                                 "strip_zeros": True, "peak_dbfs": None}}  # or {"trim": None}

``strip_zeros`` also cuts exact-zero samples left at the ends (digital silence; the shipped
files were cut without it, so training strips them as it batches: :func:`trim_rules` of
``audiokit.train.data``). ``peak_dbfs`` (None: level untouched) scales the trimmed clip so its
peak sits there. No ``"preprocess"`` key, as in older checkpoints, means no trimming; a saved
rule without a key has that key's :data:`TRIM_DEFAULTS` value. :func:`trim_rule` turns
that and a caller's ``trim=`` choice into the rule in force, :func:`apply_trim` applies it to one
waveform, :class:`TrimCollate` to each clip of a batch, and :func:`is_silent` says whether a
window holds any sound at all (for live streams).

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from audiokit import io, signals

__all__ = ["TRIM_DEFAULTS", "TrimCollate", "ZeroStripCollate", "apply_trim", "is_silent",
           "set_peak", "trim_rule", "trim_view"]

#: The keyword arguments of :func:`audiokit.io.trim_silence` with their defaults (the spoken
#: digits' rule), and ``peak_dbfs``, the level the trimmed clip is scaled to (None: unchanged).
TRIM_DEFAULTS: dict[str, float | bool | None] = {
    "top_db": 40.0, "margin_s": 0.02, "frame_length": 512, "hop_length": 128,
    "precise_start": False, "strip_zeros": False, "peak_dbfs": None}


def trim_rule(checkpoint: Mapping | None, trim: Any = "auto") -> dict | None:
    """The trimming rule in force, as keyword arguments of :func:`audiokit.io.trim_silence`.

    Parameters
    ----------
    checkpoint : dict, optional
        The checkpoint; its ``["preprocess"]["trim"]`` is the rule for ``trim="auto"``.
    trim : "auto", None, bool or dict
        ``"auto"``: the checkpoint's rule (none if it has none); ``None`` / ``False``: no
        trimming; ``True``: :data:`TRIM_DEFAULTS`; a dict: this rule (missing keys from
        :data:`TRIM_DEFAULTS`).

    Returns
    -------
    dict or None
        The keys of :data:`TRIM_DEFAULTS`, or ``None`` for no trimming.

    Notebook: 15_inference_and_deployment
    """
    if trim is None or trim is False:
        return None
    if trim is True:
        return dict(TRIM_DEFAULTS)
    if isinstance(trim, str):
        if trim != "auto":
            raise ValueError(f"trim={trim!r}: use 'auto', None, True or a dict of "
                             f"{', '.join(TRIM_DEFAULTS)}")
        saved = (checkpoint or {}).get("preprocess") or {}
        rule = saved.get("trim")
        return _complete(rule, "the checkpoint's preprocess['trim']") if rule else None
    if isinstance(trim, Mapping):
        return _complete(trim, "trim")
    raise TypeError(f"trim must be 'auto', None, a bool or a dict, got {type(trim).__name__}")


def _complete(rule: Mapping, where: str) -> dict:
    unknown = sorted(set(rule) - set(TRIM_DEFAULTS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                         f"expected {', '.join(TRIM_DEFAULTS)}")
    out = {**TRIM_DEFAULTS, **rule}
    for flag in ("precise_start", "strip_zeros"):
        if not isinstance(out[flag], (bool, np.bool_)):  # a bad rule value: ValueError
            raise ValueError(f"{where}: {flag} must be true or false, "  # noqa: TRY004
                             f"got {out[flag]!r}")
    out = {"top_db": float(out["top_db"]), "margin_s": float(out["margin_s"]),
           "frame_length": int(out["frame_length"]), "hop_length": int(out["hop_length"]),
           "precise_start": bool(out["precise_start"]), "strip_zeros": bool(out["strip_zeros"]),
           "peak_dbfs": None if out["peak_dbfs"] is None else float(out["peak_dbfs"])}
    if out["peak_dbfs"] is not None and not -120.0 <= out["peak_dbfs"] <= 0.0:
        raise ValueError(f"{where}: peak_dbfs must be None or in [-120, 0] dBFS, "
                         f"got {out['peak_dbfs']}")
    if out["top_db"] <= 0 or out["margin_s"] < 0 or out["frame_length"] < 1 or out["hop_length"] < 1:
        raise ValueError(f"{where}: needs top_db > 0 dB, margin_s >= 0 s and frame/hop lengths "
                         f">= 1 sample, got {out}")
    return out


def trim_view(y: np.ndarray, sr: int, rule: Mapping | None) -> np.ndarray:
    """The silence-trimmed view of ``y`` by ``rule`` (its level untouched), or ``y`` itself.

    Notebook: 15_inference_and_deployment
    """
    if rule is None:
        return y
    return io.trim_silence(y, sr, **{k: v for k, v in rule.items() if k != "peak_dbfs"})


def set_peak(y: np.ndarray, peak_dbfs: float | None) -> np.ndarray:
    """``y`` scaled so its largest magnitude is ``peak_dbfs`` dBFS (1.0 = 0 dBFS); all-zero input
    and ``peak_dbfs=None`` give ``y`` back.

    Notebook: 15_inference_and_deployment
    """
    peak = float(np.max(np.abs(y))) if np.size(y) else 0.0
    if peak_dbfs is None or peak <= 0.0:
        return y
    return (np.asarray(y) * (10.0 ** (float(peak_dbfs) / 20.0) / peak)).astype(np.float32)


def apply_trim(y: np.ndarray, sr: int, rule: Mapping | None) -> np.ndarray:
    """``y`` cut by ``rule`` (:func:`trim_view`) and set to its ``peak_dbfs``; ``y`` itself
    when ``rule`` is None.

    Notebook: 15_inference_and_deployment
    """
    if rule is None:
        return y
    return set_peak(trim_view(y, sr, rule), rule.get("peak_dbfs"))


def is_silent(y: np.ndarray, floor_db: float = -60.0, frame_length: int = 512,
              hop_length: int = 128) -> bool:
    """True when no frame of ``y`` reaches ``floor_db`` dBFS RMS (0 dBFS = RMS 1.0).

    Trimming is relative to the loudest frame, so it cannot tell quiet room noise from sound;
    this absolute floor can. Frames as in :func:`audiokit.io.trim_silence` (samples).

    Notebook: 15_inference_and_deployment
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.size == 0:
        return True
    rms = librosa.feature.rms(y=y, frame_length=int(frame_length), hop_length=int(hop_length))
    return 20.0 * np.log10(max(float(rms.max()), 1e-12)) < float(floor_db)


class TrimCollate:
    """Cut each clip of a batch by ``rule`` (:func:`apply_trim`, ``sample_rate`` Hz), then
    call ``collate``.

    For DataLoaders over an :class:`audiokit.datasets.AudioDataset` (items ``(waveform, label,
    ...)``): the waveform of every clip is available here, before padding.

    Notebook: 15_inference_and_deployment
    """

    def __init__(self, collate: Callable, rule: Mapping, sample_rate: int) -> None:
        self.collate = collate
        self.rule = dict(rule)
        self.sample_rate = int(sample_rate)

    def cut(self, waveform: np.ndarray) -> np.ndarray:
        """One clip as this collate hands it on."""
        return apply_trim(waveform, self.sample_rate, self.rule)

    def __call__(self, batch: Sequence[tuple]):
        return self.collate([(self.cut(np.asarray(w)), *rest) for w, *rest in batch])

    def __repr__(self) -> str:
        return f"TrimCollate({self.collate!r}, rule={self.rule})"


class ZeroStripCollate(TrimCollate):
    """A :class:`TrimCollate` whose only cut is the exact-zero samples at both ends of each clip
    (:func:`audiokit.signals.strip_zero_ends`).

    What training does to shipped clips whose rule has ``strip_zeros``: their files were cut by
    the rule's level part only, so the one step left is applied as they are batched, and served
    audio (:func:`trim_view`) and training clips meet the same rule.

    Notebook: 15_inference_and_deployment
    """

    def __init__(self, collate: Callable) -> None:
        self.collate = collate
        self.rule = {"strip_zeros": True}

    def cut(self, waveform: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(signals.strip_zero_ends(waveform))

    def __repr__(self) -> str:
        return f"ZeroStripCollate({self.collate!r})"
