"""The exercise catalogue: each notebook's exercises with a hint, an offline check and a solution.

An :class:`Exercise` is plain data plus, where it has one, a reference solution: a function
``solve(tiny)`` whose source is shown and which is run (CI runs every one with ``tiny=True``,
the notebooks' CI parameters). A definite answer (a number in the unit the exercise names, a
name, a choice) is checked by :func:`check` without printing it; open questions ("what do you
hear?", "compare ...") have no check, and :func:`solution` shows a worked answer instead.
Exercises that need the student's own microphone or recordings say so (``needs``) and are the
only ones without a solution.

Notebook: 00_index
"""

from __future__ import annotations

import importlib
import inspect
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Exercise", "budget", "catalog", "check", "exercise", "notebook_of", "show", "solution"]

#: Notebook stem of each two-digit number (the exercise id's first part).
NOTEBOOKS = {
    "00": "00_index", "01": "01_digital_audio", "02": "02_reading_and_resampling",
    "03": "03_fourier_and_stft", "04": "04_mel_mfcc_fbank", "05": "05_datasets_and_augmentation",
    "06": "06_pipeline_and_training_loop", "07": "07_tdnn", "08": "08_ecapa_tdnn",
    "09": "09_panns", "10": "10_res2net", "11": "11_resnet_se", "12": "12_campplus",
    "13": "13_eres2net", "14": "14_comparing_backbones", "15": "15_inference_and_deployment",
    "16": "16_your_own_data", "17": "17_transfer_learning", "18": "18_record_yourself",
}



def budget(tiny: bool, prefix: str, **full: Any) -> dict[str, Any]:
    """Recipe changes for a solution's training run: the exercise's own sizes (``full``), or
    CI's tiny ones (one epoch on 20 clips, no augmentation, on the CPU); a new run folder
    (``prefix`` + a unique suffix in the temporary directory) either way.

    Notebook: 00_index
    """
    import tempfile

    out = {"out_dir": tempfile.mkdtemp(prefix=prefix)}
    if tiny:
        return {**out, "epochs": 1, "data__max_train_clips": 20, "data__max_eval_clips": 20,
                "augment": {}, "device": "cpu"}
    return {**out, **full}

@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook's exercise list.

    Attributes
    ----------
    id : str
        ``"NN.k"``: notebook number, then the exercise's place (from 1) in its list.
    question : str
        The question, in one or two sentences (the notebook's list says it at length).
    hint : str
        A nudge towards the method, never the answer.
    answer : float, int, str, callable or None
        The definite answer (numbers in ``unit``), or a function returning it (computed when
        first checked); ``None`` for an open question (no check).
    unit : str
        The unit a numeric answer is given in, as a plain number (``"Hz"``, ``"dB"``, ``"samples"``).
    tolerance : float
        Numbers: the largest accepted ``|answer - reference|``, in ``unit``; say why in ``why``.
    choices : tuple of str
        A choice: the options the answer must be one of (case-insensitive).
    aliases : tuple of str
        Other spellings accepted for a name (case-insensitive).
    solve : callable or None
        ``solve(tiny: bool) -> result``: the reference solution (code that runs); ``tiny`` uses
        the notebooks' CI sizes. ``None`` only when ``needs`` is set.
    why : str
        A short explanation shown with the solution.
    needs : str
        What only the student has (``"your microphone"``, ``"your own recordings"``), when the
        exercise cannot be solved for them.

    Notebook: 00_index
    """

    id: str
    question: str
    hint: str
    answer: Any = None
    unit: str = ""
    tolerance: float = 0.0
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    solve: Callable[[bool], Any] | None = None
    why: str = ""
    needs: str = ""

    def __post_init__(self) -> None:
        nn, dot, k = self.id.partition(".")
        if nn not in NOTEBOOKS or not dot or not k.isdigit() or int(k) < 1:
            raise ValueError(f"exercise id {self.id!r}: expected 'NN.k' with NN a notebook number")
        if self.solve is None and not self.needs:
            raise ValueError(f"exercise {self.id}: a solution is required unless `needs` says "
                             "what only the student has")
        if self.choices and self.answer not in (None, *self.choices) and not callable(self.answer):
            raise ValueError(f"exercise {self.id}: answer {self.answer!r} is not one of its choices")

    @property
    def notebook(self) -> str:
        """The notebook's stem, e.g. ``"03_fourier_and_stft"``."""
        return NOTEBOOKS[self.id.split(".")[0]]

    @property
    def has_check(self) -> bool:
        return self.answer is not None

    @property
    def has_solution(self) -> bool:
        return self.solve is not None

    def reference(self) -> Any:
        """The definite answer (computed once if ``answer`` is a function); None if open."""
        if callable(self.answer):
            if self.id not in _COMPUTED:
                _COMPUTED[self.id] = self.answer()
            return _COMPUTED[self.id]
        return self.answer


_COMPUTED: dict[str, Any] = {}
_REGISTRY: dict[str, Exercise] | None = None


def _registry() -> dict[str, Exercise]:
    """Every exercise by id, from the modules ``audiokit.exercises.nbNN`` (their ``EXERCISES``)."""
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, Exercise] = {}
        for nn in NOTEBOOKS:
            module = importlib.import_module(f"audiokit.exercises.nb{nn}")
            for ex in module.EXERCISES:
                if not ex.id.startswith(nn + "."):
                    raise ValueError(f"exercise {ex.id} is listed in nb{nn}")
                if ex.id in found:
                    raise ValueError(f"exercise {ex.id} is defined twice")
                found[ex.id] = ex
        _REGISTRY = dict(sorted(found.items(), key=lambda kv: _order(kv[0])))
    return _REGISTRY


