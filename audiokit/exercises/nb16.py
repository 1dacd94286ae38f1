"""Exercises of notebook 16 (filled in by the course work).

Notebook: 16
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
