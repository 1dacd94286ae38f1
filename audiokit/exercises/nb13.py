"""Exercises of notebook 13 (filled in by the course work).

Notebook: 13
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
