"""Robustness report: a checkpoint's accuracy on its test clips under named perturbations.

A model trained on clips cut tightly around the sound can look perfect on a test split cut the
same way and fail on audio as people have it: silence around the sound, a noise floor, a quieter
microphone, a phone line, a room. :func:`robustness` scores the same clips once per perturbation,
through :class:`audiokit.predict.Predictor` (the path ``audiokit predict`` takes), and reports the
accuracy of each and its change against the clean clips in percentage points.

Each perturbation is a deterministic transform of one mono float32 waveform at the model's rate:
the random parts (noise, placement) are seeded from the report's ``seed`` and the clip's index in
the dataset, so a rerun, or a run on a subset (``max_clips``), perturbs each clip identically.
They are built from the kit's own transforms in :mod:`audiokit.augment`, applied with ``p=1`` and
pinned settings (:func:`audiokit.augment.preview`).

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audiokit.augment import preview
from audiokit.io import fix_length

__all__ = ["DEFAULT_PERTURBATIONS", "PERTURBATIONS", "Perturbation", "Report", "Row", "clip_seed",
           "compare",
           "perturb", "resolve_perturbations", "robustness"]

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


# -- the report ------------------------------------------------------------------------------


@dataclass
class Row:
    """One perturbation's result: ``accuracy`` in [0, 1] over ``clips``, ``change`` = accuracy -
    clean accuracy in percentage points, ``probs`` (clips, C) the Predictor's class probabilities.

    Notebook: 15_inference_and_deployment
    """

    name: str
    description: str
    accuracy: float
    clips: int
    change: float
    probs: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable (no probabilities)."""
        return {"perturbation": self.name, "description": self.description,
                "accuracy": self.accuracy, "clips": self.clips, "change_points": self.change}


@dataclass
class Report:
    """Accuracy of one checkpoint on one set of clips, once per perturbation.

    Attributes
    ----------
    rows : list of Row
        ``clean`` first, then the perturbations in the order asked for; ``report["pad"]`` is one.
    classes : list of str
    targets : np.ndarray, int64, shape (clips,)
    checkpoint, dataset : str
        What was scored.
    seed : int
    trim : dict or None
        The Predictor's trimming rule in force (:attr:`audiokit.predict.Predictor.trim`).

    Notebook: 15_inference_and_deployment
    """

    rows: list[Row]
    classes: list[str]
    targets: np.ndarray
    checkpoint: str = ""
    dataset: str = ""
    seed: int = 0
    trim: dict | None = None

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no row {name!r} in this report; rows: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [row.name for row in self.rows]

    def caption(self) -> str:
        """One line: checkpoint, data, clips, seed, trimming."""
        trim = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool)
                         else f"{k}={v}" for k, v in self.trim.items()) if self.trim else "off"
        return (f"robustness of {self.checkpoint} on {self.dataset} ({self.rows[0].clips} clips, "
                f"seed {self.seed}, trim {trim})")

    def table(self) -> str:
        """A Markdown table: perturbation, accuracy %, clips, change vs clean in points, what."""
        cells = [[r.name, f"{100 * r.accuracy:.1f}", str(r.clips), f"{r.change:+.1f}", r.description]
                 for r in self.rows]
        return _markdown(["perturbation", "accuracy %", "clips", "vs clean (pts)", "what"], cells,
                         [False, True, True, True, False])

    def __str__(self) -> str:
        return self.caption() + "\n\n" + self.table()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (no probabilities)."""
        return {"checkpoint": self.checkpoint, "dataset": self.dataset, "seed": self.seed,
                "trim": self.trim, "classes": list(self.classes),
                "rows": [row.to_dict() for row in self.rows]}

    def to_json(self, **kw) -> str:
        """:meth:`to_dict` as a JSON string (``kw`` go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), **kw)


def compare(reports: Mapping[str, Report]) -> str:
    """One Markdown table of accuracy % for several reports side by side (a column each).

    For before/after lessons: the same clips scored by different checkpoints or trim settings.

    Notebook: 06_pipeline_and_training_loop
    """
    names = list(dict.fromkeys(n for rep in reports.values() for n in rep.names))
    cells = [[n] + [f"{100 * rep[n].accuracy:.1f}" if n in rep.names else "-"
                    for rep in reports.values()] for n in names]
    return _markdown(["perturbation", *reports], cells, [False] + [True] * len(reports))


def _markdown(head: Sequence[str], cells: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max(len(c) for c in col) for col in zip(head, *cells)]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if r else c.ljust(w)
                                 for c, w, r in zip(row, widths, right)) + " |"

    rule = "|" + "|".join("-" * (w + 1) + (":" if r else "-") for w, r in zip(widths, right))
    return "\n".join([line(head), rule + "|"] + [line(c) for c in cells])


