"""Datasets: lists of (file, label), decoded once and cached, plus grouped splits and batching.

The path one clip takes here::

    file --io.load (once, then cached)--> waveform @ sample_rate --AudioDataset[i]--> (waveform, label)
         --Collate--> waveforms (B, samples), labels (B,), lengths (B,)

Features are *not* computed here: the training loop moves the batch to the device and runs the one
:class:`audiokit.features.FeatureExtractor` on it (and the augmentations of :mod:`audiokit.augment`).

One concern per module:

- :mod:`~audiokit.datasets.dataset`: :class:`AudioDataset` (items, labels, groups, metadata columns)
- :mod:`~audiokit.datasets.cache`: the decode cache (memory or ``.npy`` files)
- :mod:`~audiokit.datasets.builtin`: the shipped sets (:func:`load_builtin`, :data:`BUILTIN`)
- :mod:`~audiokit.datasets.layouts`: folder, list, ESC-50 and UrbanSound8K layouts
- :mod:`~audiokit.datasets.splits`: grouped, stratified splits and k-fold
- :mod:`~audiokit.datasets.batching`: :class:`Collate` and :func:`make_loader`

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

from audiokit.datasets import cache
from audiokit.datasets.batching import Collate, make_loader
from audiokit.datasets.builtin import (
    BUILTIN,
    CLASSES,
    TRIM_RULES,
    data_dir,
    list_builtin,
    load_builtin,
)
from audiokit.datasets.cache import default_cache_dir
from audiokit.datasets.dataset import AudioDataset, ColumnError, PathLike
from audiokit.datasets.layouts import (
    esc50,
    from_folder,
    from_list,
    to_folder,
    to_list,
    urbansound8k,
)
from audiokit.datasets.splits import kfold_by_group, split_by_group

__all__ = [
    "BUILTIN",
    "CLASSES",
    "TRIM_RULES",
    "AudioDataset",
    "Collate",
    "ColumnError",
    "PathLike",
    "data_dir",
    "default_cache_dir",
    "esc50",
    "from_folder",
    "from_list",
    "kfold_by_group",
    "list_builtin",
    "load_builtin",
    "make_loader",
    "split_by_group",
    "to_folder",
    "to_list",
    "urbansound8k",
]


def __getattr__(name: str):
    # The limit lives in the cache module (set it there: ``datasets.cache.MEMORY_CACHE_LIMIT_S``);
    # reading it here always gives the current value rather than a copy taken at import.
    if name == "MEMORY_CACHE_LIMIT_S":
        return cache.MEMORY_CACHE_LIMIT_S
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
