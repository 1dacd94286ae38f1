"""Exercises of notebook 06 (filled in by the course work).

Notebook: 06
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
