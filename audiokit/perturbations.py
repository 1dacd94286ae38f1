"""Named, deterministic perturbations of one clip: audio as users have it, for robustness reports.

Each perturbation is a deterministic transform of one mono float32 waveform at the model's rate:
the random parts (noise, placement) are seeded from a report's ``seed`` and the clip's index in
the dataset, so a rerun, or a run on a subset, perturbs each clip identically. They are built
from the kit's own transforms in :mod:`audiokit.augment`, applied with ``p=1`` and pinned
settings (:func:`audiokit.augment.preview`). :mod:`audiokit.robustness` scores a checkpoint under
them.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from audiokit.augment import preview
from audiokit.io import fix_length

__all__ = ["DEFAULT_PERTURBATIONS", "NOISE_FLOOR_DBFS", "PAD_AFTER_S", "PAD_BEFORE_S",
           "PERTURBATIONS", "PLACEMENT_WINDOW_S", "REVERB_RT60_S", "Perturbation", "clip_seed",
           "perturb", "resolve_perturbations"]

#: Digital silence (seconds) put before and after the clip by ``pad``.
PAD_BEFORE_S, PAD_AFTER_S = 0.25, 0.5
#: ``offset`` places the sound at a random start inside a window this long (seconds).
PLACEMENT_WINDOW_S = 1.5
#: RMS level of the noise floor of ``pad+noise-60dBFS`` (dB relative to full scale 1.0).
NOISE_FLOOR_DBFS = -60.0
#: Reverberation time (seconds) of the fixed synthetic room of ``reverb``.
REVERB_RT60_S = 0.4
#: The room of ``reverb`` is drawn once from this seed: the same impulse response for every clip,
#: every report seed and every model, so reverb rows compare across runs.
REVERB_IR_SEED = 0

Transform = Callable[[np.ndarray, int, int], np.ndarray]


@dataclass(frozen=True)
class Perturbation:
    """A named, deterministic change of one clip: ``transform(y, sr, seed) -> y``, float32
    samples ``(n,)`` at ``sr`` Hz in and out (the length may change); same seed, same output.

    Notebook: 15_inference_and_deployment
    """

    name: str
    description: str
    transform: Transform = field(repr=False)

    def __call__(self, y: np.ndarray, sr: int, seed: int = 0) -> np.ndarray:
        y = np.ascontiguousarray(y, dtype=np.float32)
        return np.asarray(self.transform(y, int(sr), int(seed)), dtype=np.float32)


#: Every perturbation by name, in report order.
PERTURBATIONS: dict[str, Perturbation] = {}


def _register(name: str, description: str) -> Callable[[Transform], Transform]:
    def add(fn: Transform) -> Transform:
        PERTURBATIONS[name] = Perturbation(name, description, fn)
        return fn

    return add


def _surround(y: np.ndarray, sr: int, lead_s: float, trail_s: float) -> np.ndarray:
    """Exactly ``lead_s`` seconds of digital silence before the clip and ``trail_s`` after."""
    return preview(y, sr, "placement", min_lead_s=lead_s, max_lead_s=lead_s, min_trail_s=trail_s,
                   max_trail_s=trail_s)


_register("clean", "the test clip as it is")(lambda y, sr, seed: y)


@_register("pad", f"{PAD_BEFORE_S:g} s of digital silence before, {PAD_AFTER_S:g} s after")
def _padded(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
    return _surround(y, sr, PAD_BEFORE_S, PAD_AFTER_S)


@_register("pad+noise-60dBFS", f"pad, then white noise at {NOISE_FLOOR_DBFS:g} dBFS RMS over the "
                               "whole padded clip")
def _padded_noise_floor(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
    padded = _surround(y, sr, PAD_BEFORE_S, PAD_AFTER_S)
    return preview(padded, sr, "noise_floor", seed=seed, level_db=NOISE_FLOOR_DBFS, kind="white")


@_register("offset", f"the sound at a random offset inside a {PLACEMENT_WINDOW_S:g} s window, "
                     "silence around")
def _offset(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
    window = round(PLACEMENT_WINDOW_S * sr)
    if len(y) >= window:  # nothing to place: the clip fills the window already
        return y
    placed = preview(y, sr, "placement", seed=seed, max_lead_s=(window - len(y)) / sr,
                     max_trail_s=0.0)
    return fix_length(placed, window)


def _noise_at(snr_db: float) -> Transform:
    def add_noise(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
        return preview(y, sr, "noise", seed=seed, snr_db=(snr_db, snr_db), kind="white")

    return add_noise


for _snr in (30, 20, 10):
    _register(f"noise-snr{_snr}", f"white noise at {_snr} dB SNR (relative to the clip's RMS)")(
        _noise_at(float(_snr)))


def _gain(db: float, clip: bool) -> Transform:
    def scale(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
        out = preview(y, sr, "gain", min_db=db, max_db=db)
        return np.clip(out, -1.0, 1.0) if clip else out

    return scale


_register("gain-20dB", "20 dB quieter")(_gain(-20.0, clip=False))
_register("gain+6dB", "6 dB louder, clipped to [-1, 1]")(_gain(6.0, clip=True))


@_register("telephone", "300-3400 Hz band through an 8 kHz line, G.711 mu-law (8 bit)")
def _telephone(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
    band = preview(y, sr, "telephone", low_hz=300.0, high_hz=3400.0)
    return preview(band, sr, "mulaw", codec_rate=min(8000, sr))


@_register("reverb", f"a fixed synthetic room, RT60 {REVERB_RT60_S:g} s, tail kept")
def _reverb(y: np.ndarray, sr: int, seed: int) -> np.ndarray:
    # Reverb cuts the wet signal at the input's length: silence after the clip lets it ring out
    ringing = _surround(y, sr, 0.0, REVERB_RT60_S)
    return preview(ringing, sr, "reverb", seed=REVERB_IR_SEED, rt60=REVERB_RT60_S)


#: The perturbations a report runs when none are named: all of them.
DEFAULT_PERTURBATIONS: tuple[str, ...] = tuple(PERTURBATIONS)


def resolve_perturbations(names: str | Iterable[str] | None) -> list[str]:
    """Check perturbation names; ``"clean"`` is put first (every change is measured against it).

    ``names``: names, one comma-separated string (``"pad,telephone"``), or ``None`` for
    :data:`DEFAULT_PERTURBATIONS`. An unknown name raises ``ValueError`` naming it and the choices.

    Notebook: 15_inference_and_deployment
    """
    if names is None:
        names = DEFAULT_PERTURBATIONS
    elif isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    chosen = [_known(n) for n in dict.fromkeys(names)]
    return ["clean"] + [n for n in chosen if n != "clean"]


def _known(name: str) -> str:
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r}; choose from {', '.join(PERTURBATIONS)}")
    return name


def clip_seed(seed: int, index: int) -> int:
    """The seed of clip ``index`` in a report seeded with ``seed`` (independent streams per clip).

    Notebook: 15_inference_and_deployment
    """
    if int(seed) < 0 or int(index) < 0:
        raise ValueError(f"seed and clip index must be >= 0, got {seed}, {index}")
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def perturb(name: str, y: np.ndarray, sr: int, seed: int = 0, index: int = 0) -> np.ndarray:
    """Perturbation ``name`` of one mono clip ``y`` at ``sr`` Hz, exactly as a report seeded
    ``seed`` perturbs its clip number ``index``.

    Notebook: 15_inference_and_deployment
    """
    return PERTURBATIONS[_known(name)](y, sr, clip_seed(seed, index))
