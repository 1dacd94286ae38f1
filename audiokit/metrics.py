"""Classification metrics computed from a confusion matrix.

Every metric here is derived from counts (a confusion matrix and a loss sum), so it is
sample-weighted by construction and can be summed across batches, processes and machines
before it is turned into a rate. Never average per-batch accuracies: a last, smaller batch
would count as much as a full one.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["GroupAccuracy", "accuracy", "confusion_matrix", "group_accuracy", "macro_f1",
           "precision_recall_f1", "update_confusion"]


def update_confusion(cm: torch.Tensor, targets: torch.Tensor, preds: torch.Tensor) -> torch.Tensor:
    """Add one batch to a confusion matrix in place (rows = true class, columns = predicted).

    Parameters
    ----------
    cm : torch.Tensor, int64, shape (C, C)
        Running counts, on any device.
    targets, preds : torch.Tensor, int64, shape (B,)
        True and predicted class indices.

    Returns
    -------
    torch.Tensor
        ``cm`` itself (updated without a host synchronisation).

    Notebook: 06_pipeline_and_training_loop
    """
    c = cm.shape[0]
    idx = targets.to(cm.device).long() * c + preds.to(cm.device).long()
    cm += torch.bincount(idx, minlength=c * c).view(c, c)
    return cm


def confusion_matrix(targets, preds, num_classes: int) -> np.ndarray:
    """Confusion matrix of counts, shape (C, C), rows = true class, columns = predicted.

    Notebook: 06_pipeline_and_training_loop
    """
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    update_confusion(cm, torch.as_tensor(np.asarray(targets)), torch.as_tensor(np.asarray(preds)))
    return cm.numpy()


def accuracy(cm) -> float:
    """Fraction of samples on the diagonal: sum(correct) / count (0.0 for an empty matrix).

    Notebook: 06_pipeline_and_training_loop
    """
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    return float(np.trace(cm) / total) if total > 0 else 0.0


def precision_recall_f1(cm) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix.

    A class that is never predicted has precision 0; a class with no samples has recall 0
    (and F1 0), following the usual "zero division -> 0" convention.

    Returns
    -------
    precision, recall, f1 : np.ndarray, float64, shape (C,)
    support : np.ndarray, int64, shape (C,)
        Number of true samples of each class.

    Notebook: 06_pipeline_and_training_loop
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1, support.astype(np.int64)


def macro_f1(cm, present_only: bool = True) -> float:
    """Unweighted mean of the per-class F1 scores.

    Parameters
    ----------
    cm : array-like, shape (C, C)
    present_only : bool
        Average only over classes that occur (as truth or prediction), so a validation split
        that lacks a class is not punished for it.

    Notebook: 06_pipeline_and_training_loop
    """
    cm = np.asarray(cm)
    _, _, f1, support = precision_recall_f1(cm)
    if present_only:
        mask = (support > 0) | (cm.sum(axis=0) > 0)
        return float(f1[mask].mean()) if mask.any() else 0.0
    return float(f1.mean()) if f1.size else 0.0


@dataclass
class GroupAccuracy:
    """Accuracy per value of one metadata column (per speaker, engine, family ...).

    Attributes
    ----------
    column : str
        The column the clips were grouped by.
    correct, clips : dict of str -> int
        Right answers and clips of each group, groups in sorted order.

    Notebook: 07_tdnn
    """

    column: str
    correct: dict[str, int]
    clips: dict[str, int]

    @property
    def accuracy(self) -> dict[str, float]:
        """Correct / clips of each group, in [0, 1]."""
        return {g: self.correct[g] / self.clips[g] for g in self.clips}

    def table(self) -> str:
        """A Markdown table: group, clips, correct, accuracy %."""
        w = max([len(self.column)] + [len(g) for g in self.clips])
        lines = [f"| {self.column:<{w}} | clips | correct | accuracy % |",
                 f"|{'-' * (w + 2)}|------:|--------:|-----------:|"]
        lines += [f"| {g:<{w}} | {self.clips[g]:5d} | {self.correct[g]:7d} | "
                  f"{100 * a:10.1f} |" for g, a in self.accuracy.items()]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """``{"column", "groups": {group: {"clips", "correct", "accuracy"}}}`` (JSON-ready)."""
        return {"column": self.column, "groups": {
            g: {"clips": self.clips[g], "correct": self.correct[g], "accuracy": a}
            for g, a in self.accuracy.items()}}


def group_accuracy(targets, preds, groups: Sequence[str], column: str = "group") -> GroupAccuracy:
    """Accuracy of the clips of each group: ``targets`` and ``preds`` (N,) class indices,
    ``groups`` one value per clip (e.g. ``dataset.column("speaker")``).

    Notebook: 07_tdnn
    """
    t, p = np.asarray(targets).reshape(-1), np.asarray(preds).reshape(-1)
    g = np.asarray([str(v) for v in groups])
    if not len(t) == len(p) == len(g):
        raise ValueError(f"group_accuracy: {len(t)} targets, {len(p)} predictions and {len(g)} "
                         "group values; need one of each per clip")
    names = sorted(set(g.tolist()))
    return GroupAccuracy(column, {n: int((t[g == n] == p[g == n]).sum()) for n in names},
                         {n: int((g == n).sum()) for n in names})
