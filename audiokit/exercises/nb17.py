"""Exercises of notebook 17 (filled in by the course work).

Notebook: 17
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
