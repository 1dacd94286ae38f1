"""The tutorials are tests: every notebook in ``notebooks/`` runs under papermill.

In CI each notebook runs in *tiny mode*: the values in ``TINY`` below are injected into its cell
tagged ``parameters`` (papermill), so training runs for seconds, not minutes. With
``AUDIOKIT_FULL=1`` the notebooks run with their own default parameters (the real lesson on a
laptop CPU, minutes each). Each run's duration is printed and written to
``tests/artifacts/notebook_durations.csv``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "tests" / "artifacts"
FULL = os.environ.get("AUDIOKIT_FULL") == "1"
CELL_TIMEOUT_S = 1800 if FULL else 300

# Tiny values for CI, per notebook (stem -> parameters). Every name here must exist in the
# notebook's parameters cell; the test checks that, so the two cannot drift apart.
TINY: dict[str, dict] = {
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


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    papermill = pytest.importorskip("papermill")
    params = {} if FULL else TINY.get(path.stem, {})
    out = tmp_path / path.name
    start = time.perf_counter()
    papermill.execute_notebook(
        str(path), str(out), parameters=params, kernel_name="python3", cwd=str(tmp_path),
        execution_timeout=CELL_TIMEOUT_S, progress_bar=False, log_output=False,
    )
    seconds = time.perf_counter() - start
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "notebook_durations.csv", "a") as f:
        f.write(f"{path.stem},{'full' if FULL else 'tiny'},{seconds:.1f}\n")
    print(f"\n{path.stem}: {seconds:.1f} s")
    executed = _load(out)
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
