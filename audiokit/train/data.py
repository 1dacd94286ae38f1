"""From a :class:`DataConfig` to datasets, splits, loaders and the augmentation of a run.

A data spec names the clips (``"spoken_digits"``, ``"folder:PATH"``, ...); built-in sets use
their metadata splits, ESC-50 / UrbanSound8K their official folds, folders and lists a grouped
split so no speaker / kit / session is on two sides of it.

Notebook: 16_your_own_data
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from audiokit.train.config import ConfigError, DataConfig

__all__ = ["BUILTIN_DATA", "DATA_KINDS", "build_augment", "build_datasets", "make_loader",
           "parse_data_spec", "trim_rules"]

BUILTIN_DATA = ("spoken_digits", "spoken_digits_real", "drum_hits")
DATA_KINDS = ("folder", "list", "esc50", "urbansound8k")
_OFFICIAL_FOLDS = {"esc50": ([1, 2, 3], [4], [5]), "urbansound8k": (list(range(1, 9)), [9], [10])}
_SPLITS = ("train", "valid", "test")


def parse_data_spec(spec: str) -> tuple[str, str | None]:
    """Split ``"kind:PATH"`` into (kind, path); built-in names return (name, None).

    Raises
    ------
    ConfigError
        A spec that is neither a built-in name nor ``kind:PATH`` (the message lists both).
    FileNotFoundError
        A ``kind:PATH`` whose path does not exist (the message names it).

    Notebook: 16_your_own_data
    """
    spec = str(spec)
    if spec in BUILTIN_DATA:
        return spec, None
    kind, sep, path = spec.partition(":")
    if not sep or kind not in DATA_KINDS or not path:
        raise ConfigError(
            f"data spec {spec!r} not understood; use one of {', '.join(BUILTIN_DATA)} or "
            f"{', '.join(k + ':PATH' for k in DATA_KINDS)}"
        )
    if not Path(path).expanduser().exists():
        raise FileNotFoundError(f"{path}: data path does not exist (from --data {spec})")
    return kind, str(Path(path).expanduser())


def build_datasets(data: DataConfig, sample_rate: int = 16000) -> dict[str, Any]:
    """Build the ``train``, ``valid`` and ``test`` datasets for a :class:`DataConfig`.

    Built-in sets use their metadata splits; ESC-50 / UrbanSound8K use official folds; folders
    and lists are split by group (speaker, kit, ...) with ``data.split_seed`` so no group is in
    two splits.

    Returns
    -------
    dict
        ``{"train": AudioDataset, "valid": AudioDataset, "test": AudioDataset}`` (valid / test may
        be None when a split is empty).

    Notebook: 16_your_own_data
    """
    splits = _build_splits(data, int(sample_rate))
    caps = {"train": data.max_train_clips, "valid": data.max_eval_clips, "test": data.max_eval_clips}
    return {s: _cap(ds, caps[s], data.split_seed) if ds is not None else None
            for s, ds in splits.items()}


def _build_splits(data: DataConfig, sr: int) -> dict[str, Any]:
    from audiokit import datasets as D

    kind, path = parse_data_spec(data.spec)
    if kind in BUILTIN_DATA:
        if kind == "spoken_digits_real":
            raise ConfigError("spoken_digits_real is a test-only set (all clips are 'test'); "
                              "train on spoken_digits and evaluate on spoken_digits_real")
        if data.test_groups:
            return _holdout(D.load_builtin(kind, sample_rate=sr), data)
        return {s: D.load_builtin(kind, split=s, sample_rate=sr) for s in _SPLITS}
    if kind in _OFFICIAL_FOLDS:
        defaults = _OFFICIAL_FOLDS[kind]
        folds = (data.train_folds or defaults[0], data.valid_folds or defaults[1],
                 data.test_folds or defaults[2])
        layout = getattr(D, kind)
        return {s: layout(path, folds=list(f), sample_rate=sr) for s, f in zip(_SPLITS, folds)}
    full = D.from_folder(path, sample_rate=sr) if kind == "folder" else D.from_list(path, sample_rate=sr)
    return _split(full, data)


def _holdout(full, data: DataConfig) -> dict[str, Any]:
    """Train / valid / test by the values of one metadata column (``DataConfig.holdout_column``)."""
    column = data.holdout_column or "group"
    try:
        keys = full.column(column) if column != "group" else list(full.groups)
    except KeyError as exc:
        raise ConfigError(f"data.holdout_column: {exc.args[0] if exc.args else exc}") from None
    known = set(keys)
    test, valid = {str(g) for g in data.test_groups}, {str(g) for g in data.valid_groups}
    for name, wanted in (("test_groups", test), ("valid_groups", valid)):
        if wanted - known:
            raise ConfigError(f"data.{name}: no clip of {data.spec} has {column} = "
                              f"{', '.join(sorted(wanted - known))}; values: {', '.join(sorted(known))}")
    if test & valid:
        raise ConfigError(f"data: {', '.join(sorted(test & valid))} in both test_groups and valid_groups")
    where = ["test" if k in test else "valid" if k in valid else "train" for k in keys]
    parts = {s: [i for i, w in enumerate(where) if w == s] for s in _SPLITS}
    return {s: full.subset(idx, name=f"{full.name}[{s}: {column} held out]") if idx else None
            for s, idx in parts.items()}


def _split(full, data: DataConfig) -> dict[str, Any]:
    """Grouped train / valid / test split of a folder or list dataset (empty splits -> None)."""
    from audiokit import datasets as D

    fr = (1.0 - data.valid_fraction - data.test_fraction, data.valid_fraction, data.test_fraction)
    groups = _group_keys(full, data.group_by)
    train, valid, test = D.split_by_group(full, fractions=fr, seed=data.split_seed, groups=groups)
    return {"train": train, "valid": valid if len(valid) else None, "test": test if len(test) else None}


def _group_keys(full, group_by: str) -> list[str] | None:
    """One group key per item of a folder / list dataset (see ``DataConfig.group_by``)."""
    paths = [Path(p) for p, _ in full.items]
    if not group_by:
        # Without group keys every file is its own group (a plain random split by file).
        return None if full.groups is not None else [str(p) for p in paths]
    if group_by == "parent":
        return [p.parent.name for p in paths]
    try:
        pattern = re.compile(group_by)
    except re.error as err:
        raise ConfigError(f"data.group_by: {group_by!r} is not a valid regular expression ({err})")
    if pattern.groups < 1:
        raise ConfigError(f"data.group_by: {group_by!r} needs a capture group, e.g. '^([^_]+)_'")
    keys = []
    for p in paths:
        m = pattern.search(p.name)
        if m is None or m.group(1) is None:
            raise ConfigError(f"{p}: data.group_by pattern {group_by!r} does not match this file name")
        keys.append(m.group(1))
    return keys


def _cap(dataset, max_clips: int, seed: int):
    """A seeded, class-stratified subset of at most ``max_clips`` clips (0 = no cap)."""
    if not max_clips or len(dataset) <= max_clips:
        return dataset
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[int]] = {}
    for i, label in enumerate(dataset.labels):
        by_class.setdefault(int(label), []).append(i)
    queues = [list(rng.permutation(idx)) for _, idx in sorted(by_class.items())]
    chosen: list[int] = []
    while len(chosen) < max_clips:  # round-robin over classes keeps the balance
        for q in queues:
            if q and len(chosen) < max_clips:
                chosen.append(int(q.pop()))
    return dataset.subset(sorted(chosen))


def trim_rules(data: DataConfig) -> tuple[dict | None, dict | None]:
    """``(saved, applied)`` silence-trimming rules of a run (see ``DataConfig.trim``).

    ``saved`` goes into the checkpoint (``preprocess.trim``) for ``Predictor`` / ``evaluate``;
    ``applied`` is what the loaders cut the run's own clips with (None for a shipped set, whose
    files the data builder already cut with that very rule, all but its ``strip_zeros`` step:
    :func:`make_loader` does that one, ``strip_zeros=saved["strip_zeros"]``).

    Notebook: 05_datasets_and_augmentation
    """
    from audiokit.datasets import TRIM_RULES
    from audiokit.preprocess import trim_rule

    choice = data.trim
    if isinstance(choice, str) and choice == "auto":
        kind, _ = parse_data_spec(data.spec)
        return (dict(TRIM_RULES[kind]) if kind in TRIM_RULES else None), None
    if isinstance(choice, str):
        raise ConfigError(f"data.trim: {choice!r} is not a choice; use 'auto', null or a mapping "
                          "of top_db, margin_s, frame_length, hop_length, precise_start, "
                          "strip_zeros, peak_dbfs")
    try:
        rule = trim_rule(None, choice)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"data.trim: {exc}") from None
    return rule, rule


def make_loader(dataset, batch_size: int, *, train: bool, duration: float, seed: int,
                num_workers: int, sampler, pin: bool,
                drop_last: bool = False, trim: dict | None = None,
                strip_zeros: bool = False) -> torch.utils.data.DataLoader:
    """A DataLoader over ``dataset`` with the datasets module's ``Collate``.

    Training batches are random ``duration``-second crops (seeded by ``seed``); evaluation
    batches keep whole clips, padded to the longest. ``trim`` (a rule of
    ``audiokit.io.trim_silence``) cuts each clip's silence first, before any crop;
    ``strip_zeros`` (without ``trim``) cuts only the exact-zero samples at each clip's ends.

    Notebook: 06_pipeline_and_training_loop
    """
    from audiokit import datasets as D

    collate = D.Collate(duration if train else None, mode="random" if train else "full",
                        sample_rate=dataset.sample_rate, seed=seed)
    if trim is not None:
        from audiokit.preprocess import TrimCollate

        collate = TrimCollate(collate, trim, dataset.sample_rate)
    elif strip_zeros:
        from audiokit.preprocess import ZeroStripCollate

        collate = ZeroStripCollate(collate)
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, shuffle=False,
        collate_fn=collate, num_workers=num_workers, pin_memory=pin,
        drop_last=drop_last, persistent_workers=False,
        generator=torch.Generator().manual_seed(seed),
    )


def build_augment(cfg: dict | None, sample_rate: int, num_classes: int) -> tuple:
    """(waveform_aug, spec_aug, mixup) from a config's ``augment`` dict; missing parts are None.

    The transforms draw from torch's global generator, which the loop seeds from
    (seed, epoch) and saves in checkpoints, so augmentation is repeatable and resumable.

    Raises
    ------
    ConfigError
        An unknown key, or settings the augment module rejects (its message is kept).

    Notebook: 05_datasets_and_augmentation
    """
    cfg = dict(cfg or {})
    unknown = [k for k in cfg if k not in ("waveform", "spec", "mixup")]
    if unknown:
        raise ConfigError(f"unknown augment key {unknown[0]!r}; valid keys: waveform, spec, mixup")
    if not any(cfg.values()):
        return None, None, None
    from audiokit import augment as A

    try:
        wave = A.build_waveform_augment(cfg["waveform"], sample_rate=sample_rate) if cfg.get("waveform") else None
        spec = A.build_spec_augment(cfg["spec"]) if cfg.get("spec") else None
        mix = A.build_mixup({"mixup": cfg["mixup"]}, num_classes) if cfg.get("mixup") else None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"augment: {exc}") from None
    return wave, spec, mix
