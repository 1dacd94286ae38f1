"""Datasets: lists of (file, label), decoded once and cached, plus grouped splits and batching.

The path one clip takes here::

    file --io.load (once, then cached)--> waveform @ sample_rate --AudioDataset[i]--> (waveform, label)
         --Collate--> waveforms (B, samples), labels (B,), lengths (B,)

Features are *not* computed here: the training loop moves the batch to the device and runs the one
:class:`audiokit.features.FeatureExtractor` on it (and the augmentations of :mod:`audiokit.augment`).

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from audiokit import io as aio

__all__ = [
    "BUILTIN",
    "CLASSES",
    "AudioDataset",
    "Collate",
    "data_dir",
    "esc50",
    "from_folder",
    "from_list",
    "kfold_by_group",
    "list_builtin",
    "load_builtin",
    "make_loader",
    "split_by_group",
    "urbansound8k",
]

PathLike = str | os.PathLike

#: Above this much audio (seconds, estimated from file headers) ``cache="auto"`` uses the disk cache.
MEMORY_CACHE_LIMIT_S: float = 30 * 60.0

#: How many offending paths a skip warning lists.
_SHOW = 5

#: Shipped datasets and a one-line description of each.
BUILTIN: dict[str, str] = {
    "spoken_digits": "the words zero..nine synthesised by espeak-ng in many voices; split by voice",
    "spoken_digits_real": "human-recorded digits zero..nine (Asterisk prompts, one speaker); test only",
    "drum_hits": "one-shot drum hits (kick, snare, hihat, tom, cymbal) from Hydrogen kits; split by kit",
}

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

#: Fixed class order of each shipped dataset (every split shares it; label i is ``CLASSES[name][i]``).
CLASSES: dict[str, list[str]] = {
    "spoken_digits": list(_DIGITS),
    "spoken_digits_real": list(_DIGITS),
    "drum_hits": ["kick", "snare", "hihat", "tom", "cymbal"],
}

_SPLITS = ("train", "valid", "test")
_CACHE_MODES = ("auto", "memory", "disk", None)


# --------------------------------------------------------------------------------------------
# The decode cache
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where the disk cache lives: ``$AUDIOKIT_CACHE`` or ``~/.cache/audiokit``.

    Notebook: 05_datasets_and_augmentation
    """
    env = os.environ.get("AUDIOKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "audiokit"


def _cache_key(path: Path, sample_rate: int) -> str:
    """Hash of absolute path, modification time (ns), size (bytes) and target rate (Hz)."""
    st = path.stat()
    text = f"{path.resolve()}|{st.st_mtime_ns}|{st.st_size}|{int(sample_rate)}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class _Cache:
    """Decoded waveforms keyed on :func:`_cache_key`; shared by a dataset and its subsets."""

    def __init__(self, mode: str | None, sample_rate: int, cache_dir: Path | None) -> None:
        self.mode = mode
        self.sample_rate = int(sample_rate)
        self.cache_dir = cache_dir
        self.memory: dict[str, np.ndarray] = {}

    def _decode(self, path: Path) -> np.ndarray:
        y, _ = aio.load(path, sr=self.sample_rate)
        return np.ascontiguousarray(y, dtype=np.float32)

    def _disk_path(self, path: Path, key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / f"{path.stem[:40]}-{self.sample_rate}-{key}.npy"

    def get(self, path: Path) -> np.ndarray:
        if self.mode is None:
            return self._decode(path)
        key = _cache_key(path, self.sample_rate)
        if self.mode == "memory":
            y = self.memory.get(key)
            if y is None:
                y = self._decode(path)
                self.memory[key] = y
            return y
        target = self._disk_path(path, key)
        if target.exists():
            try:
                return np.load(target)
            except (OSError, ValueError):  # a damaged cache file: decode again and rewrite it
                pass
        y = self._decode(path)
        self._write(target, y)
        return y

    def contains(self, path: Path) -> bool:
        if self.mode is None:
            return False
        key = _cache_key(path, self.sample_rate)
        if self.mode == "memory":
            return key in self.memory
        return self._disk_path(path, key).exists()

    @staticmethod
    def _write(target: Path, y: np.ndarray) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".npy", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, y)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


# --------------------------------------------------------------------------------------------
# AudioDataset
# --------------------------------------------------------------------------------------------


def _warn_skipped(problems: list[str], what: str) -> None:
    shown = "; ".join(problems[:_SHOW])
    more = f" (and {len(problems) - _SHOW} more)" if len(problems) > _SHOW else ""
    warnings.warn(
        f"{what}: skipped {len(problems)} file(s) because of on_error='skip': {shown}{more}",
        UserWarning,
        stacklevel=3,
    )


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
        _skipped: Sequence[str] = (),
    ) -> None:
        if cache not in _CACHE_MODES:
            raise ValueError(f"cache={cache!r}: choose 'auto', 'memory', 'disk' or None")
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
        self.durations: list[float] = durations
        mode = cache
        if cache == "auto":
            mode = "memory" if sum(durations) < MEMORY_CACHE_LIMIT_S else "disk"
        cdir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self._cache = _Cache(mode, self.sample_rate, cdir if mode == "disk" else None)

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

    def class_counts(self) -> dict[str, int]:
        """Number of items per class name, in class order (zeros included)."""
        counts = Counter(self.labels)
        return {c: counts.get(i, 0) for i, c in enumerate(self.classes)}

    def total_duration(self) -> float:
        """Total audio in seconds (from the file headers, before resampling)."""
        return float(sum(self.durations))

    def subset(self, indices: Sequence[int], name: str | None = None) -> AudioDataset:
        """A dataset holding ``items[i] for i in indices``; it shares this dataset's cache."""
        idx = [int(i) for i in indices]
        new = object.__new__(AudioDataset)
        new.classes = list(self.classes)
        new.sample_rate = self.sample_rate
        new.name = name or f"{self.name}[subset]"
        new.items = [self.items[i] for i in idx]
        new.groups = [self.groups[i] for i in idx] if self.groups is not None else None
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


