"""Metadata tables: read a CSV with a clear error per file, and keep its columns per item.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Sequence
from pathlib import Path

__all__ = ["Rows", "columns_of", "read_csv"]

#: ``(line number, row)`` pairs of a CSV file.
Rows = list[tuple[int, dict[str, str]]]


def read_csv(path: Path, required: Sequence[str]) -> tuple[list[str], Rows]:
    """Header and rows (with their line numbers) of a CSV; errors name the file and missing columns.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8, first line is the header).
    required : sequence of str
        Columns that must be in the header.

    Returns
    -------
    header : list of str
        Column names in file order.
    rows : list of (int, dict)
        Line number and ``column -> value`` of each row; short rows read ``""`` for the
        missing cells.

    Notebook: 05_datasets_and_augmentation
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: metadata file not found")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, restval="")
        header = list(reader.fieldnames or [])
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})"
            )
        return header, [(reader.line_num, row) for row in reader]


def columns_of(header: Sequence[str], rows: Rows, exclude: Collection[str]) -> dict[str, list[str]]:
    """Every column of ``header`` not in ``exclude``, as ``name -> one value per row``.

    Notebook: 05_datasets_and_augmentation
    """
    names = [c for c in header if c and c not in exclude]
    return {c: [row.get(c) or "" for _, row in rows] for c in names}
