"""Augmentation chains from plain config dicts (``TrainConfig.augment``), and ``preview``.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import torch

from audiokit.augment.base import Compose
from audiokit.augment.channel import MuLaw, RandomEQ, TelephoneBand
from audiokit.augment.noise import AddNoise, NoiseFloor
from audiokit.augment.pitch import PitchShift
from audiokit.augment.room import Reverb
from audiokit.augment.spectral import Mixup, SpecAugment
from audiokit.augment.waveform import EdgeCut, Gain, RandomPlacement, SpeedPerturb, TimeShift

__all__ = [
    "SEED_OFFSET",
    "WAVEFORM_AUGMENTS",
    "WAVEFORM_STRENGTH",
    "build_mixup",
    "build_spec_augment",
    "build_waveform_augment",
    "preview",
]

#: Waveform augmentations by config name, in the order :func:`build_waveform_augment` applies them:
#: the source (speed, pitch), where it sits in time (shift, placement), the room (reverb, background
#: noise), the microphone (eq, recording level, its noise floor at an absolute level, so ``gain``
#: does not scale it), then the transmission channel (telephone band, mu-law codec).
WAVEFORM_AUGMENTS: dict[str, type] = {
    "speed": SpeedPerturb,
    "pitch": PitchShift,
    "edge_cut": EdgeCut,
    "shift": TimeShift,
    "placement": RandomPlacement,
    "reverb": Reverb,
    "noise": AddNoise,
    "eq": RandomEQ,
    "gain": Gain,
    "noise_floor": NoiseFloor,
    "telephone": TelephoneBand,
    "mulaw": MuLaw,
}

#: Each transform's generator is ``seed + SEED_OFFSET[name]``: the order the kit gained them, not
#: the order they apply, so adding a transform leaves every older recipe's draws as they were.
SEED_OFFSET: dict[str, int] = {
    "speed": 0, "pitch": 1, "shift": 2, "placement": 3, "reverb": 4, "noise": 5, "eq": 6,
    "gain": 7, "noise_floor": 8, "telephone": 9, "mulaw": 10, "edge_cut": 11,
}

#: Strength ``s`` in [0, 1] (0 = barely, 1 = a lot) -> fixed options of each waveform augmentation,
#: so one slider can drive transforms whose options have different names and units.
WAVEFORM_STRENGTH: dict[str, Callable[[float], dict]] = {
    "speed": lambda s: {"factors": (1 + 0.5 * s,)},
    "pitch": lambda s: {"semitones": (4 * s, 4 * s)},
    "edge_cut": lambda s: {"max_lead": 0.4 * s, "max_trail": 0.4 * s},
    "shift": lambda s: {"max_shift_s": 0.3 * s, "mode": "zero"},
    "placement": lambda s: {
        "max_lead_s": 0.5 * s,
        "min_lead_s": 0.5 * s,
        "max_trail_s": 1.0 * s,
        "min_trail_s": 1.0 * s,
    },
    "reverb": lambda s: {"rt60": (0.05 + 1.5 * s, 0.05 + 1.5 * s)},
    "noise": lambda s: {"snr_db": (30 - 30 * s, 30 - 30 * s), "kind": "pink"},
    "eq": lambda s: {
        "gain_db": (-15 * s, 15 * s),
        "n_bands": (3, 3),
        "tilt_db_per_octave": (-3 * s, 3 * s),
    },
    "gain": lambda s: {"min_db": -24 * s, "max_db": -24 * s},
    "noise_floor": lambda s: {"level_db": (-100 + 70 * s, -100 + 70 * s)},
    "telephone": lambda s: {"low_hz": 100 + 200 * s, "high_hz": 6400 - 3000 * s},
    "mulaw": lambda s: {"codec_rate": 8000 if s >= 0.5 else None},
}

_SPEC_KEYS = ("specaugment", "spec_augment")


def _options(name: str, value) -> dict | None:
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise TypeError(
            f"augment config {name!r}: expected a dict of options or true/false, got {value!r}"
        )
    return dict(value)


def _make(cls: type, name: str, opts: dict):
    try:
        return cls(**opts)
    except TypeError as err:
        raise TypeError(f"augment config {name!r}: {err}") from None


def _takes_rate(cls: type) -> bool:
    return "sample_rate" in inspect.signature(cls).parameters


def build_waveform_augment(
    config: dict | None, sample_rate: int = 16000, seed: int | None = None
) -> Compose:
    """Waveform augmentation from a dict: ``{"gain": {"p": 0.5}, "noise": {"snr_db": [10, 30]}}``.

    Keys (applied in the order of :data:`WAVEFORM_AUGMENTS`, whatever the dict order): ``speed``,
    ``pitch``, ``edge_cut``, ``shift``, ``placement``, ``reverb``, ``noise``, ``eq``, ``gain``,
    ``noise_floor``, ``telephone``, ``mulaw``; each value is the transform's keyword arguments,
    ``true`` for defaults or ``false``/``null`` to switch it off. ``sample_rate`` is filled in
    where needed. With ``seed`` each transform gets its own ``torch.Generator`` (``seed`` + its
    :data:`SEED_OFFSET`). Loudness normalisation, if used, must happen before this (it would undo
    ``gain``).

    Notebook: 06_pipeline_and_training_loop
    """
    config = dict(config or {})
    unknown = [k for k in config if k not in WAVEFORM_AUGMENTS]
    if unknown:
        raise ValueError(
            f"unknown waveform augmentation(s) {unknown}; "
            f"choose from {', '.join(WAVEFORM_AUGMENTS)}"
        )
    steps = []
    for name, cls in WAVEFORM_AUGMENTS.items():
        opts = _options(name, config.get(name))
        if opts is None:
            continue
        if _takes_rate(cls):
            opts.setdefault("sample_rate", sample_rate)
        if seed is not None and "generator" not in opts:
            opts.setdefault("seed", seed + SEED_OFFSET[name])
        steps.append(_make(cls, name, opts))
    return Compose(steps)


def build_spec_augment(config: dict | None, seed: int | None = None) -> Compose:
    """Feature-level augmentation from a dict: ``{"specaugment": {"freq_masks": 2, ...}}``.

    A ``"mixup"`` key is allowed and ignored here (build it with :func:`build_mixup`: it also
    mixes targets, so it is applied separately, last).

    Notebook: 06_pipeline_and_training_loop
    """
    config = dict(config or {})
    unknown = [k for k in config if k not in _SPEC_KEYS + ("mixup",)]
    if unknown:
        raise ValueError(f"unknown feature augmentation(s) {unknown}; choose specaugment or mixup")
    steps = []
    for key in _SPEC_KEYS:
        opts = _options(key, config.get(key))
        if opts is not None:
            if seed is not None and "generator" not in opts:
                opts.setdefault("seed", seed)
            steps.append(_make(SpecAugment, key, opts))
    return Compose(steps)


def build_mixup(config: dict | None, num_classes: int, seed: int | None = None) -> Mixup | None:
    """:class:`Mixup` from ``config["mixup"]`` (options dict or true), or ``None`` when absent.

    Notebook: 06_pipeline_and_training_loop
    """
    opts = _options("mixup", (config or {}).get("mixup"))
    if opts is None:
        return None
    opts.setdefault("num_classes", num_classes)
    if seed is not None and "generator" not in opts:
        opts.setdefault("seed", seed)
    return _make(Mixup, "mixup", opts)


def preview(y: np.ndarray, sr: int, name: str, seed: int = 0, **kw) -> np.ndarray:
    """Apply one waveform augmentation (always, ``p=1``) to one clip, NumPy in and out.

    Parameters
    ----------
    y : np.ndarray
        Samples ``(n,)``.
    sr : int
        Sample rate in Hz.
    name : str
        A key of :data:`WAVEFORM_AUGMENTS` (``"noise"``, ``"telephone"``, ...).
    seed : int
        Same seed, same result.
    **kw
        Options of the transform (e.g. ``snr_db=(10, 10)``); :data:`WAVEFORM_STRENGTH` maps a
        strength in [0, 1] to such options.

    Returns
    -------
    np.ndarray
        float32 ``(n,)`` (zero past the new length where the transform shortens the clip), or
        longer for ``"placement"`` (the added silence is returned too).

    Notebook: 05_datasets_and_augmentation
    """
    if name not in WAVEFORM_AUGMENTS:
        raise ValueError(
            f"unknown augmentation {name!r}; choose from {', '.join(WAVEFORM_AUGMENTS)}"
        )
    cls = WAVEFORM_AUGMENTS[name]
    opts = dict(kw, p=1.0, seed=seed)
    if _takes_rate(cls):
        opts.setdefault("sample_rate", sr)
    t = _make(cls, name, opts)
    x = torch.as_tensor(np.asarray(y, dtype=np.float32).reshape(1, -1))
    with torch.no_grad():
        out, _ = t(x, torch.tensor([x.shape[1]]))
    return out[0].numpy().astype(np.float32)
