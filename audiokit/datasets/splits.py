"""Grouped, stratified splits: no speaker, recording or kit on two sides of a split or a fold.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from audiokit.datasets.dataset import AudioDataset

__all__ = ["kfold_by_group", "split_by_group"]

#: What ``groups=`` accepts: one key per item, or a function ``path -> key``.
GroupKeys = Sequence[str] | Callable[[Path], str]


def _resolve_groups(
    dataset: AudioDataset, groups: GroupKeys | None, column: str | None = None
) -> list[str]:
    if column is not None:
        if groups is not None:
            raise ValueError(f"pass groups= or column=, not both (column={column!r})")
        return dataset.column(column)
    if groups is None:
        if dataset.groups is None:
            raise ValueError(
                f"{dataset.name}: has no groups; pass groups= (a list with one key per item, or "
                "a function path -> key such as the speaker id) or column= (a metadata column), "
                "so that clips of one speaker or recording never end up in two splits"
            )
        return list(dataset.groups)
    if isinstance(groups, str):
        raise TypeError(
            f"groups={groups!r} is a string; for a metadata column pass column={groups!r}"
        )
    if callable(groups):
        return [str(groups(p)) for p in dataset.paths]
    if len(groups) != len(dataset):
        raise ValueError(
            f"groups has {len(groups)} entries but the dataset has {len(dataset)} items"
        )
    return [str(g) for g in groups]


def _assign_groups(
    labels: Sequence[int],
    groups: Sequence[str],
    fractions: Sequence[float],
    n_classes: int,
    seed: int,
) -> list[int]:
    """Greedy: largest groups first, each to the split whose per-class targets it fills best."""
    names = sorted(set(groups))
    k = len(fractions)
    need = sum(1 for f in fractions if f > 0)
    if len(names) < need:
        raise ValueError(
            f"only {len(names)} group(s) for {need} non-empty splits; need at least one each"
        )
    gi = {g: i for i, g in enumerate(names)}
    counts = np.zeros((len(names), n_classes))
    for lab, g in zip(labels, groups):
        counts[gi[g], lab] += 1
    frac = np.asarray(fractions, dtype=float) / float(sum(fractions))
    target = frac[:, None] * counts.sum(0)[None, :]  # (splits, classes)
    have = np.zeros_like(target)
    order = np.random.default_rng(seed).permutation(len(names))
    order = sorted(order, key=lambda g: -counts[g].sum())  # stable: ties keep the seeded order
    split_of = np.full(len(names), -1)
    empty = {s for s in range(k) if frac[s] > 0}
    for pos, g in enumerate(order):
        remaining = len(order) - pos
        candidates = (
            sorted(empty) if remaining <= len(empty) else [s for s in range(k) if frac[s] > 0]
        )
        # relative deficit of each split on the classes this group holds
        deficit = ((target - have) / np.maximum(target, 1e-9)) * (counts[g] > 0)[None, :]
        score = (deficit * counts[g][None, :]).sum(1) / max(counts[g].sum(), 1.0)
        best = max(candidates, key=lambda s: (score[s], frac[s]))
        split_of[g] = best
        have[best] += counts[g]
        empty.discard(best)
    return [int(split_of[gi[g]]) for g in groups]


def split_by_group(
    dataset: AudioDataset,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    groups: GroupKeys | None = None,
    column: str | None = None,
) -> tuple[AudioDataset, ...]:
    """Split into (train, valid, test) so that no group (speaker, recording, kit) is in two splits.

    Groups are assigned greedily, largest first, to the split furthest below its per-class target,
    so the class balance of each split follows ``fractions`` as far as whole groups allow. The same
    seed gives the same split.

    Parameters
    ----------
    dataset : AudioDataset
    fractions : sequence of float
        Wanted share of items per split; one subset is returned per entry.
    seed : int
        Orders groups of equal size.
    groups : list of str or callable, optional
        One key per item, or a function ``path -> key``; default ``dataset.groups``.
    column : str, optional
        Group by this metadata column instead (e.g. ``"family"``: no source family on two
        sides); see :meth:`AudioDataset.column`. Not together with ``groups``.

    Returns
    -------
    tuple of AudioDataset
        Subsets sharing the dataset's cache; every item is in exactly one. Their ``groups`` are
        the keys the split used.

    Raises
    ------
    ValueError
        No groups, or fewer groups than non-empty splits.
    ColumnError
        ``column`` is not a metadata column of the dataset (the message lists those it has).

    Notebook: 05_datasets_and_augmentation
    """
    keys = _resolve_groups(dataset, groups, column)
    if any(f < 0 for f in fractions) or sum(fractions) <= 0:
        raise ValueError(f"fractions must be >= 0 and not all zero, got {tuple(fractions)}")
    split_of = _assign_groups(dataset.labels, keys, fractions, len(dataset.classes), seed)
    names = (
        ("train", "valid", "test")
        if len(fractions) == 3
        else tuple(f"split{i}" for i in range(len(fractions)))
    )
    out = []
    for s in range(len(fractions)):
        idx = [i for i, v in enumerate(split_of) if v == s]
        sub = dataset.subset(idx, name=f"{dataset.name}[{names[s]}]")
        sub.groups = [keys[i] for i in idx]
        out.append(sub)
    return tuple(out)


def kfold_by_group(
    dataset: AudioDataset,
    k: int = 5,
    seed: int = 0,
    groups: GroupKeys | None = None,
    column: str | None = None,
) -> Iterator[tuple[AudioDataset, AudioDataset]]:
    """Grouped, stratified k-fold: yields ``(train, test)`` ``k`` times; each item is tested once.

    Parameters
    ----------
    dataset : AudioDataset
    k : int
        Number of folds (at least 2, at most the number of groups).
    seed : int
        Orders groups of equal size; the same seed gives the same folds.
    groups : list of str or callable, optional
        One key per item, or a function ``path -> key``; default ``dataset.groups``.
    column : str, optional
        Group by this metadata column instead (e.g. ``"family"``); not together with ``groups``.

    Yields
    ------
    (AudioDataset, AudioDataset)
        ``(train, test)`` of one fold: no group key is on both sides; ``groups`` of each are the
        keys the folds used.

    Notebook: 14_comparing_backbones
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    keys = _resolve_groups(dataset, groups, column)
    fold_of = _assign_groups(dataset.labels, keys, [1.0] * k, len(dataset.classes), seed)
    for f in range(k):
        test = [i for i, v in enumerate(fold_of) if v == f]
        train = [i for i, v in enumerate(fold_of) if v != f]
        tr = dataset.subset(train, name=f"{dataset.name}[fold{f}-train]")
        te = dataset.subset(test, name=f"{dataset.name}[fold{f}-test]")
        tr.groups, te.groups = [keys[i] for i in train], [keys[i] for i in test]
        yield tr, te
