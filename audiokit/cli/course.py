"""``audiokit course build``: the static HTML course, every notebook executed.

Notebook: 00_index
"""

from __future__ import annotations

import time

__all__ = ["cmd_course"]


def cmd_course(args) -> int:
    """Build the course; a notebook that fails is reported (one line) after the rest is built.

    Notebook: 00_index
    """
    from audiokit.course import build

    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None
    start = time.perf_counter()
    index = build(args.out, tiny=args.tiny, notebooks=only, executed_dir=args.executed,
                  log=lambda line: print(line, flush=True))
    print(f"built in {time.perf_counter() - start:.0f} s; open {index.resolve().as_uri()}")
    return 0
