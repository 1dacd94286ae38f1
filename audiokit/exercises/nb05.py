"""Exercises of notebook 05 (filled in by the course work).

Notebook: 05
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
