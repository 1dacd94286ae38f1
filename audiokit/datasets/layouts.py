"""User data layouts: one folder per class, a ``path<TAB>label`` list, ESC-50 and UrbanSound8K.

:func:`from_folder` and :func:`from_list` read the first two; :func:`to_folder` and :func:`to_list`
write a dataset (or a class-balanced sample of it) in those layouts.

Notebook: 16_your_own_data
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audiokit import io as aio
from audiokit.datasets.dataset import AudioDataset, PathLike
from audiokit.datasets.tables import Rows, columns_of, read_csv

__all__ = ["esc50", "from_folder", "from_list", "to_folder", "to_list", "urbansound8k"]


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


def _pick(dataset: AudioDataset, per_class: int, seed: int,
          classes: Sequence[str] | None) -> list[int]:
    """Indices of up to ``per_class`` seeded random clips of each class (0: all), class by class."""
    names = list(dataset.classes) if classes is None else [str(c) for c in classes]
    absent = [c for c in names if c not in dataset.classes]
    if absent:
        raise ValueError(f"{dataset.name}: no class {', '.join(absent)}; classes: "
                         f"{', '.join(dataset.classes)}")
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    for name in names:
        label = dataset.classes.index(name)
        idx = rng.permutation([i for i, lab in enumerate(dataset.labels) if lab == label])
        picked += [int(i) for i in (idx[:per_class] if per_class else idx)]
    return picked


def to_folder(dataset: AudioDataset, root: PathLike, per_class: int = 0, seed: int = 0,
              classes: Sequence[str] | None = None) -> Path:
    """Write clips of a dataset as ``root/<class>/<group>__<n>.wav``, the layout of :func:`from_folder`.

    Parameters
    ----------
    dataset : AudioDataset
        The clips (decoded at ``dataset.sample_rate``, as ``dataset[i]`` gives them).
    root : path
        Folder to write into (created); class folders are the class names.
    per_class : int
        At most this many seeded random clips per class (0: all).
    seed : int
        Seed of that choice.
    classes : list of str, optional
        Only these classes (default: all).

    Returns
    -------
    pathlib.Path
        ``root``. A file name starts with the clip's group (speaker, kit) and ``__`` when the
        dataset has groups, so ``DataConfig.group_by = "^(.+)__"`` finds it again.

    Notebook: 16_your_own_data
    """
    root = Path(root)
    counts: dict[str, int] = {}
    for i in _pick(dataset, per_class, seed, classes):
        name = dataset.classes[dataset.labels[i]]
        n = counts[name] = counts.get(name, -1) + 1
        group = f"{dataset.groups[i]}__" if dataset.groups is not None else ""
        y, _ = dataset[i]
        aio.save(root / name / f"{group}{n:03d}.wav", y.numpy(), dataset.sample_rate)
    return root


def to_list(dataset: AudioDataset, path: PathLike, per_class: int = 0, seed: int = 0,
            classes: Sequence[str] | None = None) -> Path:
    """Write a ``path<TAB>label`` list file of a dataset's files, the layout of :func:`from_list`.

    The audio files are not copied: the list names them by absolute path.

    Parameters
    ----------
    dataset : AudioDataset
        The clips.
    path : path
        The list file to write (its folder is created).
    per_class, seed, classes
        As for :func:`to_folder`: a seeded sample of at most ``per_class`` clips of each class
        (0: all), of the given ``classes`` only (default: all).

    Returns
    -------
    pathlib.Path
        ``path``.

    Notebook: 17_transfer_learning
    """
    path = Path(path)
    lines = [f"{Path(dataset.items[i][0]).resolve()}\t{dataset.classes[dataset.labels[i]]}"
             for i in _pick(dataset, per_class, seed, classes)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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


def _fold_of(row: dict[str, str], line: int, csv_path: Path) -> int:
    try:
        return int(row["fold"])
    except ValueError:
        raise ValueError(
            f"{csv_path}, line {line}: fold={row['fold']!r} is not an integer"
        ) from None


def _class_order(rows: Rows, csv_path: Path, id_col: str, name_col: str) -> list[str]:
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
    Every CSV column but ``filename`` and ``category`` (``fold``, ``src_file``, ``take``, ...) is
    kept: ``dataset.column("take")``.

    Notebook: 16_your_own_data
    """
    root = Path(root)
    csv_path = root / "meta" / "esc50.csv"
    header, rows = read_csv(csv_path, _ESC50_COLUMNS)
    folds = _check_folds(folds, range(1, 6), "esc50")
    if esc10:
        rows = [(n, r) for n, r in rows if r["esc10"].strip().lower() in ("true", "1")]
    classes = _class_order(rows, csv_path, "target", "category")
    index = {c: i for i, c in enumerate(classes)}
    rows = [(n, r) for n, r in rows if _fold_of(r, n, csv_path) in folds]
    items = [(root / "audio" / r["filename"], index[r["category"]]) for _, r in rows]
    groups = [r["src_file"] for _, r in rows]
    columns = columns_of(header, rows, exclude=("filename", "category"))
    kw.setdefault("name", f"esc{10 if esc10 else 50}{list(folds)}")
    return AudioDataset(items, classes, sample_rate, groups=groups, columns=columns, **kw)


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

    Notes
    -----
    Every CSV column but ``slice_file_name`` and ``class`` (``fsID``, ``salience``, ``fold``, ...)
    is kept: ``dataset.column("salience")``.

    Notebook: 16_your_own_data
    """
    root = Path(root)
    csv_path = root / "metadata" / "UrbanSound8K.csv"
    header, rows = read_csv(csv_path, _US8K_COLUMNS)
    folds = _check_folds(folds, range(1, 11), "urbansound8k")
    classes = _class_order(rows, csv_path, "classID", "class")
    index = {c: i for i, c in enumerate(classes)}
    rows = [(n, r) for n, r in rows if _fold_of(r, n, csv_path) in folds]
    items = [
        (root / "audio" / f"fold{int(r['fold'])}" / r["slice_file_name"], index[r["class"]])
        for _, r in rows
    ]
    groups = [r["fsID"] for _, r in rows]
    columns = columns_of(header, rows, exclude=("slice_file_name", "class"))
    kw.setdefault("name", f"urbansound8k{list(folds)}")
    return AudioDataset(items, classes, sample_rate, groups=groups, columns=columns, **kw)
