"""Evaluate a trained checkpoint on a dataset: accuracy, per-class scores, confusion matrix.

Clips are evaluated at full length (``Collate(mode="full")``, padding masked through the
lengths), with exactly the feature settings saved in the checkpoint. All rates come from one
confusion matrix of counts, so they are sample-weighted.

Notebook: 06_pipeline_and_training_loop, 14_comparing_backbones
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from audiokit import metrics as M

__all__ = ["EvalResult", "dataset_from_spec", "embeddings", "evaluate", "mean_average_precision",
           "se_gates"]


@dataclass
class EvalResult:
    """Scores of one model on one dataset.

    Attributes
    ----------
    classes : list of str
    accuracy : float
        Correct / total (sample-weighted).
    macro_f1 : float
        Mean F1 over the classes present.
    precision, recall, f1 : np.ndarray, shape (C,)
        Per-class scores.
    support : np.ndarray, shape (C,)
        True clips per class.
    confusion : np.ndarray, int64, shape (C, C)
        Counts; rows = true class, columns = prediction.
    loss : float
        Mean cross-entropy per clip.
    misclassified : list of dict
        ``{"path", "true", "predicted", "prob"}`` for each wrong clip (prob of the prediction).
    probs : np.ndarray, shape (N, C)
        Softmax outputs in dataset order (per-class sigmoids for a multi-label checkpoint).
    targets : np.ndarray, shape (N,)
    multi_label : bool
        The checkpoint is multi-label (e.g. a converted AudioSet PANNs); ``loss`` is then the
        mean binary cross-entropy per clip and class.
    mean_ap : float or None
        Multi-label only: mean average precision over the classes that have clips.
    groups : GroupAccuracy or None
        Accuracy per value of a metadata column (``evaluate(..., by="speaker")``).

    Notebook: 06_pipeline_and_training_loop
    """

    classes: list
    accuracy: float
    macro_f1: float
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray
    loss: float
    misclassified: list = field(default_factory=list)
    probs: np.ndarray | None = None
    targets: np.ndarray | None = None
    multi_label: bool = False
    mean_ap: float | None = None
    groups: M.GroupAccuracy | None = None

    @property
    def confusion_normalized(self) -> np.ndarray:
        """Row-normalised confusion matrix (each row sums to 1; recall on the diagonal)."""
        cm = self.confusion.astype(np.float64)
        rows = cm.sum(axis=1, keepdims=True)
        return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    def per_class(self) -> list[dict]:
        """One dict per class: class, precision, recall, f1, support."""
        return [
            {"class": c, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(self.classes, self.precision, self.recall, self.f1, self.support)
        ]

    def report(self) -> str:
        """A plain-text table of the per-class scores and the totals."""
        w = max([len(c) for c in self.classes] + [9])
        lines = [f"{'class':<{w}}  precision  recall     f1  support"]
        for row in self.per_class():
            lines.append(f"{row['class']:<{w}}  {row['precision']:9.3f}  {row['recall']:6.3f}  "
                         f"{row['f1']:5.3f}  {row['support']:7d}")
        lines.append(f"{'accuracy':<{w}}  {self.accuracy:9.4f}  ({self.count} clips)")
        lines.append(f"{'macro-F1':<{w}}  {self.macro_f1:9.4f}")
        if self.mean_ap is not None:
            lines.append(f"{'mAP':<{w}}  {self.mean_ap:9.4f}  (multi-label)")
        if self.groups is not None:
            lines += ["", f"accuracy by {self.groups.column}:", self.groups.table()]
        return "\n".join(lines)

    def plot_confusion(self, normalize: bool = False, ax=None):
        """Draw the confusion matrix with ``audiokit.plots.plot_confusion_matrix``; (fig, ax)."""
        from audiokit.plots import plot_confusion_matrix

        return plot_confusion_matrix(self.confusion, self.classes, normalize=normalize, ax=ax)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (no probabilities)."""
        return {
            "accuracy": self.accuracy, "macro_f1": self.macro_f1, "loss": self.loss,
            "count": self.count, "classes": list(self.classes), "per_class": self.per_class(),
            "confusion": self.confusion.tolist(), "misclassified": self.misclassified,
            **({"mAP": self.mean_ap} if self.mean_ap is not None else {}),
            **({"by": self.groups.to_dict()} if self.groups is not None else {}),
        }


