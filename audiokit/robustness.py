"""Robustness report: a checkpoint's accuracy on its test clips under named perturbations.

A model trained on clips cut tightly around the sound can look perfect on a test split cut the
same way and fail on audio as people have it: silence around the sound, a noise floor, a quieter
microphone, a phone line, a room. :func:`robustness` scores the same clips once per perturbation
(:mod:`audiokit.perturbations`), through :class:`audiokit.predict.Predictor` (the path
``audiokit predict`` takes), and reports the accuracy of each and its change against the clean
clips in percentage points, overall and, with ``by``, per value of a metadata column.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audiokit.metrics import GroupAccuracy, group_accuracy
from audiokit.perturbations import (
    DEFAULT_PERTURBATIONS,
    PERTURBATIONS,
    Perturbation,
    clip_seed,
    perturb,
    resolve_perturbations,
)

__all__ = ["DEFAULT_PERTURBATIONS", "PERTURBATIONS", "Perturbation", "Report", "Row", "clip_seed",
           "compare", "perturb", "resolve_perturbations", "robustness"]


# -- the report ------------------------------------------------------------------------------


@dataclass
class Row:
    """One perturbation's result: ``accuracy`` in [0, 1] over ``clips``, ``change`` = accuracy -
    clean accuracy in percentage points, ``probs`` (clips, C) the Predictor's class probabilities,
    ``groups`` the accuracy per value of the report's ``by`` column (None without one).

    Notebook: 15_inference_and_deployment
    """

    name: str
    description: str
    accuracy: float
    clips: int
    change: float
    probs: np.ndarray = field(repr=False)
    groups: GroupAccuracy | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable (no probabilities); ``by`` holds the per-group accuracy."""
        return {"perturbation": self.name, "description": self.description,
                "accuracy": self.accuracy, "clips": self.clips, "change_points": self.change,
                **({"by": self.groups.to_dict()} if self.groups is not None else {})}


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
    by : str or None
        The metadata column each row's ``groups`` splits the clips by.

    Notebook: 15_inference_and_deployment
    """

    rows: list[Row]
    classes: list[str]
    targets: np.ndarray
    checkpoint: str = ""
    dataset: str = ""
    seed: int = 0
    trim: dict | None = None
    by: str | None = None

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

    def group_table(self) -> str:
        """A Markdown table of accuracy % per group (columns; clips in the header) and
        perturbation (rows); empty without ``by``."""
        if self.by is None:
            return ""
        first = self.rows[0].groups
        names = list(first.clips)
        head = ["perturbation"] + [f"{g} ({first.clips[g]})" for g in names]
        cells = [[r.name] + [f"{100 * r.groups.accuracy[g]:.1f}" for g in names] for r in self.rows]
        return _markdown(head, cells, [False] + [True] * len(names))

    def __str__(self) -> str:
        text = self.caption() + "\n\n" + self.table()
        if self.by is not None:
            text += f"\n\naccuracy % by {self.by} (clips):\n\n" + self.group_table()
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (no probabilities)."""
        return {"checkpoint": self.checkpoint, "dataset": self.dataset, "seed": self.seed,
                "trim": self.trim, "by": self.by, "classes": list(self.classes),
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
               max_clips: int | None = None, split: str = "test", trim: Any = "auto",
               by: str | None = None) -> Report:
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
    by : str, optional
        A metadata column of the clips (``"speaker"``, ``"engine"``, ``"family"``): each row then
        also holds the accuracy per value of it (:meth:`Report.group_table`, and in the JSON).

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
    column = clips.column(by) if by else None  # a missing column fails before any work
    values = [column[i] for i in indices] if column is not None else None
    rows: list[Row] = []
    for name in names:
        p = PERTURBATIONS[name]
        probs = _probabilities(predictor, _perturbed(clips, p, indices, seed), clips.sample_rate)
        accuracy = float(np.mean(probs.argmax(axis=1) == targets))
        change = 100.0 * (accuracy - (rows[0].accuracy if rows else accuracy))
        groups = group_accuracy(targets, probs.argmax(axis=1), values, by) if by else None
        rows.append(Row(name, p.description, accuracy, len(indices), change, probs, groups))
    source = "a checkpoint dict" if isinstance(checkpoint, dict) else str(checkpoint)
    return Report(rows, list(predictor.classes), targets, source, str(getattr(clips, "name", "")),
                  int(seed), predictor.trim, by)


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
