"""AudioDataset: a list of (file, label), each clip decoded once and cached, plus its metadata.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from audiokit import io as aio
from audiokit.datasets.cache import DecodeCache, default_cache_dir, resolve_mode

__all__ = ["AudioDataset", "ColumnError", "PathLike"]

PathLike = str | os.PathLike

#: How many offending paths a skip warning lists.
_SHOW = 5


class ColumnError(KeyError):
    """A metadata column the dataset does not have; the message names the ones it has.

    Notebook: 05_datasets_and_augmentation
    """

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


def _warn_skipped(problems: list[str], what: str) -> None:
    shown = "; ".join(problems[:_SHOW])
    more = f" (and {len(problems) - _SHOW} more)" if len(problems) > _SHOW else ""
    warnings.warn(
        f"{what}: skipped {len(problems)} file(s) because of on_error='skip': {shown}{more}",
        UserWarning,
        stacklevel=3,
    )


def _check_columns(columns: Mapping[str, Sequence] | None, n: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in (columns or {}).items():
        if len(values) != n:
            raise ValueError(f"column {name!r} has {len(values)} entries but there are {n} items")
        out[str(name)] = ["" if v is None else str(v) for v in values]
    return out


class AudioDataset(torch.utils.data.Dataset):
    """Audio files with integer labels; each clip is decoded and resampled once, then cached.

    Parameters
    ----------
    items : list of (path, label_index)
        Audio files and their class index into ``classes``.
    classes : list of str
        Class names; label ``i`` means ``classes[i]``.
    sample_rate : int
        Rate (Hz) every clip is resampled to.
    groups : list of str, optional
        One grouping key per item (speaker, recording, kit); used by :func:`split_by_group`.
    cache : {"auto", "memory", "disk", None}
        ``"memory"`` keeps decoded arrays in RAM; ``"disk"`` writes ``.npy`` files to
        ``cache_dir`` (keyed on absolute path, mtime, size and sample rate, so an edited file is
        decoded again); ``"auto"`` picks memory under 30 min of audio (estimated from headers),
        disk above; ``None`` decodes on every access.
    cache_dir : path, optional
        Disk cache folder; default ``$AUDIOKIT_CACHE`` or ``~/.cache/audiokit``.
    min_duration : float
        Shortest acceptable clip in seconds.
    on_error : {"raise", "skip"}
        What to do with missing, unreadable or too short files: raise an error naming the file,
        or drop them and warn once with the count and the first few paths.
    name : str, optional
        Shown in ``repr``.
    columns : mapping of str to list of str, optional
        Metadata with one value per item (``family``, ``kit``, ``speaker``, ``source``, ...); read
        back with :meth:`column`. Skipped items drop their values too, subsets keep theirs.

    Notes
    -----
    ``dataset[i]`` returns ``(waveform, label)``: a float32 tensor ``(n,)`` at ``sample_rate`` and an
    int. Call :meth:`preload` before iterating with ``num_workers > 0`` so the memory cache is
    filled in the parent process and inherited by every worker.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        items: Sequence[tuple[PathLike, int]],
        classes: Sequence[str],
        sample_rate: int = 16000,
        groups: Sequence[str] | None = None,
        cache: str | None = "auto",
        cache_dir: PathLike | None = None,
        min_duration: float = 0.0,
        on_error: str = "raise",
        name: str | None = None,
        columns: Mapping[str, Sequence[str]] | None = None,
        _skipped: Sequence[str] = (),
    ) -> None:
        resolve_mode(cache, 0.0)  # rejects an unknown mode before any file is read
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error={on_error!r}: choose 'raise' or 'skip'")
        if int(sample_rate) <= 0:
            raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate}")
        self.classes: list[str] = [str(c) for c in classes]
        if len(set(self.classes)) != len(self.classes):
            dup = [c for c, n in Counter(self.classes).items() if n > 1]
            raise ValueError(f"classes must be unique; repeated: {dup}")
        self.sample_rate = int(sample_rate)
        self.name = name or "AudioDataset"
        items = [(Path(p), int(lab)) for p, lab in items]
        if groups is not None and len(groups) != len(items):
            raise ValueError(f"groups has {len(groups)} entries but there are {len(items)} items")
        extra = _check_columns(columns, len(items))
        keep, durations, problems = self._validate(items, float(min_duration), on_error)
        problems = list(_skipped) + problems
        if problems:
            _warn_skipped(problems, self.name)
        if problems and not keep:
            raise ValueError(
                f"{self.name}: every file was skipped ({len(problems)}); first: {problems[0]}"
            )
        self.items: list[tuple[Path, int]] = [items[i] for i in keep]
        self.groups: list[str] | None = (
            [str(groups[i]) for i in keep] if groups is not None else None
        )
        self.columns: dict[str, list[str]] = {k: [v[i] for i in keep] for k, v in extra.items()}
        self.durations: list[float] = durations
        mode = resolve_mode(cache, sum(durations))
        cdir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self._cache = DecodeCache(mode, self.sample_rate, cdir if mode == "disk" else None)

    def _validate(
        self, items: list[tuple[Path, int]], min_duration: float, on_error: str
    ) -> tuple[list[int], list[float], list[str]]:
        keep: list[int] = []
        durations: list[float] = []
        problems: list[str] = []
        seen: dict[Path, int] = {}
        for i, (path, label) in enumerate(items):
            if not 0 <= label < len(self.classes):
                raise ValueError(
                    f"{path}: label {label} is out of range for {len(self.classes)} classes"
                )
            key = path.resolve()
            if key in seen:
                raise ValueError(f"{path}: listed twice (items {seen[key]} and {i})")
            seen[key] = i
            try:
                inf = aio.info(path)
                if inf.frames == 0:
                    raise aio.AudioError(f"{path}: the file holds no audio (0 frames)")
                if inf.duration < min_duration:
                    raise ValueError(
                        f"{path}: clip is {inf.duration:.3f} s long, shorter than "
                        f"min_duration={min_duration:g} s"
                    )
            except (FileNotFoundError, aio.AudioError, ValueError) as err:
                if on_error == "raise":
                    raise
                problems.append(str(err))
                continue
            keep.append(i)
            durations.append(float(inf.duration))
        return keep, durations, problems

    # -- views ---------------------------------------------------------------------------------

    @property
    def paths(self) -> list[Path]:
        """File of each item."""
        return [p for p, _ in self.items]

    @property
    def labels(self) -> list[int]:
        """Class index of each item."""
        return [lab for _, lab in self.items]

    @property
    def cache_mode(self) -> str | None:
        """The resolved cache: ``"memory"``, ``"disk"`` or ``None``."""
        return self._cache.mode

    @property
    def column_names(self) -> list[str]:
        """Names of the metadata columns :meth:`column` can return, in file order."""
        return list(self.columns)

    def column(self, name: str) -> list[str]:
        """One metadata value per item, e.g. ``dataset.column("family")``.

        ``"group"`` is the ``group`` column, or :attr:`groups` where there is no such column.

        Raises
        ------
        ColumnError
            (a ``KeyError``) naming the dataset and the columns it has, when ``name`` is absent
            (an older ``metadata.csv`` may lack the newer columns).

        Notebook: 05_datasets_and_augmentation
        """
        if name == "group" and name not in self.columns and self.groups is not None:
            return list(self.groups)
        if name not in self.columns:
            have = ", ".join(self.columns) or "none"
            raise ColumnError(f"{self.name}: no metadata column {name!r} (columns: {have})")
        return list(self.columns[name])

    def class_counts(self) -> dict[str, int]:
        """Number of items per class name, in class order (zeros included)."""
        counts = Counter(self.labels)
        return {c: counts.get(i, 0) for i, c in enumerate(self.classes)}

    def total_duration(self) -> float:
        """Total audio in seconds (from the file headers, before resampling)."""
        return float(sum(self.durations))

    def subset(self, indices: Sequence[int], name: str | None = None) -> AudioDataset:
        """A dataset holding ``items[i] for i in indices`` (and their metadata); shares the cache."""
        idx = [int(i) for i in indices]
        new = object.__new__(AudioDataset)
        new.classes = list(self.classes)
        new.sample_rate = self.sample_rate
        new.name = name or f"{self.name}[subset]"
        new.items = [self.items[i] for i in idx]
        new.groups = [self.groups[i] for i in idx] if self.groups is not None else None
        new.columns = {k: [v[i] for i in idx] for k, v in self.columns.items()}
        new.durations = [self.durations[i] for i in idx]
        new._cache = self._cache
        return new

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[i]
        y = self._cache.get(path)
        # a copy: whatever the caller does to the tensor never reaches the cache
        return torch.from_numpy(np.array(y, dtype=np.float32, copy=True)), label

    def __repr__(self) -> str:
        minutes = self.total_duration() / 60.0
        cls = ", ".join(self.classes[:10]) + (", ..." if len(self.classes) > 10 else "")
        return (
            f"{self.name}: {len(self)} clips, {len(self.classes)} classes [{cls}], "
            f"{minutes:.1f} min of audio @ {self.sample_rate} Hz, cache={self.cache_mode}"
        )

    def preload(self, num_workers: int = 0, progress: bool = True) -> AudioDataset:
        """Decode every clip now (with a progress bar) so the first epoch reads the cache.

        Parameters
        ----------
        num_workers : int
            Threads that decode in parallel (0 decodes in this thread).
        progress : bool
            Show a tqdm bar.

        Returns
        -------
        AudioDataset
            ``self``, for chaining.

        Notebook: 05_datasets_and_augmentation
        """
        if self._cache.mode is None:
            return self
        todo = [p for p in dict.fromkeys(self.paths) if not self._cache.contains(p)]
        if not todo:
            return self
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=f"decoding {self.name}", disable=not progress)
        try:
            if num_workers > 0:
                with ThreadPoolExecutor(max_workers=num_workers) as pool:
                    for _ in pool.map(self._cache.get, todo):
                        bar.update(1)
            else:
                for p in todo:
                    self._cache.get(p)
                    bar.update(1)
        finally:
            bar.close()
        return self
