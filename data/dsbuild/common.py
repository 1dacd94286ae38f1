"""Shared audio processing, FLAC writing, metadata and provenance helpers of the dataset builders.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import resampy
import soundfile as sf

from audiokit.io import trim_silence as _trim_silence
from audiokit.preprocess import set_peak

SAMPLE_RATE = 16000  # Hz, every shipped clip
SEED = 20240531
FLAC_COMPRESSION = 0.5  # soundfile's 0..1 scale, fixed for reproducibility
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
DRUM_CLASSES = ["kick", "snare", "hihat", "tom", "cymbal"]
SPLITS = ["train", "valid", "test"]
BASE_COLUMNS = ["path", "label", "split", "group", "source", "license"]
GPL2_TEXT = Path("/usr/share/common-licenses/GPL-2")


@dataclass
class Clip:
    """One row of a dataset's metadata.csv (``path`` relative to the dataset folder).

    ``extra`` holds the dataset's columns beyond ``BASE_COLUMNS`` (e.g. family, kit, speaker).
    """

    path: str
    label: str
    split: str
    group: str
    source: str
    license: str
    extra: dict[str, str] = field(default_factory=dict)


def peak_normalize(y: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    """Scale ``y`` so that its absolute peak sits at ``peak_db`` dBFS.

    Notebook: 05_datasets_and_augmentation
    """
    if float(np.max(np.abs(y))) <= 0.0:
        raise ValueError("peak_normalize: the clip is all zeros")
    return set_peak(y, peak_db)  # the one scaling, also applied to served drum clips


def trim_silence(y: np.ndarray, top_db: float, margin_s: float = 0.01) -> np.ndarray:
    """Cut leading/trailing audio quieter than ``top_db`` below the peak (16 kHz ``y``), keeping ``margin_s`` s.

    The one rule lives in :func:`audiokit.io.trim_silence` (512-sample frames, hop 128), so
    inference can cut audio exactly as these clips were cut.

    Notebook: 05_datasets_and_augmentation
    """
    return _trim_silence(y, SAMPLE_RATE, top_db=top_db, margin_s=margin_s,
                         frame_length=512, hop_length=128)


def to_16k_mono(y: np.ndarray, sr: int) -> np.ndarray:
    """Average channels (``y`` shaped (samples,) or (samples, channels)) and resample ``sr`` Hz -> 16 kHz."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=1)
    if sr != SAMPLE_RATE:
        y = resampy.resample(y, sr, SAMPLE_RATE, filter="kaiser_best")
    return y.astype(np.float32)


def write_flac(path: Path, y: np.ndarray) -> None:
    """Write ``y`` (float, |y| <= 1) as 16 kHz mono PCM_16 FLAC, quantised here (no dither) for determinism."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.clip(np.round(y.astype(np.float64) * 32767.0), -32768, 32767).astype(np.int16)
    tmp = path.with_suffix(".tmp.flac")
    sf.write(tmp, pcm, SAMPLE_RATE, subtype="PCM_16", format="FLAC",
             compression_level=FLAC_COMPRESSION)
    tmp.replace(path)


def slug(text: str) -> str:
    """File-name-safe version of ``text`` (letters, digits, ``-``)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def reset_audio_dir(root: Path) -> Path:
    """Delete and recreate ``root/audio`` so that no stale clip survives a rebuild."""
    audio = root / "audio"
    if audio.exists():
        shutil.rmtree(audio)
    audio.mkdir(parents=True)
    return audio


def write_metadata(root: Path, clips: list[Clip], extra_columns: list[str] = ()) -> None:
    """Write ``root/metadata.csv`` (``BASE_COLUMNS`` + ``extra_columns``) sorted by path, Unix line endings."""
    clips = sorted(clips, key=lambda c: c.path)
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(BASE_COLUMNS + list(extra_columns))
        for c in clips:
            w.writerow([c.path, c.label, c.split, c.group, c.source, c.license]
                       + [c.extra[k] for k in extra_columns])


def count_table(clips: list[Clip], classes: list[str], key: str = "split") -> str:
    """Markdown table of clip counts, class x ``key`` (``split`` or an extra column), with totals."""
    def value(c: Clip) -> str:
        return c.split if key == "split" else c.extra[key]

    cols = ([s for s in SPLITS if any(c.split == s for c in clips)] if key == "split"
            else sorted({value(c) for c in clips}))
    n = Counter((c.label, value(c)) for c in clips)
    lines = ["| class | " + " | ".join(cols) + " | total |", "|---" * (len(cols) + 2) + "|"]
    for k in classes:
        row = [n[(k, s)] for s in cols]
        lines.append(f"| {k} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    tot = [sum(n[(k, s)] for k in classes) for s in cols]
    lines.append("| **total** | " + " | ".join(map(str, tot)) + f" | {sum(tot)} |")
    groups = [len({c.group for c in clips if value(c) == s}) for s in cols]
    lines.append("| groups | " + " | ".join(map(str, groups)) + f" | {len({c.group for c in clips})} |")
    return "\n".join(lines)


def package_versions(packages: list[str]) -> dict[str, str]:
    """Installed Debian version of each package (``dpkg-query``); exits naming the missing ones."""
    versions, missing = {}, []
    for p in packages:
        res = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", p], check=False,
                             capture_output=True, text=True)
        if res.returncode != 0 or not res.stdout.strip():
            missing.append(p)
        else:
            versions[p] = res.stdout.strip()
    if missing:
        raise SystemExit(f"make_datasets: Debian packages missing: {' '.join(missing)}; "
                         f"sudo apt-get install {' '.join(missing)}")
    return versions


def versions_table(versions: dict[str, str]) -> str:
    """Markdown table package -> version."""
    return "\n".join(["| Debian package | version |", "|---|---|"]
                     + [f"| `{p}` | {v} |" for p, v in versions.items()])


def copy_gpl2(root: Path) -> None:
    """Put the GPL-2 text next to GPL-licensed clips (from Debian's common-licenses)."""
    if GPL2_TEXT.is_file():
        shutil.copyfile(GPL2_TEXT, root / "GPL-2.0.txt")
