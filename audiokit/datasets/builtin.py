"""The shipped datasets: where they live, their names and class order, and loading one split.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import os
from pathlib import Path

from audiokit.datasets.dataset import AudioDataset
from audiokit.datasets.tables import columns_of, read_csv

__all__ = ["BUILTIN", "CLASSES", "SPLITS", "TRIM_RULES", "data_dir", "list_builtin", "load_builtin"]

#: Shipped datasets and a one-line description of each.
BUILTIN: dict[str, str] = {
    "spoken_digits": "the words zero..nine from espeak-ng, flite and festival voices and four "
                     "real people (FSDD); split by speaker",
    "spoken_digits_real": "human-recorded digits zero..nine (Asterisk and saytime prompts, two "
                          "speakers); test only",
    "drum_hits": "one-shot drum hits (kick, snare, hihat, tom, cymbal) from 12 source families "
                 "(Hydrogen, AVL, LMMS, GM soundfonts); whole families held out",
}

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

#: Fixed class order of each shipped dataset (every split shares it; label i is ``CLASSES[name][i]``).
CLASSES: dict[str, list[str]] = {
    "spoken_digits": list(_DIGITS),
    "spoken_digits_real": list(_DIGITS),
    "drum_hits": ["kick", "snare", "hihat", "tom", "cymbal"],
}

#: The silence-trimming rule ``data/make_datasets.py`` cut each shipped set with: keyword
#: arguments of :func:`audiokit.io.trim_silence` (librosa's ``effects.trim`` at ``top_db`` below
#: the loudest frame, frames of ``frame_length`` / ``hop_length`` samples, then ``margin_s``
#: seconds kept on each side). A model trained on these clips has only seen sounds that fill the
#: clip; its checkpoint records the rule so inference cuts user audio the same way. The drum
#: sources begin at the hit, so the builder's cut starts at the first sample; ``precise_start``
#: starts served audio there too (the frame grid alone would leave ~12 ms of silence before the
#: hit, which cost a drum model 7 points: DESIGN.md, "no train/serve skew"). ``peak_dbfs``: the
#: level served clips are scaled to after the cut. The builder scaled every drum and real-digit
#: clip to -1 dBFS; it gave each ``spoken_digits`` clip a seeded peak from -12 to -1 dBFS
#: (``data/dsbuild/spoken_digits.py``, ``PEAK_DB_RANGE``), so a digit is served at the middle of
#: that range, -6.5 dBFS: a quiet microphone is heard at a level the model learned. With the
#: digits' floored log-mel, 20 dB quieter input cost the test split 2.6-5.6 points served as it
#: came, 0.0 served at -6.5 dBFS (seeds 0-2, README "What to expect").
#: ``strip_zeros``: exact-zero samples at the ends are cut too, in training and serving (the
#: builder did not; the training loaders do it as they batch). A padded recording of a noisy
#: room otherwise keeps tens of ms of digital silence its training clips never had.
TRIM_RULES: dict[str, dict] = {
    "spoken_digits": {"top_db": 40.0, "margin_s": 0.02, "frame_length": 512, "hop_length": 128,
                      "precise_start": False, "strip_zeros": True, "peak_dbfs": -6.5},
    "spoken_digits_real": {"top_db": 40.0, "margin_s": 0.02, "frame_length": 512,
                           "hop_length": 128, "precise_start": False, "strip_zeros": False,
                           "peak_dbfs": -1.0},
    "drum_hits": {"top_db": 40.0, "margin_s": 0.002, "frame_length": 512, "hop_length": 128,
                  "precise_start": True, "strip_zeros": False, "peak_dbfs": -1.0},
}

#: The split names a shipped ``metadata.csv`` uses.
SPLITS = ("train", "valid", "test")

#: Columns every shipped ``metadata.csv`` has; any others (``family``, ``kit``, ...) are kept too.
REQUIRED_COLUMNS = ("path", "label", "split", "group")


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
    hihat, tom, cymbal``, the same for every split. ``dataset.groups`` is the ``group`` column;
    every column but ``path`` and ``label`` (``split``, ``group``, ``source``, ``license`` and,
    where the file has them, ``family``, ``kit``, ``instrument``, ``speaker``) is kept and read
    with ``dataset.column(name)``.

    Notebook: 05_datasets_and_augmentation
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split={split!r}: choose one of {', '.join(SPLITS)} or None")
    root = data_dir(name)
    csv_path = root / "metadata.csv"
    header, rows = read_csv(csv_path, REQUIRED_COLUMNS)
    classes = CLASSES[name]
    index = {c: i for i, c in enumerate(classes)}
    for line, row in rows:
        if row["label"] not in index:
            raise ValueError(
                f"{csv_path}, line {line}: label {row['label']!r} is not one of {', '.join(classes)}"
            )
    rows = [(line, row) for line, row in rows if split is None or row["split"] == split]
    if not rows:
        raise ValueError(f"{csv_path}: no rows with split={split!r}")
    items = [(root / row["path"], index[row["label"]]) for _, row in rows]
    groups = [row["group"] for _, row in rows]
    columns = columns_of(header, rows, exclude=("path", "label"))
    label = name if split is None else f"{name}[{split}]"
    return AudioDataset(
        items, classes, sample_rate, groups=groups, name=label, columns=columns, **kw
    )
