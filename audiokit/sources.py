"""What a user points at -> the audio files to classify: files, folders, glob patterns.

A folder stands for the audio files inside it (recursively, sorted, by the rule of
:func:`audiokit.datasets.from_folder`); a pattern such as ``clips/*.wav`` that reached us
unexpanded (quoted, or no match in the shell) is expanded here. A path that leads to nothing
becomes an error entry naming it, so one bad path never hides the others.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from audiokit import io

__all__ = ["expand_inputs", "is_audio_file"]

_GLOB_MAGIC = re.compile(r"[*?[]")


def is_audio_file(p: Path) -> bool:
    """A visible file with an audio extension (:data:`audiokit.io.AUDIO_EXTENSIONS`), the rule
    ``audiokit.datasets.from_folder`` collects class folders with.

    Notebook: 15_inference_and_deployment
    """
    return p.is_file() and p.suffix.lower() in io.AUDIO_EXTENSIONS and not p.name.startswith(".")


def _folder(p: Path) -> Iterator[tuple[str, Any, Exception | None]]:
    files = sorted(f for f in p.rglob("*") if is_audio_file(f))
    if not files:
        yield str(p), None, io.AudioError(
            f"{p}: folder holds no audio files ({', '.join(io.AUDIO_EXTENSIONS)})")
    for f in files:
        yield str(f), f, None


def _path(p: Path) -> Iterator[tuple[str, Any, Exception | None]]:
    if p.is_dir():
        yield from _folder(p)
    elif p.exists():
        yield str(p), p, None
    elif _GLOB_MAGIC.search(str(p)):
        matches = sorted(glob.glob(str(p), recursive=True))
        if not matches:
            yield str(p), None, FileNotFoundError(f"{p}: no file matches this pattern")
        for m in matches:
            yield from _path(Path(m))
    else:
        yield str(p), None, FileNotFoundError(f"{p}: no such file or folder")


def expand_inputs(inputs: Iterable) -> Iterator[tuple[str | None, Any, Exception | None]]:
    """Expand paths to audio files, keeping the given order and passing arrays through.

    Parameters
    ----------
    inputs : iterable of path, glob pattern, np.ndarray or torch.Tensor
        Files are taken as they are (a file with another extension fails later, when decoded,
        with a message naming it); folders give their audio files, recursively, sorted;
        patterns (``*``, ``?``, ``[...]``, ``**``) that are not an existing path give their
        sorted matches.

    Yields
    ------
    name : str or None
        The path as a string (``None`` for an array).
    item : Path, array or None
        What to decode; ``None`` when ``error`` is set.
    error : Exception or None
        ``FileNotFoundError`` for a path or pattern that leads to nothing,
        :class:`audiokit.io.AudioError` for a folder without audio files; the message names it.

    Notebook: 15_inference_and_deployment
    """
    for x in inputs:
        if isinstance(x, (str, os.PathLike)):
            yield from _path(Path(x))
        else:
            yield None, x, None
