"""What every child process of the device check shares: its spec in, its records out.

A child is started as ``python -m benchmarks._device.<name> --spec '<json>'`` from the repository
root. It appends one JSON object per line to ``spec["result"]`` as soon as each measurement is
done, so a child that is stopped half-way still leaves what it finished.

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def read_spec(argv: list[str] | None = None) -> dict[str, Any]:
    """The ``--spec`` JSON object of this child."""
    parser = argparse.ArgumentParser(description="device-check child process")
    parser.add_argument("--spec", required=True, help="JSON object: what to run and where to write")
    return json.loads(parser.parse_args(argv).spec)


def emit(path: str | Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line to ``path`` (flushed at once)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records a child wrote (an absent file or a torn last line give what is readable)."""
    p = Path(path)
    if not p.exists():
        return []
    records = []
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
