"""Exercises of notebook 09 (filled in by the course work).

Notebook: 09
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
