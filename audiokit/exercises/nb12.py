"""Exercises of notebook 12 (filled in by the course work).

Notebook: 12
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