def _order(exercise_id: str) -> tuple[int, int]:
    nn, _, k = exercise_id.partition(".")
    return int(nn), int(k)


def exercise(exercise_id: str) -> Exercise:
    """The :class:`Exercise` with this id (``"03.1"``); a ``KeyError`` lists the notebook's ids.

    Notebook: 00_index
    """
    reg = _registry()
    if exercise_id not in reg:
        nn = str(exercise_id).split(".")[0]
        same = [i for i in reg if i.startswith(nn + ".")]
        raise KeyError(f"no exercise {exercise_id!r}; "
                       + (f"notebook {nn} has {', '.join(same)}" if same else
                          "ids look like '03.1' (notebook 03, first exercise)"))
    return reg[exercise_id]


def notebook_of(number: str | int) -> list[Exercise]:
    """The exercises of one notebook (``"03"`` or ``3``), in list order.

    Notebook: 00_index
    """
    nn = f"{int(number):02d}"
    return [ex for i, ex in _registry().items() if i.startswith(nn + ".")]


def catalog() -> list[dict[str, Any]]:
    """Every exercise: id, notebook, question, hint, whether it has a check and a solution,
    and what it needs from the student.

    Notebook: 00_index
    """
    return [{"id": ex.id, "notebook": ex.notebook, "question": ex.question, "hint": ex.hint,
             "has_check": ex.has_check, "has_solution": ex.has_solution, "unit": ex.unit,
             "needs": ex.needs} for ex in _registry().values()]


def how_to_check(ex: Exercise) -> str:
    """One line: how to check this exercise's answer (or that it is an open question)."""
    if ex.has_check:
        what = (f"a plain number in {ex.unit}" if ex.unit else
                f"one of {', '.join(repr(c) for c in ex.choices)}" if ex.choices else
                "a number" if isinstance(ex.reference(), (int, float)) else "a name")
        return f"check: exercises.check({ex.id!r}, answer)  # answer: {what}"
    if ex.has_solution:
        return f"open question: compare with exercises.solution({ex.id!r})"
    return f"needs {ex.needs}: no check or solution"


def show(number: str | int) -> None:
    """Print a notebook's exercises with their hints and how to check each one.

    Notebook: 00_index
    """
    for ex in notebook_of(number):
        print(f"{ex.id}  {ex.question}\n      hint: {ex.hint}\n      {how_to_check(ex)}")


def check(exercise_id: str, answer: Any) -> bool:
    """True if ``answer`` is right; prints a nudge either way and never the reference answer.

    Numbers are compared within the exercise's ``tolerance`` and must be plain numbers in its
    ``unit``; names and choices ignore case and surrounding spaces.

    Raises
    ------
    KeyError
        Unknown id.
    ValueError
        The exercise is an open question (no check): use :func:`solution`.

    Notebook: 00_index
    """
    ex = exercise(exercise_id)
    if not ex.has_check:
        raise ValueError(f"exercise {ex.id} is an open question with no check; compare your "
                         f"answer with exercises.solution({ex.id!r})")
    ref = ex.reference()
    if isinstance(ref, (int, float)) and not isinstance(ref, bool):
        ok, note = _check_number(ex, ref, answer)
    else:
        ok, note = _check_name(ex, str(ref), answer)
    print(f"{ex.id}: right." if ok else f"{ex.id}: not yet. {note}Hint: {ex.hint}")
    return ok


def _check_number(ex: Exercise, ref: float, answer: Any) -> tuple[bool, str]:
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            unit = f" in {ex.unit}" if ex.unit else ""
            return False, f"Give a plain number{unit} (got {answer!r}). "
    else:
        value = float(answer)
    if not math.isfinite(value):
        return False, "Give a finite number. "
    return abs(value - ref) <= ex.tolerance + 1e-12 * max(1.0, abs(ref)), ""


def _check_name(ex: Exercise, ref: str, answer: Any) -> tuple[bool, str]:
    given = str(answer).strip().lower()
    if ex.choices and given not in {c.lower() for c in ex.choices}:
        return False, f"Choose one of {', '.join(repr(c) for c in ex.choices)}. "
    return given in {ref.lower(), *(a.lower() for a in ex.aliases)}, ""


def solution(exercise_id: str, tiny: bool = False) -> Any:
    """Show a reference solution: its code, run it, its result, and why.

    Parameters
    ----------
    exercise_id : str
        E.g. ``"03.1"``.
    tiny : bool
        Run at the notebooks' CI sizes (seconds instead of minutes, for exercises that train).

    Returns
    -------
    Any
        What the solution returns (for an exercise with a check: an answer :func:`check` takes).

    Notebook: 00_index
    """
    ex = exercise(exercise_id)
    if ex.solve is None:
        print(f"{ex.id} needs {ex.needs}: there is no reference solution to show.")
        return None
    print(f"# reference solution of {ex.id}\n{textwrap.dedent(inspect.getsource(ex.solve))}")
    result = ex.solve(tiny)
    if result is not None:
        print(f"result: {result!r}")
    if ex.why:
        print(f"why: {ex.why}")
    return result
