"""Exercises of notebook 04 (filled in by the course work).

Notebook: 04
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