# --------------------------------------------------------------------------------------------
# Shipped datasets
# --------------------------------------------------------------------------------------------


def data_dir(name: str | None = None) -> Path:
    """Folder of the shipped data: ``$AUDIOKIT_DATA`` or the repository's ``data/`` folder.

    Parameters
    ----------
    name : str, optional
        A dataset in :data:`BUILTIN`; ``None`` returns the data root.

    Notebook: 05_datasets_and_augmentation
    """
    import audiokit

    env = os.environ.get("AUDIOKIT_DATA")
    root = (
        Path(env).expanduser() if env else Path(audiokit.__file__).resolve().parent.parent / "data"
    )
    if name is not None and name not in BUILTIN:
        raise ValueError(f"unknown dataset {name!r}; shipped datasets: {', '.join(BUILTIN)}")
    path = root / name if name is not None else root
    if not path.is_dir():
        raise FileNotFoundError(
            f"{path}: shipped data folder not found (run from a clone of the repository, or set "
            f"AUDIOKIT_DATA to the folder that holds {', '.join(BUILTIN)})"
        )
    return path


def list_builtin() -> list[str]:
    """Names of the shipped datasets.

    Notebook: 05_datasets_and_augmentation
    """
    return list(BUILTIN)


def _read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with their line numbers; errors name the file and the missing columns."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: metadata file not found")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})"
            )
        return [(reader.line_num, row) for row in reader]


def load_builtin(
    name: str, split: str | None = None, sample_rate: int = 16000, **kw
) -> AudioDataset:
    """One of the shipped datasets (see :data:`BUILTIN`), optionally one split of it.

    Parameters
    ----------
    name : {"spoken_digits", "spoken_digits_real", "drum_hits"}
    split : {"train", "valid", "test"}, optional
        ``None`` returns every row. The split is stored in ``metadata.csv`` (grouped by voice / kit /
        speaker), never guessed here.
    sample_rate : int
        Target rate in Hz.
    **kw
        Passed to :class:`AudioDataset` (``cache``, ``min_duration``, ...).

    Notes
    -----
    Classes are in a fixed order (:data:`CLASSES`): digits ``zero`` .. ``nine``; drums ``kick, snare,
    hihat, tom, cymbal``, the same for every split.

    Notebook: 05_datasets_and_augmentation
    """
    if split is not None and split not in _SPLITS:
        raise ValueError(f"split={split!r}: choose one of {', '.join(_SPLITS)} or None")
    root = data_dir(name)
    csv_path = root / "metadata.csv"
    rows = _read_csv(csv_path, ("path", "label", "split", "group"))
    classes = CLASSES[name]
    index = {c: i for i, c in enumerate(classes)}
    items, groups = [], []
    for line, row in rows:
        if row["label"] not in index:
            raise ValueError(
                f"{csv_path}, line {line}: label {row['label']!r} is not one of {', '.join(classes)}"
            )
        if split is not None and row["split"] != split:
            continue
        items.append((root / row["path"], index[row["label"]]))
        groups.append(row["group"])
    if not items:
        raise ValueError(f"{csv_path}: no rows with split={split!r}")
    label = name if split is None else f"{name}[{split}]"
    return AudioDataset(items, classes, sample_rate, groups=groups, name=label, **kw)


