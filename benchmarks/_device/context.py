"""What every section of the device check shares: the sizes, the folders and how to start a child.

Two size sets: ``FULL`` (what the GPU run measures: batch 64 x 3 s x 80 features, the paper-size
models, the recipes as shipped) and ``DRY`` (the same code path on the CPU in seconds: batch 2 x
0.5 s, tiny presets, one step, one epoch on a handful of clips).

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._device.budget import ChildResult, run_child
from benchmarks._device.child import read_records

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sizes:
    """How big each section's work is, and the cap (s) of each child process."""

    batch: int
    seconds: float
    n_features: int
    preset: str | None
    steps: int
    warmup: int
    frontend_batch: int
    frontend_seconds: float
    frontend_repeats: int
    train_changes: dict[str, Any]
    models: tuple[str, ...] | None  # None: every backbone the registry lists
    caps_s: dict[str, float]


FULL = Sizes(batch=64, seconds=3.0, n_features=80, preset=None, steps=5, warmup=2,
             frontend_batch=64, frontend_seconds=3.0, frontend_repeats=5, train_changes={},
             models=None,
             caps_s={"env": 60, "pytest": 240, "eager": 90, "compile": 180, "frontend": 90,
                     "e2e": 300, "ddp": 180})
DRY = Sizes(batch=2, seconds=0.5, n_features=80, preset="tiny", steps=1, warmup=0,
            frontend_batch=2, frontend_seconds=0.5, frontend_repeats=1,
            train_changes={"epochs": 1, "batch_size": 2, "duration": 0.5,
                           "data.max_train_clips": 8, "data.max_eval_clips": 4},
            models=("tdnn", "resnet_se"),  # one 1-D and one 2-D network (channels_last path)
            caps_s={"env": 60, "pytest": 60, "eager": 60, "compile": 60, "frontend": 60,
                    "e2e": 90, "ddp": 90})


@dataclass
class Context:
    """The run: sizes, output folder, options, and what the environment section found."""

    out: Path
    dry_run: bool
    models: list[str] | None = None
    macls_site: str | None = None
    ddp_procs: list[int] | None = None
    env: dict[str, Any] = field(default_factory=dict)
    root: Path = ROOT

    @property
    def sizes(self) -> Sizes:
        return DRY if self.dry_run else FULL

    @property
    def cuda(self) -> bool:
        """Whether children run on CUDA (never in a dry run)."""
        return bool(self.env.get("cuda_available")) and not self.dry_run

    @property
    def device(self) -> str:
        return "cuda" if self.cuda else "cpu"

    @property
    def work(self) -> Path:
        """Scratch folder for child results and training runs (replaced by every run)."""
        return self.out / "work"

    def reset_work(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        (self.work / "logs").mkdir(parents=True)

    def child_env(self) -> dict[str, str]:
        """The children's environment: the repository importable; no GPU in a dry run."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.root), env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        if self.dry_run:  # CPU only, one thread per child: tiny work on a small shared machine
            env.update(CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        return env

    def run(self, name: str, cmd: list[str], timeout_s: float) -> ChildResult:
        """Run ``cmd`` from the repository root with its log in ``work/logs/<name>.log``."""
        return run_child(cmd, timeout_s, self.work / "logs" / f"{name}.log", self.root,
                         self.child_env())

    def run_module(self, name: str, module: str, spec: dict[str, Any], timeout_s: float,
                   launcher: list[str] | None = None) -> tuple[list[dict[str, Any]], ChildResult]:
        """Start ``python -m module --spec ...`` (after ``launcher``); its records and its end."""
        result = self.work / f"{name}.jsonl"
        result.unlink(missing_ok=True)
        spec = {**spec, "result": str(result)}
        # a launcher (torchrun) is itself a module and takes ours after its own -m
        head = [sys.executable, "-m", *launcher, "-m"] if launcher else [sys.executable, "-m"]
        cmd = [*head, module, "--spec", json.dumps(spec)]
        child = self.run(name, cmd, timeout_s)
        return read_records(result), child
