"""One unattended GPU check: environment, CUDA tests, training-step throughput, front-end,
end-to-end training and DDP, inside a fixed time budget, written as JSON and Markdown.

Usage::

    python benchmarks/device_check.py --out DIR                 # on the GPU machine (~7 min)
    python benchmarks/device_check.py --out DIR --dry-run       # same code path, CPU, tiny sizes
    python benchmarks/device_check.py --out DIR --sections train_step --models tdnn,campplus

Writes ``DIR/device_check.json`` and ``DIR/device_check.md`` (also printed) after every section,
so a run stopped from outside still leaves a report of what it finished; children's logs go to
``DIR/work/logs/``. Each section has a status (``ok``, ``skipped: <why>``, ``failed: <error>``,
``over budget``) and its wall time; rows and runs inside a section carry their own.

The parent imports only the standard library: every measurement runs in a child process with a
timeout taken from the section's share of ``--budget-s`` (time a section leaves unused goes to
the ones after it), so the check always ends and says what it could not do.

Sections (share of the budget):

- ``environment`` (2 %): GPU, driver, CUDA, cuDNN, torch, TF32 / bf16 support, CPUs;
- ``cuda_tests`` (6 %): ``python -m pytest -m cuda -q``;
- ``train_step`` (50 %): clips/s and peak memory of forward + backward + AdamW for every backbone
  at paper size, batch 64 x 3 s x 80, in fp32, bf16, bf16 + channels_last (2-D CNNs), ``fit``
  (the training loop's CUDA defaults: bf16 + fused AdamW + TF32 + channels_last for 2-D CNNs), bf16
  + torch.compile; macls's models fp32 / bf16 as ratios when macls is importable (``--macls-site``);
- ``frontend`` (4 %): ``FeatureExtractor`` on the GPU vs librosa batched on the CPU, 64 x 3 s;
- ``train_e2e`` (25 %): ``audiokit train`` and ``audiokit train --data drum_hits`` on the device,
  with the fast path each run resolved (its history.csv columns);
- ``ddp`` (13 %): ``torchrun --nproc_per_node=1`` (and =N with N GPUs), one epoch, NCCL, then the
  checkpoint loaded back.

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._device import report, sections, training
from benchmarks._device.budget import OVER_BUDGET, Budget, Clock, failed, skipped
from benchmarks._device.context import Context
from benchmarks._device.train_step import train_step

Section = Callable[[Context, Clock], tuple[str, dict[str, Any]]]
# name -> (share of the budget, seconds it gets at least, the section)
SECTIONS: dict[str, tuple[float, float, Section]] = {
    "environment": (0.02, 45.0, sections.environment),  # a cold CUDA start must not cut it short
    "cuda_tests": (0.06, 20.0, sections.cuda_tests),
    "train_step": (0.50, 0.0, train_step),
    "frontend": (0.04, 30.0, sections.frontend),
    "train_e2e": (0.25, 0.0, training.train_e2e),
    "ddp": (0.13, 0.0, training.ddp),
}


def run_section(fn: Section, ctx: Context, clock: Clock) -> dict[str, Any]:
    """``{"status", "wall_s", "budget_s", "result"}`` of one section; never raises."""
    budget_s = round(clock.left(), 1)
    t0 = time.monotonic()
    try:
        status, result = fn(ctx, clock)
    except Exception as exc:  # noqa: BLE001 - a broken section is reported, the others still run
        status, result = failed(f"{type(exc).__name__}: {exc}"), {"traceback": traceback.format_exc()}
    return {"status": status, "wall_s": round(time.monotonic() - t0, 3), "budget_s": budget_s,
            "result": result}


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _names(text: str | None, valid: list[str], flag: str) -> list[str] | None:
    if not text:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if valid and n not in valid]
    if bad:
        raise SystemExit(f"device_check: {flag}: unknown {', '.join(bad)}; valid: {', '.join(valid)}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/device_check", help="report folder (default %(default)s)")
    p.add_argument("--budget-s", type=float, default=420.0, help="total seconds (default %(default)s)")
    p.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: checks the code path")
    p.add_argument("--sections", help=f"comma-separated subset of {', '.join(SECTIONS)}")
    p.add_argument("--models", help="train_step: comma-separated backbones (default: all; dry run: 2)")
    p.add_argument("--macls-site", help="site-packages holding macls, for the reference ratios")
    p.add_argument("--ddp-procs", help="ddp: comma-separated process counts (default 1, and N GPUs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = _names(args.sections, list(SECTIONS), "--sections") or list(SECTIONS)
    procs = _names(args.ddp_procs, [], "--ddp-procs")
    ctx = Context(out=Path(args.out).resolve(), dry_run=args.dry_run,
                  models=_names(args.models, [], "--models"), macls_site=args.macls_site,
                  ddp_procs=[int(n) for n in procs] if procs else None)
    ctx.reset_work()
    budget = Budget(args.budget_s, {n: v[0] for n, v in SECTIONS.items()},
                    {n: v[1] for n, v in SECTIONS.items()})
    doc: dict[str, Any] = {"schema": report.SCHEMA, "dry_run": args.dry_run,
                           "budget_s": args.budget_s, "wall_s": 0.0,
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "finished": None,
                           "command": " ".join([Path(sys.executable).name, *sys.argv]),
                           "sections": {}, "skipped": []}
    # environment always runs: the others need to know whether there is a GPU
    to_run = [n for n in SECTIONS if n in chosen or n == "environment"]
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    for i, name in enumerate(to_run):
        clock = budget.clock_for(name, to_run[i:])
        try:
            doc["sections"][name] = run_section(SECTIONS[name][2], ctx, clock)
        except (KeyboardInterrupt, SystemExit) as stop:  # write what we have, then stop
            doc["sections"][name] = {"status": failed(f"interrupted ({type(stop).__name__})"),
                                     "wall_s": 0.0, "budget_s": 0.0, "result": {}}
            report.write(doc, ctx.out)
            raise
        doc["wall_s"] = round(budget.elapsed(), 3)
        report.write(doc, ctx.out)
        sec = doc["sections"][name]
        print(f"[{doc['wall_s']:6.1f} s] {name}: {sec['status']} ({sec['wall_s']:.1f} s)", flush=True)
    for name in SECTIONS:
        if name not in to_run:
            doc["sections"][name] = {"status": skipped("not in --sections"), "wall_s": 0.0,
                                     "budget_s": 0.0, "result": {}}
    doc["sections"] = {n: doc["sections"][n] for n in SECTIONS}
    doc["wall_s"], doc["finished"] = round(budget.elapsed(), 3), time.strftime("%Y-%m-%dT%H:%M:%S%z")
    json_path, md_path = report.write(doc, ctx.out)
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    over = [n for n, s in doc["sections"].items() if s["status"] == OVER_BUDGET]
    if over:
        print(f"over budget: {', '.join(over)} (raise --budget-s or run them with --sections)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
