"""The run folder: what it holds, whether it already holds a run, and the next free name.

A run folder holds ``config.yaml``, ``history.csv``, ``last.pt`` (the latest epoch, resumable)
and ``best.pt`` (the best validation accuracy). It *holds a run* once ``last.pt`` exists; such a
folder is never silently overwritten or resumed.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import os
from pathlib import Path

from audiokit.train.checkpoint import CheckpointError, load_checkpoint

__all__ = ["BEST", "CONFIG", "HISTORY", "LAST", "holds_run", "next_free_run_dir", "open_run"]

BEST, LAST, CONFIG, HISTORY = "best.pt", "last.pt", "config.yaml", "history.csv"


def holds_run(out_dir: str | os.PathLike) -> bool:
    """True when ``out_dir`` already holds a training run (its ``last.pt`` exists).

    Notebook: 06_pipeline_and_training_loop
    """
    return (Path(out_dir) / LAST).exists()


def next_free_run_dir(out_dir: str | os.PathLike) -> Path:
    """``out_dir`` itself when it holds no run, else the first of ``out_dir-2``, ``-3``, ... free.

    Examples
    --------
    With ``runs/spoken_digits/last.pt`` on disk, ``next_free_run_dir("runs/spoken_digits")``
    is ``runs/spoken_digits-2``.

    Notebook: 06_pipeline_and_training_loop
    """
    base = Path(out_dir)
    candidate, n = base, 1
    while holds_run(candidate):
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def open_run(out_dir: Path, resume: bool) -> dict | None:
    """The run's ``last.pt`` when resuming, None for a fresh run; refuses the ambiguous cases.

    Raises
    ------
    CheckpointError
        A fresh run in a folder that holds one (pass ``resume=True`` or another folder), or
        ``resume=True`` with nothing to resume.

    Notebook: 06_pipeline_and_training_loop
    """
    last = Path(out_dir) / LAST
    if not resume:
        if last.exists():
            raise CheckpointError(
                f"{out_dir} already holds a training run (last.pt); pass --resume "
                f"(resume=True) to continue it, or choose another --out directory")
        return None
    if not last.exists():
        raise CheckpointError(f"--resume: nothing to resume, {last} does not exist")
    return load_checkpoint(last)
