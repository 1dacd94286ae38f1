"""Exercises of notebook 18 (filled in by the course work).

Notebook: 18
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