def result_from_predictions(targets, probs, classes, paths=None) -> EvalResult:
    """Build an :class:`EvalResult` from true labels and class probabilities.

    Parameters
    ----------
    targets : array-like of int, shape (N,)
    probs : array-like, shape (N, C)
        Class probabilities (rows sum to 1).
    classes : list of str
    paths : list, optional
        One path per clip, used for the misclassified list.

    Notebook: 06_pipeline_and_training_loop
    """
    targets = np.asarray(targets, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64).reshape(len(targets), len(classes))
    preds = probs.argmax(axis=1) if len(targets) else np.zeros(0, dtype=np.int64)
    cm = M.confusion_matrix(targets, preds, len(classes))
    p, r, f, s = M.precision_recall_f1(cm)
    eps = 1e-12
    loss = float(-np.log(np.clip(probs[np.arange(len(targets)), targets], eps, 1.0)).mean()) if len(targets) else 0.0
    wrong = []
    for i in np.flatnonzero(preds != targets):
        wrong.append({
            "path": str(paths[i]) if paths is not None else str(i),
            "true": classes[targets[i]], "predicted": classes[preds[i]],
            "prob": float(probs[i, preds[i]]),
        })
    return EvalResult(list(classes), M.accuracy(cm), M.macro_f1(cm), p, r, f, s, cm, loss,
                      wrong, probs.astype(np.float32), targets)


def dataset_from_spec(spec: str, sample_rate: int, split: str = "test"):
    """A dataset for ``--data`` specs: a built-in name (its ``split``), or a ``kind:PATH`` spec.

    ``folder:`` and ``list:`` specs are evaluated whole (every file); ``esc50:`` / ``urbansound8k:``
    use the default test fold.

    Notebook: 15_inference_and_deployment
    """
    from audiokit import datasets as D
    from audiokit.train import BUILTIN_DATA, DataConfig, build_datasets, parse_data_spec

    kind, path = parse_data_spec(spec)
    if kind in BUILTIN_DATA:
        if kind == "spoken_digits_real":
            split = "test"
        return D.load_builtin(kind, split=split, sample_rate=sample_rate)
    if kind == "folder":
        return D.from_folder(path, sample_rate=sample_rate)
    if kind == "list":
        return D.from_list(path, sample_rate=sample_rate)
    return build_datasets(DataConfig(spec=spec), sample_rate)[split]


@torch.inference_mode()
def evaluate(
    checkpoint,
    dataset,
    batch_size: int = 32,
    device: str = "auto",
    split: str = "test",
    num_workers: int = 0,
    trim="auto",
    by: str | None = None,
) -> EvalResult:
    """Score a checkpoint on a dataset at full clip length.

    Parameters
    ----------
    checkpoint : path, checkpoint dict, or (model, extractor, classes)
        What to evaluate (``best.pt`` from :func:`audiokit.train.fit`).
    dataset : AudioDataset or str
        The clips, or a data spec (``"spoken_digits"``, ``"spoken_digits_real"``,
        ``"folder:PATH"`` ...; built-ins use ``split``). Class names must match the checkpoint's.
    batch_size : int
        Clips per forward pass.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` ...
    trim : "auto", None, bool or dict
        Silence trimming of each clip, as for :class:`audiokit.predict.Predictor`: ``"auto"``
        applies the checkpoint's ``preprocess["trim"]`` rule (none for a
        ``(model, extractor, classes)`` tuple), ``None`` none, a dict overrides.
    by : str, optional
        A metadata column (``"speaker"``, ``"engine"``, ``"family"``, ``"group"``): the result's
        ``groups`` then holds the accuracy of each of its values.

    Returns
    -------
    EvalResult

    Notebook: 06_pipeline_and_training_loop
    """
    model, extractor, classes, dataset, dev, rule, multi = _prepare(checkpoint, dataset, device,
                                                                    split, trim)
    if list(dataset.classes) != list(classes):
        raise ValueError(
            f"dataset classes {list(dataset.classes)} differ from the checkpoint's {list(classes)}")
    values = dataset.column(by) if by else None  # a missing column fails before any work
    probs, targets = [], []
    for feats, flen, labels in _feature_batches(model, extractor, dataset, batch_size, dev,
                                                num_workers, rule):
        logits = model(feats, flen)
        probs.append((torch.sigmoid(logits.float()) if multi else logits.float().softmax(1)).cpu())
        targets.append(labels)
    p = torch.cat(probs).numpy() if probs else np.zeros((0, len(classes)), np.float32)
    t = torch.cat(targets).numpy() if targets else np.zeros(0, np.int64)
    paths = [str(item[0]) for item in dataset.items]
    res = result_from_predictions(t, p, list(classes), paths)
    if multi:
        onehot = np.eye(len(classes))[t]
        q = np.clip(p.astype(np.float64), 1e-12, 1 - 1e-12)
        res.loss = float(-(onehot * np.log(q) + (1 - onehot) * np.log(1 - q)).mean()) if len(t) else 0.0
        res.multi_label, res.mean_ap = True, mean_average_precision(onehot, p)
    if values is not None:
        res.groups = M.group_accuracy(t, p.argmax(axis=1), values, by)
    return res


