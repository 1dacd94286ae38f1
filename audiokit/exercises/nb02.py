"""Exercises of notebook 02 (filled in by the course work).

Notebook: 02
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
