"""Exercises of notebook 14 (filled in by the course work).

Notebook: 14
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