# -- scoring ---------------------------------------------------------------------------------


def robustness(checkpoint, dataset=None, perturbations: str | Iterable[str] | None = None,
               device: str = "auto", batch_size: int = 32, seed: int = 0,
               max_clips: int | None = None, split: str = "test", trim: Any = "auto") -> Report:
    """Score a checkpoint's test clips under named perturbations, through the Predictor.

    Parameters
    ----------
    checkpoint : path or checkpoint dict
        A ``best.pt`` from :func:`audiokit.train.fit`.
    dataset : AudioDataset, str or None
        The clips, or a data spec resolved as ``evaluate`` resolves it
        (:func:`audiokit.evaluate.dataset_from_spec`; built-ins give their ``split``);
        ``None``: the checkpoint's own data spec.
    perturbations : str, iterable of str, or None
        Names from :data:`PERTURBATIONS` (or ``"a,b,c"``); ``None``: :data:`DEFAULT_PERTURBATIONS`.
        ``clean`` is always scored, first.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` ...
    batch_size : int
        Windows per forward pass of the Predictor.
    seed : int
        With the clip's index, seeds each clip's draws: same seed, same report.
    max_clips : int, optional
        At most this many clips, evenly spaced through the dataset.
    trim : "auto", None, bool or dict
        The Predictor's silence trimming (``"auto"``: the checkpoint's rule; ``None``: none), to
        compare the two.

    Returns
    -------
    Report

    Notebook: 15_inference_and_deployment
    """
    from audiokit.predict import Predictor
    from audiokit.train import load_checkpoint

    names = resolve_perturbations(perturbations)
    clip_seed(seed, 0)  # a bad seed fails before any work
    ck = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
    predictor = Predictor(ck, device=device, batch_size=batch_size, trim=trim)
    clips = _clips(ck, dataset, predictor, split)
    indices = _evenly_spaced(len(clips), max_clips)
    targets = np.asarray([clips.labels[i] for i in indices], dtype=np.int64)
    rows: list[Row] = []
    for name in names:
        p = PERTURBATIONS[name]
        probs = _probabilities(predictor, _perturbed(clips, p, indices, seed), clips.sample_rate)
        accuracy = float(np.mean(probs.argmax(axis=1) == targets))
        change = 100.0 * (accuracy - (rows[0].accuracy if rows else accuracy))
        rows.append(Row(name, p.description, accuracy, len(indices), change, probs))
    source = "a checkpoint dict" if isinstance(checkpoint, dict) else str(checkpoint)
    return Report(rows, list(predictor.classes), targets, source, str(getattr(clips, "name", "")),
                  int(seed), predictor.trim)


def _clips(ck: dict, dataset, predictor, split: str):
    """The dataset to score: given, or resolved from a spec exactly as ``evaluate`` does."""
    from audiokit.evaluate import dataset_from_spec

    if dataset is None:
        dataset = ck.get("config", {}).get("data", {}).get("spec", "spoken_digits")
    if isinstance(dataset, (str, Path)):
        dataset = dataset_from_spec(str(dataset), predictor.sample_rate, split=split)
    if list(dataset.classes) != list(predictor.classes):
        raise ValueError(f"dataset classes {list(dataset.classes)} differ from the checkpoint's "
                         f"{list(predictor.classes)}")
    if int(dataset.sample_rate) != predictor.sample_rate:
        raise ValueError(f"dataset sample rate {dataset.sample_rate} Hz differs from the model's "
                         f"{predictor.sample_rate} Hz")
    if len(dataset) == 0:
        raise ValueError(f"{getattr(dataset, 'name', 'the dataset')}: no clips to score")
    return dataset


def _evenly_spaced(n: int, max_clips: int | None) -> list[int]:
    """All of ``range(n)``, or ``max_clips`` distinct indices spread evenly over it."""
    if max_clips is not None and max_clips < 1:
        raise ValueError(f"max_clips must be >= 1, got {max_clips}")
    if max_clips is None or max_clips >= n:
        return list(range(n))
    return [int(i) for i in np.linspace(0, n - 1, int(max_clips)).round()]


def _perturbed(clips, p: Perturbation, indices: Sequence[int], seed: int) -> Iterator[np.ndarray]:
    """Clip after clip (lazily: memory stays bounded), each perturbed with its own seed."""
    for i in indices:
        y, _ = clips[i]
        yield p(np.asarray(y, dtype=np.float32), clips.sample_rate, clip_seed(seed, i))


def _probabilities(predictor, waves: Iterable[np.ndarray], sr: int) -> np.ndarray:
    """Class probabilities (N, C) of each waveform, batched by ``Predictor.iter_predictions``."""
    return np.stack([r.probs for r in predictor.iter_predictions(waves, sr=sr, top_k=1)])
