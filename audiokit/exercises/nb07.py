"""Exercises of notebook 07 (filled in by the course work).

Notebook: 07
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
