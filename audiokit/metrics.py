"""Classification metrics computed from a confusion matrix.

Every metric here is derived from counts (a confusion matrix and a loss sum), so it is
sample-weighted by construction and can be summed across batches, processes and machines
before it is turned into a rate. Never average per-batch accuracies: a last, smaller batch
would count as much as a full one.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["accuracy", "confusion_matrix", "macro_f1", "precision_recall_f1", "update_confusion"]


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
