"""Exercises of notebook 03 (filled in by the course work).

Notebook: 03
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
