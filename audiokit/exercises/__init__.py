"""Exercises with hints, offline checks and reference solutions, for every notebook.

>>> from audiokit import exercises
>>> exercises.show("03")                 # the notebook's exercises, hints and how to check
>>> exercises.check("03.1", 512)         # True / False, with a nudge; never the answer
>>> exercises.solution("03.1")           # the reference solution: code, result, why

One module per notebook (``nb00`` .. ``nb18``) holds its ``EXERCISES``; :mod:`.core` the API.

Notebook: 00_index
"""

from audiokit.exercises.core import (
    Exercise,
    catalog,
    check,
    exercise,
    notebook_of,
    show,
    solution,
)

__all__ = ["Exercise", "catalog", "check", "exercise", "notebook_of", "show", "solution"]
