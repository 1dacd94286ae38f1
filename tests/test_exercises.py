"""Every exercise of every notebook: listed in its notebook with the catalogue's hint and how to
check it, checked offline without giving the answer away, and solved by a reference solution
that CI runs (``tiny=True``: the notebooks' CI sizes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from audiokit import exercises
from audiokit.exercises.core import NOTEBOOKS, _registry, how_to_check

ROOT = Path(__file__).resolve().parents[1]
ITEM = re.compile(r"^\s*\d+\.\s+\*\*\((\d\d\.\d+)\)\*\*(.*?)(?=^\s*\d+\.\s+\*\*\(|\Z)",
                  re.MULTILINE | re.DOTALL)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _exercise_lists() -> dict[str, dict[str, str]]:
    """notebook number -> {exercise id: the item's markdown}, from each notebook's exercise list."""
    found = {}
    for nn, stem in NOTEBOOKS.items():
        nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
                         and "## Exercises" in "".join(c["source"]))
        found[nn] = {m.group(1): m.group(2) for m in ITEM.finditer(text)}
    return found


LISTS = _exercise_lists()
IDS = list(_registry())


def test_every_notebook_lists_exactly_its_catalogued_exercises():
    for nn in NOTEBOOKS:
        listed = list(LISTS[nn])
        assert listed == [e.id for e in exercises.notebook_of(nn)], f"notebook {nn}"
        assert listed == [f"{nn}.{k}" for k in range(1, len(listed) + 1)], f"notebook {nn}"
        assert listed, f"notebook {nn} has no exercise list"


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_list_shows_the_hint_and_how_to_check(exercise_id):
    ex = exercises.exercise(exercise_id)
    item = _squash(LISTS[exercise_id[:2]][exercise_id])
    assert f"*Hint:* {_squash(ex.hint)}" in item
    if ex.has_check:
        assert f'exercises.check("{ex.id}"' in item
    elif ex.has_solution:
        assert f'exercises.solution("{ex.id}")' in item
    else:
        assert f"*Needs {ex.needs}*" in item
    assert how_to_check(ex)


def test_only_exercises_that_need_the_student_lack_a_solution():
    for ex in _registry().values():
        assert ex.has_solution or ex.needs
        assert ex.question and ex.hint and ex.hint != ex.question
        if ex.tolerance:
            assert ex.why, f"{ex.id}: a tolerance needs its reason in `why`"


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_solution_runs_and_passes_its_own_check(exercise_id, capsys, tmp_path,
                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)  # solutions that write files write them here
    ex = exercises.exercise(exercise_id)
    if not ex.has_solution:
        pytest.skip(f"{ex.id} needs {ex.needs}")
    result = exercises.solution(ex.id, tiny=True)
    shown = capsys.readouterr().out
    assert "reference solution of" in shown and "def " in shown
    if ex.has_check:
        assert exercises.check(ex.id, result) is True
        out = capsys.readouterr().out
        assert out.strip() == f"{ex.id}: right."


@pytest.mark.parametrize("exercise_id", [i for i in IDS if exercises.exercise(i).has_check])
def test_a_wrong_answer_gets_a_nudge_not_the_answer(exercise_id, capsys):
    ex = exercises.exercise(exercise_id)
    ref = ex.reference()
    if isinstance(ref, (int, float)) and not isinstance(ref, bool):
        wrong = ref + 10 * (ex.tolerance + 1) + 1
        assert exercises.check(ex.id, f"{ref} {ex.unit or 'units'}") is False  # not a plain number
        capsys.readouterr()
    else:
        wrong = next((c for c in ex.choices if c.lower() != str(ref).lower()), "surely-not-this")
    assert exercises.check(ex.id, wrong) is False
    out = capsys.readouterr().out
    assert "not yet" in out and f"Hint: {ex.hint}" in out
    nudge = out.lower().replace(ex.hint.lower(), "").replace(f"{ex.id}:", "")
    nudge = nudge.replace(repr(wrong).lower(), "")
    assert not re.search(rf"(?<![\w.]){re.escape(str(ref).lower())}(?![\w.])", nudge)


def test_catalogue_and_errors():
    rows = exercises.catalog()
    assert [r["id"] for r in rows] == IDS and len(rows) >= 50
    assert set(rows[0]) >= {"id", "notebook", "hint", "has_check", "has_solution"}
    with pytest.raises(KeyError, match="ids look like"):
        exercises.exercise("99.1")
    open_one = next(e for e in _registry().values() if not e.has_check)
    with pytest.raises(ValueError, match="open question"):
        exercises.check(open_one.id, 1)
    with pytest.raises(ValueError, match="a solution is required"):
        exercises.Exercise("03.9", "q", "h")
    with pytest.raises(ValueError, match="expected 'NN.k'"):
        exercises.Exercise("3.1", "q", "h", solve=lambda tiny: None)


def test_budget_is_the_exercise_sizes_or_ci_tiny_ones():
    from audiokit.exercises import core, nb14

    tiny = core.budget(True, "ex_t_", epochs=9)
    assert {k: v for k, v in tiny.items() if k != "out_dir"} == {
        "epochs": 1, "data__max_train_clips": 20, "data__max_eval_clips": 20, "augment": {},
        "device": "cpu"}
    full = core.budget(False, "ex_t_", epochs=9)
    assert full["epochs"] == 9 and set(full) == {"out_dir", "epochs"}
    assert Path(tiny["out_dir"]).name.startswith("ex_t_") and tiny["out_dir"] != full["out_dir"]
    # notebook 14's own budget, which an exercise may change
    runs = [nb14._budget(False), nb14._budget(False, epochs=5), nb14._budget(True)]
    assert runs[0]["data__max_train_clips"] == 300
    assert runs[1]["epochs"] == 5 and runs[2]["epochs"] == 1
    for made in [tiny, full, *runs]:  # the folders budget made for runs that never happen
        Path(made["out_dir"]).rmdir()
