"""Exercises of notebook 01 (filled in by the course work).

Notebook: 01
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
