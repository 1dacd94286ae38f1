"""Exercises of notebook 15 (filled in by the course work).

Notebook: 15
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
