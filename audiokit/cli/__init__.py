"""The ``audiokit`` command line: argument parsing and one-line errors, no logic of its own.

Subcommands: ``train``, ``evaluate``, ``predict``, ``export``, ``convert``, ``models``, ``datasets``,
``info``, ``record``, ``listen``, ``course``; ``audiokit --version``. Errors print one line to
stderr and exit non-zero (set ``AUDIOKIT_DEBUG=1`` to see the traceback).

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import os
import sys

from audiokit.cli.commands import (
    EXIT_ERROR,
    cmd_convert,
    cmd_datasets,
    cmd_evaluate,
    cmd_export,
    cmd_info,
    cmd_listen,
    cmd_models,
    cmd_predict,
    cmd_record,
)
from audiokit.cli.course import cmd_course
from audiokit.cli.parser import build_parser
from audiokit.cli.train import cmd_train

__all__ = ["build_parser", "main"]


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "export": cmd_export, "convert": cmd_convert, "models": cmd_models,
            "datasets": cmd_datasets, "info": cmd_info, "record": cmd_record,
            "listen": cmd_listen, "course": cmd_course}


def _error_line(exc: BaseException) -> str:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower():
        return "out of GPU memory: lower --batch-size (or --duration) and try again"
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyError):
        msg = f"missing key {msg}"
    return msg


def main(argv: list[str] | None = None) -> int:
    """Run the ``audiokit`` command; returns the exit code.

    Notebook: 06_pipeline_and_training_loop
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("audiokit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # one clear line instead of a traceback
        if os.environ.get("AUDIOKIT_DEBUG"):
            raise
        print(f"audiokit {args.command}: error: {_error_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
