"""Exercises of notebook 10 (filled in by the course work).

Notebook: 10
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