# --------------------------------------------------------------------------------------------
# User data layouts
# --------------------------------------------------------------------------------------------


def _is_audio(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in aio.AUDIO_EXTENSIONS and not p.name.startswith(".")


def from_folder(
    root: PathLike,
    classes: Sequence[str] | None = None,
    sample_rate: int = 16000,
    recursive: bool = True,
    **kw,
) -> AudioDataset:
    """A dataset from one sub-folder per class: ``root/<class>/<file>.wav``.

    Parameters
    ----------
    root : path
        Folder holding one sub-folder per class.
    classes : list of str, optional
        Class folders to use, in this order; default every sub-folder, sorted by name.
    sample_rate : int
        Target rate in Hz.
    recursive : bool
        Also collect audio in nested folders under each class folder.
    **kw
        Passed to :class:`AudioDataset`. ``groups`` defaults to ``None``: pass your own (speaker,
        session) before calling :func:`split_by_group`.

    Notebook: 16_your_own_data
    """
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"{root}: folder not found")
    if not root.is_dir():
        raise NotADirectoryError(
            f"{root}: is a file, expected a folder with one sub-folder per class"
        )
    found = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if classes is None:
        classes = found
        if not classes:
            loose = [p for p in root.iterdir() if _is_audio(p)]
            hint = f" (it holds {len(loose)} audio files directly)" if loose else ""
            raise ValueError(
                f"{root}: no class sub-folders found{hint}; expected root/<class>/<file>.wav"
            )
    else:
        classes = [str(c) for c in classes]
        absent = [c for c in classes if c not in found]
        if absent:
            raise FileNotFoundError(f"{root}: no sub-folder for class(es) {', '.join(absent)}")
    items: list[tuple[Path, int]] = []
    for i, c in enumerate(classes):
        folder = root / c
        pattern = folder.rglob("*") if recursive else folder.glob("*")
        files = sorted(p for p in pattern if _is_audio(p))
        if not files:
            raise ValueError(
                f"{folder}: class folder holds no audio files ({', '.join(aio.AUDIO_EXTENSIONS)})"
            )
        items += [(p, i) for p in files]
    kw.setdefault("name", root.name)
    return AudioDataset(items, classes, sample_rate, **kw)


def _read_label_list(labels: PathLike | Sequence[str]) -> list[str]:
    if isinstance(labels, (str, os.PathLike)):
        path = Path(labels)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: label list not found")
        names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        names = [n for n in names if n and not n.startswith("#")]
        if not names:
            raise ValueError(f"{path}: label list is empty")
        return names
    return [str(n) for n in labels]


