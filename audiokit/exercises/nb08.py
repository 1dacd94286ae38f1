"""Exercises of notebook 08 (filled in by the course work).

Notebook: 08
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
