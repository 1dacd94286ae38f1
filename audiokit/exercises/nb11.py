"""Exercises of notebook 11 (filled in by the course work).

Notebook: 11
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