def from_list(
    path: PathLike,
    labels: PathLike | Sequence[str] | None = None,
    root: PathLike | None = None,
    sample_rate: int = 16000,
    **kw,
) -> AudioDataset:
    """A dataset from a list file of ``path<TAB>label`` lines.

    Parameters
    ----------
    path : path
        The list file. Blank lines and lines starting with ``#`` are ignored. ``label`` is a class
        name, or an integer index into ``labels``.
    labels : path or list of str, optional
        The label list (a file with one class name per line, or a list). Without it the classes are
        the distinct names in the file, sorted (numerically when they are all integers).
    root : path, optional
        Base of relative audio paths; default the list file's folder.
    sample_rate : int
        Target rate in Hz.
    **kw
        Passed to :class:`AudioDataset`; with ``on_error="skip"``, lines naming a missing file or
        an unknown label are skipped with one warning.

    Notebook: 16_your_own_data
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: list file not found")
    base = Path(root) if root is not None else path.parent
    on_error = kw.get("on_error", "raise")
    classes = _read_label_list(labels) if labels is not None else None
    rows: list[tuple[int, Path, str]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        cols = line.rstrip("\r\n").split("\t")
        if len(cols) != 2 or not cols[0].strip() or not cols[1].strip():
            raise ValueError(
                f"{path}, line {n}: expected 2 tab-separated columns (path<TAB>label), "
                f"got {len(cols)}: {text!r}"
            )
        audio = Path(cols[0].strip()).expanduser()
        rows.append((n, audio if audio.is_absolute() else base / audio, cols[1].strip()))
    if not rows:
        raise ValueError(f"{path}: the list holds no entries")
    if classes is None:
        names = sorted({lab for _, _, lab in rows})
        if all(s.lstrip("-").isdigit() for s in names):
            names = sorted(names, key=int)
        classes = names
    index = {c: i for i, c in enumerate(classes)}
    items, problems = [], []
    for n, audio, lab in rows:
        if lab in index:
            label = index[lab]
        elif labels is not None and lab.isdigit() and int(lab) < len(classes):
            label = int(lab)
        else:
            problems.append(
                f"{path}, line {n}: label {lab!r} is not in the label list ({len(classes)} classes)"
            )
            continue
        if not audio.is_file():
            problems.append(f"{path}, line {n}: audio file {audio} not found")
            continue
        items.append((audio, label))
    if problems and on_error == "raise":
        raise (FileNotFoundError if "not found" in problems[0] else ValueError)(problems[0])
    kw.setdefault("name", path.name)
    return AudioDataset(items, classes, sample_rate, _skipped=problems, **kw)


_ESC50_COLUMNS = ("filename", "fold", "target", "category", "esc10", "src_file")
_US8K_COLUMNS = ("slice_file_name", "fsID", "fold", "classID", "class")


def _check_folds(folds: Sequence[int], valid: range, what: str) -> list[int]:
    folds = [int(f) for f in ([folds] if isinstance(folds, int) else folds)]
    bad = [f for f in folds if f not in valid]
    if bad or not folds:
        raise ValueError(
            f"{what}: folds {folds} invalid; choose from {valid.start}..{valid.stop - 1}"
        )
    return folds


def _class_order(rows, csv_path: Path, id_col: str, name_col: str) -> list[str]:
    by_id: dict[int, str] = {}
    for line, row in rows:
        try:
            k = int(row[id_col])
        except ValueError:
            raise ValueError(
                f"{csv_path}, line {line}: {id_col}={row[id_col]!r} is not an integer"
            ) from None
        if by_id.setdefault(k, row[name_col]) != row[name_col]:
            raise ValueError(
                f"{csv_path}, line {line}: {id_col} {k} is {row[name_col]!r} here but "
                f"{by_id[k]!r} earlier"
            )
    return [by_id[k] for k in sorted(by_id)]


def esc50(
    root: PathLike,
    folds: Sequence[int] = (1, 2, 3, 4),
    esc10: bool = False,
    sample_rate: int = 16000,
    **kw,
) -> AudioDataset:
    """ESC-50 (``root/meta/esc50.csv`` + ``root/audio/``), the folds you ask for.

    Use the 5 official folds (e.g. train on 1-4, test on 5, or cross-validate over all five);
    groups are ``src_file``, so clips cut from one source recording stay together.

    Parameters
    ----------
    root : path
        The unpacked ESC-50 folder.
    folds : sequence of int
        Folds to include (1..5).
    esc10 : bool
        Only the 10-class ESC-10 subset.
    sample_rate : int
        Target rate in Hz (ESC-50 is 44.1 kHz; decoding resamples once, then caches).

    Notes
    -----
    Classes are ordered by ``target`` over the whole CSV, so every fold has the same class list.

    Notebook: 16_your_own_data
    """
    root = Path(root)
    csv_path = root / "meta" / "esc50.csv"
    rows = _read_csv(csv_path, _ESC50_COLUMNS)
    folds = _check_folds(folds, range(1, 6), "esc50")
    if esc10:
        rows = [(n, r) for n, r in rows if r["esc10"].strip().lower() in ("true", "1")]
    classes = _class_order(rows, csv_path, "target", "category")
    index = {c: i for i, c in enumerate(classes)}
    items, groups = [], []
    for _, row in rows:
        if int(row["fold"]) in folds:
            items.append((root / "audio" / row["filename"], index[row["category"]]))
            groups.append(row["src_file"])
    kw.setdefault("name", f"esc{10 if esc10 else 50}{list(folds)}")
    return AudioDataset(items, classes, sample_rate, groups=groups, **kw)


def urbansound8k(
    root: PathLike,
    folds: Sequence[int] = (1, 2, 3, 4, 5, 6, 7, 8, 9),
    sample_rate: int = 16000,
    **kw,
) -> AudioDataset:
    """UrbanSound8K (``root/metadata/UrbanSound8K.csv`` + ``root/audio/fold<N>/``).

    Always use the official 10-fold protocol (train on 9 folds, test on the held-out one, and
    report the mean over the 10 rotations). Never split UrbanSound8K at random: slices cut from
    one recording would land on both sides and inflate the score. Groups are ``fsID``.

    Parameters
    ----------
    root : path
        The unpacked UrbanSound8K folder.
    folds : sequence of int
        Folds to include (1..10).
    sample_rate : int
        Target rate in Hz.

    Notebook: 16_your_own_data
    """
    root = Path(root)
    csv_path = root / "metadata" / "UrbanSound8K.csv"
    rows = _read_csv(csv_path, _US8K_COLUMNS)
    folds = _check_folds(folds, range(1, 11), "urbansound8k")
    classes = _class_order(rows, csv_path, "classID", "class")
    index = {c: i for i, c in enumerate(classes)}
    items, groups = [], []
    for _, row in rows:
        fold = int(row["fold"])
        if fold in folds:
            audio = root / "audio" / f"fold{fold}" / row["slice_file_name"]
            items.append((audio, index[row["class"]]))
            groups.append(row["fsID"])
    kw.setdefault("name", f"urbansound8k{list(folds)}")
    return AudioDataset(items, classes, sample_rate, groups=groups, **kw)


# --------------------------------------------------------------------------------------------
# Grouped, stratified splits
# --------------------------------------------------------------------------------------------


def _resolve_groups(
    dataset: AudioDataset, groups: Sequence[str] | Callable[[Path], str] | None
) -> list[str]:
    if groups is None:
        if dataset.groups is None:
            raise ValueError(
                f"{dataset.name}: has no groups; pass groups= (a list with one key per item, or "
                "a function path -> key such as the speaker id), so that clips of one speaker or "
                "recording never end up in two splits"
            )
        return list(dataset.groups)
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
    groups: Sequence[str] | Callable[[Path], str] | None = None,
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

    Returns
    -------
    tuple of AudioDataset
        Subsets sharing the dataset's cache; every item is in exactly one.

    Raises
    ------
    ValueError
        No groups, or fewer groups than non-empty splits.

    Notebook: 05_datasets_and_augmentation
    """
    keys = _resolve_groups(dataset, groups)
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
    groups: Sequence[str] | Callable[[Path], str] | None = None,
) -> Iterator[tuple[AudioDataset, AudioDataset]]:
    """Grouped, stratified k-fold: yields ``(train, test)`` ``k`` times; each item is tested once.

    Notebook: 14_comparing_backbones
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    keys = _resolve_groups(dataset, groups)
    fold_of = _assign_groups(dataset.labels, keys, [1.0] * k, len(dataset.classes), seed)
    for f in range(k):
        test = [i for i, v in enumerate(fold_of) if v == f]
        train = [i for i, v in enumerate(fold_of) if v != f]
        tr = dataset.subset(train, name=f"{dataset.name}[fold{f}-train]")
        te = dataset.subset(test, name=f"{dataset.name}[fold{f}-test]")
        tr.groups, te.groups = [keys[i] for i in train], [keys[i] for i in test]
        yield tr, te


# --------------------------------------------------------------------------------------------
# Batching
# --------------------------------------------------------------------------------------------


class Collate:
    """Batch clips of different lengths into ``(waveforms, labels, lengths)``.

    Parameters
    ----------
    duration : float, optional
        Crop / pad length in seconds (used when ``n_samples`` is not given).
    n_samples : int, optional
        Crop / pad length in samples.
    mode : {"random", "center", "full"}
        ``random``: a random window of each longer clip (training); ``center``: the middle window
        (evaluation); ``full``: no cropping, pad to the longest clip in the batch. Shorter clips are
        zero-padded at the end.
    sample_rate : int
        Hz, to turn ``duration`` into samples.
    seed : int, optional
        Seeds the random crops. In DataLoader workers the stream is derived from the worker's seed
        (which the loader's generator sets), so a seeded loader repeats exactly. ``None`` draws the
        seed from torch's global generator (repeatable after ``torch.manual_seed``).

    Returns (when called on a list of ``(waveform, label)``)
    --------------------------------------------------------
    waveforms : torch.Tensor, float32, (B, samples)
    labels : torch.Tensor, int64, (B,)
    lengths : torch.Tensor, int64, (B,)
        True samples of each row after cropping (the rest is zero padding).

    Notes
    -----
    No features here: the training loop moves the batch to the device and runs the
    ``FeatureExtractor`` (and waveform augmentation) on whole batches.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        duration: float | None = 1.0,
        n_samples: int | None = None,
        mode: str = "random",
        sample_rate: int = 16000,
        seed: int | None = None,
    ) -> None:
        if mode not in ("random", "center", "full"):
            raise ValueError(f"mode={mode!r}: choose 'random', 'center' or 'full'")
        if n_samples is None and duration is not None:
            n_samples = round(float(duration) * sample_rate)
        if mode != "full" and (n_samples is None or n_samples <= 0):
            raise ValueError(
                f"mode={mode!r} needs a positive duration or n_samples, got {n_samples}"
            )
        self.n_samples = n_samples
        self.mode = mode
        self.sample_rate = int(sample_rate)
        self.seed = seed
        self._rng: np.random.Generator | None = None
        self._rng_owner: tuple | None = None

    def _generator(self) -> np.random.Generator:
        info = torch.utils.data.get_worker_info()
        owner = (os.getpid(), None if info is None else info.seed)
        if self._rng is None or owner != self._rng_owner:
            base = self.seed if self.seed is not None else int(torch.randint(0, 2**62, (1,)).item())
            entropy = [base] if info is None else [base, info.seed % (2**63)]
            self._rng = np.random.default_rng(entropy)
            self._rng_owner = owner
        return self._rng

    def __call__(self, batch: Sequence[tuple]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        waves = [torch.as_tensor(np.asarray(w), dtype=torch.float32).reshape(-1) for w, *_ in batch]
        labels = torch.tensor([int(x[1]) for x in batch], dtype=torch.int64)
        true = [int(w.shape[0]) for w in waves]
        n = max(true) if self.mode == "full" else int(self.n_samples)
        out = torch.zeros(len(waves), n, dtype=torch.float32)
        lengths = torch.tensor([min(t, n) for t in true], dtype=torch.int64)
        rng = self._generator() if self.mode == "random" else None
        for b, w in enumerate(waves):
            start = 0
            if true[b] > n:
                if self.mode == "center":
                    start = (true[b] - n) // 2
                elif rng is not None:
                    start = int(rng.integers(0, true[b] - n + 1))
            out[b, : lengths[b]] = w[start : start + int(lengths[b])]
        return out, labels, lengths

    def __repr__(self) -> str:
        return f"Collate(n_samples={self.n_samples}, mode={self.mode!r}, seed={self.seed})"


def make_loader(
    dataset: AudioDataset,
    batch_size: int = 32,
    train: bool = True,
    duration: float | None = 1.0,
    num_workers: int = 0,
    seed: int = 0,
    sampler: torch.utils.data.Sampler | None = None,
    drop_last: bool | None = None,
    eval_mode: str = "center",
) -> torch.utils.data.DataLoader:
    """A DataLoader wired with :class:`Collate`, seeded, ready for the training loop.

    Parameters
    ----------
    dataset : AudioDataset
    batch_size : int
    train : bool
        ``True``: shuffle and random crops; ``False``: fixed order and ``eval_mode`` crops.
    duration : float, optional
        Seconds per example; ``None`` (evaluation only) keeps whole clips (``mode="full"``).
    num_workers : int
        Worker processes. With a memory cache the dataset is preloaded here first, so every
        worker inherits the decoded clips instead of decoding its own copy.
    seed : int
        Seeds shuffling (a ``torch.Generator``) and crops; the same seed gives the same batches.
    sampler : Sampler, optional
        Replaces shuffling (e.g. a ``DistributedSampler``; call its ``set_epoch`` yourself).
    drop_last : bool, optional
        Default: ``True`` when training on more than one batch, else ``False``.
    eval_mode : {"center", "full"}
        Crop used when ``train`` is ``False``.

    Notebook: 06_pipeline_and_training_loop
    """
    if train and duration is None:
        raise ValueError("training needs a fixed duration (seconds) for random crops")
    mode = "random" if train else ("full" if duration is None else eval_mode)
    collate = Collate(duration=duration, mode=mode, sample_rate=dataset.sample_rate, seed=seed)
    if drop_last is None:
        drop_last = bool(train and len(dataset) > batch_size)
    if num_workers > 0 and getattr(dataset, "cache_mode", None) == "memory":
        dataset.preload(progress=False)
    generator = torch.Generator().manual_seed(int(seed))
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=bool(train and sampler is None),
        sampler=sampler,
        collate_fn=collate,
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=num_workers > 0,
        drop_last=drop_last,
        generator=generator,
    )
