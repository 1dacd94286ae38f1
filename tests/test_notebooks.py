"""The tutorials are tests: every notebook in ``notebooks/`` runs under papermill.

In CI each notebook runs in *tiny mode*: the values in ``audiokit.course.TINY`` are injected into
its cell tagged ``parameters`` (papermill), so training runs for seconds, not minutes. With
``AUDIOKIT_FULL=1`` the notebooks run with their own default parameters (the real lesson on a
laptop CPU, minutes each). Each run's duration is printed and written to
``tests/artifacts/notebook_durations.csv``.

Notebooks run through ``audiokit.course.execute``, the one runner ``audiokit course build`` uses
too (figures drawn by the inline backend even under CI's ``MPLBACKEND=Agg``). Each executed copy is
kept for the session, and the last test renders the static course from those copies: CI checks
the course without executing any notebook a second time.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from audiokit.course import CELL_TIMEOUT_S, TINY

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "tests" / "artifacts"
FULL = os.environ.get("AUDIOKIT_FULL") == "1"
TIMEOUT_S = CELL_TIMEOUT_S["full" if FULL else "tiny"]


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _parameters_cell(nb: dict) -> dict | None:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def test_notebooks_exist():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_hygiene(path):
    """Committed without outputs; a parameters cell; a 'what you will learn' opening; a summary
    with exercises; data found through the package, never by a relative path."""
    nb = _load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any(c.get("outputs") for c in code), f"{path.name} has outputs; clear them"
    assert not any(c.get("execution_count") for c in code), f"{path.name} has execution counts"
    ids = [c.get("id") for c in nb["cells"]]  # nbformat 4.5: every cell has a unique id
    assert nb.get("nbformat_minor", 0) >= 5 and all(ids) and len(set(ids)) == len(ids), (
        f"{path.name}: every cell needs a unique id (nbformat 4.5)")
    params = _parameters_cell(nb)
    assert params is not None, f"{path.name} has no cell tagged 'parameters'"
    first = "".join(nb["cells"][0]["source"]).lower()
    assert nb["cells"][0]["cell_type"] == "markdown" and "what you will learn" in first, (
        f"{path.name} must open with a markdown cell that says what you will learn")
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "../data" not in text, f"{path.name} reaches into ../data; use audiokit.datasets"
    tail = "".join("".join(c["source"]) for c in nb["cells"][-3:]).lower()
    assert "exercise" in tail and "summary" in tail, f"{path.name} must end with a summary and exercises"
    for name in TINY.get(path.stem, {}):
        assert f"{name} =" in "".join(params["source"]), (
            f"tiny parameter {name!r} is not defined in {path.name}'s parameters cell")


@pytest.fixture(scope="session")
def executed_dir(tmp_path_factory) -> Path:
    """Where this session keeps each executed notebook (``NN_name.ipynb``) for the course test."""
    return tmp_path_factory.mktemp("executed")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, executed_dir):
    pytest.importorskip("papermill")
    from audiokit.course import execute

    params = {} if FULL else TINY.get(path.stem, {})
    out = executed_dir / path.name
    start = time.perf_counter()
    execute(path, out, params, cwd=tmp_path, timeout_s=TIMEOUT_S)
    seconds = time.perf_counter() - start
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "notebook_durations.csv", "a") as f:
        f.write(f"{path.stem},{'full' if FULL else 'tiny'},{seconds:.1f}\n")
    print(f"\n{path.stem}: {seconds:.1f} s")
    executed = _load(out)
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.notebooks
def test_course_renders_from_the_executed_notebooks(executed_dir, tmp_path):
    """The static course, from this session's executed copies (runs after every notebook ran)."""
    from course_helpers import check_course

    missing = [p.name for p in NOTEBOOKS if not (executed_dir / p.name).exists()]
    if missing:
        pytest.skip(f"not every notebook ran in this session (missing {', '.join(missing)})")
    from audiokit import course

    index = course.build(tmp_path / "course", executed_dir=executed_dir)
    check_course(index, [executed_dir / p.name for p in NOTEBOOKS])
