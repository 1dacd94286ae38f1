"""Exercises of notebook 00 (filled in by the course work).

Notebook: 00
"""

from audiokit.exercises.core import Exercise

EXERCISES: list[Exercise] = []