def mean_average_precision(targets, scores) -> float:
    """Mean over classes of average precision ``sum_n (R_n - R_{n-1}) P_n`` (as scikit-learn).

    Parameters
    ----------
    targets : array-like, shape (N, C)
        1 where clip n has class c (several per clip for multi-label data).
    scores : array-like, shape (N, C)
        Scores or probabilities; tied scores form one threshold.

    Returns
    -------
    float
        The mean over classes with at least one positive clip (nan when there is none).

    Notebook: 17_transfer_learning
    """
    y, s = np.asarray(targets, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    aps = []
    for c in np.flatnonzero(y.sum(axis=0) > 0):
        order = np.argsort(-s[:, c], kind="mergesort")
        yc, sc = y[order, c], s[order, c]
        last = np.r_[np.flatnonzero(np.diff(sc)), len(sc) - 1]  # end of each distinct score
        tp = np.cumsum(yc)[last]
        recall_step = np.diff(np.r_[0.0, tp / tp[-1]])
        aps.append(float((recall_step * tp / (last + 1)).sum()))
    return float(np.mean(aps)) if aps else float("nan")


def pad_to_one_frame(waves: torch.Tensor, extractor) -> torch.Tensor:
    """Zero-pad a batch so that it yields at least one feature frame (fbank needs a full
    window). Clips shorter than the model's ``min_frames`` are handled by the model itself."""
    need = 1
    while extractor.num_frames(need) < 1:
        need += extractor.hop_length
    if need > waves.shape[1]:
        waves = torch.nn.functional.pad(waves, (0, need - waves.shape[1]))
    return waves


@torch.inference_mode()
def embeddings(checkpoint, dataset, batch_size: int = 32, device: str = "auto",
               split: str = "test", trim="auto") -> tuple[np.ndarray, np.ndarray]:
    """The model's embedding (``model.embed``: the vector before the classifier) of every clip.

    Parameters
    ----------
    checkpoint : path, checkpoint dict, or (model, extractor, classes)
        As for :func:`evaluate`.
    dataset : AudioDataset or str
        The clips (full length, padding masked), or a data spec.
    trim : "auto", None, bool or dict
        Silence trimming of each clip, as for :func:`evaluate`.

    Returns
    -------
    emb : np.ndarray, float32, (n_clips, embedding_dim)
    labels : np.ndarray, int64, (n_clips,)

    Notebook: 07_tdnn
    """
    model, extractor, _, dataset, dev, rule, _ = _prepare(checkpoint, dataset, device, split, trim)
    out, targets = [], []
    for feats, flen, labels in _feature_batches(model, extractor, dataset, batch_size, dev,
                                                trim=rule):
        out.append(model.embed(feats, flen).float().cpu())
        targets.append(labels)
    return torch.cat(out).numpy(), torch.cat(targets).numpy()


@torch.inference_mode()
def se_gates(checkpoint, dataset, blocks: Sequence[int] = (0, -1), batch_size: int = 32,
             device: str = "auto") -> tuple[dict[int, np.ndarray], np.ndarray]:
    """The squeeze-excitation gates of some blocks for every clip of a dataset.

    Works for any backbone whose ``blocks[i].se`` is a
    :class:`~audiokit.models.blocks.SqueezeExcite` (ResNet-SE; ECAPA-TDNN's SE-Res2Blocks).
    Clips run at full length through the checkpoint's front-end, as in
    :func:`audiokit.evaluate.embeddings` (the checkpoint's trimming rule applied).

    Parameters
    ----------
    checkpoint : path, checkpoint dict, or (model, extractor, classes)
        A trained model (``run.best_checkpoint``) or, e.g., an untrained one as a tuple.
    dataset : AudioDataset or str
        The clips (or a data spec, its test split).
    blocks : sequence of int
        Which blocks (negative: from the end).
    batch_size : int
        Clips per forward pass.
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"`` ...

    Returns
    -------
    gates : dict of int to np.ndarray, float32, (n_clips, channels)
        Each block's gate values in (0, 1), keyed by its non-negative index.
    labels : np.ndarray, int64, (n_clips,)

    Notebook: 11_resnet_se
    """
    model, extractor, _, dataset, dev, rule, _ = _prepare(checkpoint, dataset, device, "test")
    n = len(model.blocks)
    keys = sorted({b % n for b in blocks})
    found: dict[int, list[torch.Tensor]] = {k: [] for k in keys}
    hooks = [model.blocks[k].se.fc2.register_forward_hook(
        lambda mod, args, out, k=k: found[k].append(torch.sigmoid(out.float()).cpu())) for k in keys]
    targets = []
    try:
        for feats, flen, labels in _feature_batches(model, extractor, dataset, batch_size, dev,
                                                    trim=rule):
            model(feats, flen)
            targets.append(labels)
    finally:
        for h in hooks:
            h.remove()
    return {k: torch.cat(v).numpy() for k, v in found.items()}, torch.cat(targets).numpy()


def _prepare(checkpoint, dataset, device: str, split: str, trim="auto"):
    """Resolve the device, the (model, extractor, classes), the dataset, the trim rule and
    whether the checkpoint is multi-label."""
    from audiokit.preprocess import trim_rule
    from audiokit.train import build_from_checkpoint, load_checkpoint, resolve_device

    dev = resolve_device(device)
    ck = None
    if isinstance(checkpoint, tuple):
        model, extractor, classes = checkpoint
        model, extractor = model.to(dev).eval(), extractor.to(dev).eval()
    else:
        ck = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
        model, extractor, classes = build_from_checkpoint(ck, device=dev)
    if isinstance(dataset, (str, Path)):
        dataset = dataset_from_spec(str(dataset), extractor.sample_rate, split=split)
    if int(dataset.sample_rate) != int(extractor.sample_rate):
        raise ValueError(f"dataset sample rate {dataset.sample_rate} Hz differs from the model's "
                         f"{extractor.sample_rate} Hz; load the data with sample_rate="
                         f"{extractor.sample_rate}")
    multi = ck is not None and ck.get("task") == "multi_label"
    return model, extractor, classes, dataset, dev, trim_rule(ck, trim), multi


def _feature_batches(model, extractor, dataset, batch_size: int, dev, num_workers: int = 0,
                     trim: dict | None = None):
    """Yield ``(features, frame_lengths, labels)`` of full-length clips (each trimmed by the
    ``trim`` rule first, if any), padding masked."""
    from audiokit import datasets as D
    from audiokit.preprocess import TrimCollate

    collate = D.Collate(None, mode="full", sample_rate=dataset.sample_rate)
    if trim is not None:
        collate = TrimCollate(collate, trim, dataset.sample_rate)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False,
                                         collate_fn=collate, num_workers=num_workers,
                                         pin_memory=dev.type == "cuda")
    for waves, labels, lengths in loader:
        waves = pad_to_one_frame(waves, extractor)
        lengths = lengths.to(dev, non_blocking=True)
        feats = extractor(waves.to(dev, non_blocking=True), lengths)
        flen = extractor.frame_lengths(lengths)
        yield feats, flen, labels
