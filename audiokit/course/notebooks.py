"""The course's notebooks: where they are, CI's tiny parameters, and how one is executed.

``execute`` is the one way a notebook runs, for CI (``tests/test_notebooks.py``) and for
``audiokit course build`` alike: papermill injects the parameters into the cell tagged
``parameters`` and the kernel draws figures with the inline backend, whatever ``MPLBACKEND`` says
(CI sets ``Agg``, under which no figure reaches the notebook's outputs).

Notebook: 00_index
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["CELL_TIMEOUT_S", "INLINE_FIGURES", "TINY", "execute", "notebook_dir", "select",
           "title_of"]

#: Tiny values for CI, per notebook (stem -> parameters): training for seconds, not minutes.
#: Every name here must exist in the notebook's parameters cell (``tests/test_notebooks.py``
#: checks that, so the two cannot drift apart). ``audiokit course build --tiny`` uses them too.
TINY: dict[str, dict[str, Any]] = {
    "05_datasets_and_augmentation": {"max_examples": 4},
    "06_pipeline_and_training_loop": {"epochs": 1, "max_train_clips": 200, "loop_epochs": 1,
                                      "loop_clips": 100},
    "07_tdnn": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1},
    "08_ecapa_tdnn": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1},
    "09_panns": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1},
    "10_res2net": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1},
    "11_resnet_se": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1,
                     "cv_folds": 2},
    "12_campplus": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1,
                    "sweep_growth": [8, 16]},
    "13_eres2net": {"epochs": 1, "preset": "tiny", "max_train_clips": 200, "sweep_epochs": 1},
    "14_comparing_backbones": {"epochs": 1, "preset": "tiny", "max_train_clips": 100,
                               "seeds": 1, "tasks": ["spoken_digits"]},
    "15_inference_and_deployment": {"epochs": 1, "max_train_clips": 200},
    "16_your_own_data": {"epochs": 1, "clips_per_class": 6},
    "17_transfer_learning": {"pretrain_epochs": 1, "pretrain_clips": 100, "finetune_epochs": 1,
                             "clips_per_class": 2, "test_clips_per_class": 6, "seeds": [0]},
    "18_record_yourself": {"epochs": 1, "max_train_clips": 200, "clips_per_class": 3,
                           "finetune_epochs": 1},
}

#: Per-cell time limit in seconds: tiny runs (CI) and full runs (the defaults).
CELL_TIMEOUT_S = {"tiny": 300, "full": 1800}

#: Kernel arguments: ``%matplotlib inline`` at start-up, so figures become PNG outputs even when
#: the environment says ``MPLBACKEND=Agg`` (the kernel inherits it, and Agg shows nothing).
INLINE_FIGURES = ("--matplotlib=inline",)

_STEM = re.compile(r"^\d\d_\w+$")


def notebook_dir() -> Path:
    """The repository's ``notebooks/`` folder (the course is built from a clone).

    Notebook: 00_index
    """
    folder = Path(__file__).resolve().parents[2] / "notebooks"
    if not folder.is_dir():
        raise FileNotFoundError(f"no notebooks/ folder at {folder}: build the course from a clone "
                                "of the audiokit repository (pip install -e .)")
    return folder


def select(only: Iterable[str | Path] | None = None, folder: Path | None = None) -> list[Path]:
    """The notebooks to build, in course order.

    Parameters
    ----------
    only : iterable of str or Path, optional
        Two-digit numbers (``"03"``), stems (``"03_fourier_and_stft"``) or paths to ``.ipynb``
        files; ``None`` means every ``NN_*.ipynb`` of ``folder``.
    folder : Path, optional
        Where numbers and stems are looked up (default: :func:`notebook_dir`).

    Returns
    -------
    list of Path
        Sorted by file name, without duplicates. An unknown number raises ``ValueError`` naming
        the ones that exist.

    Notebook: 00_index
    """
    paths: list[Path] = []
    known: list[Path] | None = None
    for item in [None] if only is None else list(only):
        if isinstance(item, Path) or (item is not None and str(item).endswith(".ipynb")):
            path = Path(item)
            if not path.is_file():
                raise FileNotFoundError(f"no notebook {path}")
            paths.append(path)
            continue
        if known is None:
            known = sorted((folder or notebook_dir()).glob("[0-9][0-9]_*.ipynb"))
        if item is None:
            paths.extend(known)
            continue
        key = str(item).strip()
        hits = [p for p in known if p.stem == key or p.stem.split("_", 1)[0] == key]
        if not hits:
            numbers = ", ".join(p.stem[:2] for p in known)
            raise ValueError(f"no notebook {key!r}; the notebooks are {numbers}")
        paths.extend(hits)
    unique = {p.resolve(): p for p in paths}
    return sorted(unique.values(), key=lambda p: p.name)


def title_of(nb: Mapping) -> str:
    """The text of the first markdown heading (``"01 · What digital audio is"``), or ``""``.

    Notebook: 00_index
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for line in source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return ""


def execute(source: Path, out: Path, parameters: Mapping[str, Any] | None = None,
            cwd: Path | None = None, timeout_s: float | None = CELL_TIMEOUT_S["tiny"]):
    """Run one notebook with papermill and write the executed copy to ``out``.

    Parameters
    ----------
    source, out : Path
        The notebook and where its executed copy goes (written even when a cell fails: the
        copy then holds the error).
    parameters : mapping, optional
        Values for the cell tagged ``parameters`` (e.g. ``TINY[stem]``).
    cwd : Path, optional
        The kernel's working directory (runs and checkpoints land there).
    timeout_s : float or None
        Per-cell limit in seconds.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook. A failing cell raises papermill's ``PapermillExecutionError``.

    Notebook: 00_index
    """
    import papermill

    return papermill.execute_notebook(
        str(source), str(out), parameters=dict(parameters or {}), kernel_name="python3",
        cwd=None if cwd is None else str(cwd), execution_timeout=timeout_s, progress_bar=False,
        log_output=False, extra_arguments=list(INLINE_FIGURES),
    )
