"""The decode cache: every clip is decoded and resampled once, then read from RAM or ``.npy`` files.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from audiokit import io as aio

__all__ = [
    "CACHE_MODES",
    "MEMORY_CACHE_LIMIT_S",
    "DecodeCache",
    "default_cache_dir",
    "resolve_mode",
]

#: Above this much audio (seconds, estimated from file headers) ``cache="auto"`` uses the disk cache.
MEMORY_CACHE_LIMIT_S: float = 30 * 60.0

#: Accepted values of ``AudioDataset(cache=...)``.
CACHE_MODES = ("auto", "memory", "disk", None)


def default_cache_dir() -> Path:
    """Where the disk cache lives: ``$AUDIOKIT_CACHE`` or ``~/.cache/audiokit``.

    Notebook: 05_datasets_and_augmentation
    """
    env = os.environ.get("AUDIOKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "audiokit"


def resolve_mode(cache: str | None, total_seconds: float) -> str | None:
    """The cache a dataset of ``total_seconds`` of audio uses: ``"auto"`` becomes memory or disk.

    Parameters
    ----------
    cache : {"auto", "memory", "disk", None}
    total_seconds : float
        Audio in the dataset (s); ``"auto"`` picks ``"memory"`` below :data:`MEMORY_CACHE_LIMIT_S`.

    Notebook: 05_datasets_and_augmentation
    """
    if cache not in CACHE_MODES:
        raise ValueError(f"cache={cache!r}: choose 'auto', 'memory', 'disk' or None")
    if cache == "auto":
        return "memory" if total_seconds < MEMORY_CACHE_LIMIT_S else "disk"
    return cache


def cache_key(path: Path, sample_rate: int) -> str:
    """Hash of absolute path, modification time (ns), size (bytes) and target rate (Hz)."""
    st = path.stat()
    text = f"{path.resolve()}|{st.st_mtime_ns}|{st.st_size}|{int(sample_rate)}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class DecodeCache:
    """Decoded waveforms keyed on :func:`cache_key`; shared by a dataset and its subsets.

    Parameters
    ----------
    mode : {"memory", "disk", None}
        Where decoded clips are kept (``None``: decode on every access).
    sample_rate : int
        Rate (Hz) clips are resampled to.
    cache_dir : path, optional
        Folder of the ``.npy`` files (``mode="disk"`` only).

    Notebook: 05_datasets_and_augmentation
    """

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
        """The decoded clip at ``sample_rate`` (float32); decodes and stores it on a miss."""
        if self.mode is None:
            return self._decode(path)
        key = cache_key(path, self.sample_rate)
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
        """Whether ``path`` (as it is now on disk) is already decoded."""
        if self.mode is None:
            return False
        key = cache_key(path, self.sample_rate)
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
