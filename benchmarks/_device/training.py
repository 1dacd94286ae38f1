"""Sections ``train_e2e`` and ``ddp`` (parent side, standard library only).

``train_e2e`` runs the command a user would type, ``audiokit train`` (the default recipe) and
``audiokit train --data drum_hits``, on the device, and reads the outcome where the run leaves it:
the printed ``test accuracy (...): 0.9xxx`` line and the run folder's ``history.csv``.
``ddp`` starts ``torchrun --nproc_per_node=N`` on ``ddp_worker`` (one epoch, a collective, the
checkpoint loaded back) for N = 1 and, with several GPUs, N = all of them.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Any

from benchmarks._device.budget import MIN_CHILD_S, OK, OVER_BUDGET, Clock, failed
from benchmarks._device.context import Context

RECIPES = (("default", []), ("drum_hits", ["--data", "drum_hits"]))
# history.csv's fast-path columns (audiokit.train.fastpath.FASTPATH_COLUMNS; a test keeps them equal)
FASTPATH_COLUMNS = ("amp", "channels_last", "fused_optimizer", "tf32", "cudnn_benchmark",
                    "pin_memory", "compile")
TEST_LINE = re.compile(r"test accuracy \(([^,]+), (\d+) clips\): ([0-9.]+)")
REAL_LINE = re.compile(r"accuracy on spoken_digits_real \(.*?(\d+) clips\): ([0-9.]+)")


def set_flags(changes: dict[str, Any]) -> list[str]:
    """``--set key=value`` flags of ``audiokit train`` for config changes."""
    flags: list[str] = []
    for key, value in changes.items():
        flags += ["--set", f"{key}={value}"]
    return flags


def read_history(path: Path) -> list[dict[str, str]]:
    """The rows of a run's ``history.csv`` (none when it was never written)."""
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _float(row: dict[str, str] | None, key: str) -> float | None:
    try:
        return float(row[key]) if row and row.get(key) not in (None, "") else None
    except ValueError:
        return None


def parse_run(log_text: str, run_dir: Path) -> dict[str, Any]:
    """Test accuracy from the printed lines; epochs, validation accuracy and the fast path the
    run resolved (amp, channels_last, ...: ``fastpath``) from history.csv."""
    history = read_history(run_dir / "history.csv")
    last = history[-1] if history else None
    test = TEST_LINE.findall(log_text)
    real = REAL_LINE.findall(log_text)
    return {
        "test_accuracy": float(test[-1][2]) if test else None,
        "test_clips": int(test[-1][1]) if test else None,
        "real_voices_accuracy": float(real[-1][1]) if real else None,
        "epochs": len(history),
        "final_valid_acc": _float(last, "valid_acc"),
        "epoch_time_s": round(sum(_float(h, "time_s") or 0.0 for h in history), 3),
        "fastpath": {k: last[k] for k in FASTPATH_COLUMNS if k in last} if last else {},
    }


def train_e2e(ctx: Context, clock: Clock) -> tuple[str, dict[str, Any]]:
    """``audiokit train`` (default recipe) and ``--data drum_hits``: wall time, test accuracy."""
    runs = []
    for name, extra in RECIPES:
        run_dir = ctx.work / "e2e" / name
        cmd = [sys.executable, "-m", "audiokit", "train", *extra, "--out", str(run_dir),
               "--device", ctx.device, "--quiet", *set_flags(ctx.sizes.train_changes)]
        row: dict[str, Any] = {"recipe": name, "command": "audiokit " + " ".join(cmd[3:])}
        if clock.left() < MIN_CHILD_S:
            runs.append({**row, "status": OVER_BUDGET, "wall_s": 0.0})
            continue
        child = ctx.run(f"train_e2e_{name}", cmd, clock.timeout(ctx.sizes.caps_s["e2e"]))
        parsed = parse_run(child.tail(20000), run_dir)
        status = child.status()
        if status == OK and parsed["test_accuracy"] is None:
            status = failed("no 'test accuracy' line in the output")
        runs.append({**row, "status": status, "wall_s": round(child.wall_s, 3), **parsed,
                     "log": str(child.log)})
    summary = "; ".join(f"{r['recipe']}: {r['status']}" + (
        f", test acc {r['test_accuracy']:.3f} in {r['wall_s']:.0f} s"
        if r.get("test_accuracy") is not None else "") for r in runs)
    return _worst(runs), {"device": ctx.device, "changes": ctx.sizes.train_changes, "runs": runs,
                          "summary": summary}


def ddp_procs(ctx: Context) -> list[int]:
    """Process counts to launch: ``--ddp-procs``, else 1 and (with several GPUs) all of them."""
    if ctx.ddp_procs:
        return list(ctx.ddp_procs)
    n = int(ctx.env.get("gpu_count") or 0) if ctx.cuda else 0
    return [1, n] if n > 1 else [1]


def ddp(ctx: Context, clock: Clock) -> tuple[str, dict[str, Any]]:
    """``torchrun --nproc_per_node=N``: one epoch under DDP (NCCL; gloo on the CPU), then load."""
    runs = []
    for n in ddp_procs(ctx):
        row: dict[str, Any] = {"nproc_per_node": n, "expected_backend": "nccl" if ctx.cuda else "gloo"}
        if clock.left() < MIN_CHILD_S:
            runs.append({**row, "status": OVER_BUDGET, "wall_s": 0.0})
            continue
        spec = {"out_dir": str(ctx.work / "ddp" / f"nproc{n}"), "device": ctx.device,
                "changes": ctx.sizes.train_changes}
        launcher = ["torch.distributed.run", "--standalone", f"--nproc_per_node={n}"]
        records, child = ctx.run_module(f"ddp_nproc{n}", "benchmarks._device.ddp_worker", spec,
                                        clock.timeout(ctx.sizes.caps_s["ddp"]), launcher=launcher)
        rec = records[0] if records else {}
        status = child.status()
        if status == OK:
            status = _check_ddp(rec, n, row["expected_backend"])
        runs.append({**row, "status": status, "wall_s": round(child.wall_s, 3), **rec,
                     "log": str(child.log)})
    summary = "; ".join(f"nproc {r['nproc_per_node']} ({r.get('backend', '?')}): {r['status']}"
                        for r in runs)
    return _worst(runs), {"device": ctx.device, "runs": runs, "summary": summary}


def _check_ddp(rec: dict[str, Any], n: int, backend: str) -> str:
    """``ok`` when the run trained, all-reduced over ``n`` ranks and its checkpoint loads back."""
    if not rec:
        return failed("worker wrote no result")
    expected_sum = n * (n + 1) / 2  # rank r contributes r + 1
    problems = []
    if rec.get("backend") != backend:
        problems.append(f"backend {rec.get('backend')} (expected {backend})")
    if rec.get("all_reduce_sum") != expected_sum:
        problems.append(f"all_reduce gave {rec.get('all_reduce_sum')} (expected {expected_sum})")
    if not (rec.get("loaded") and rec.get("same_keys") and rec.get("max_abs_diff") == 0.0):
        problems.append("checkpoint does not match the trained model")
    return failed("; ".join(problems)) if problems else OK


def _worst(runs: list[dict[str, Any]]) -> str:
    statuses = [r["status"] for r in runs]
    if OVER_BUDGET in statuses:
        return OVER_BUDGET
    return next((s for s in statuses if s.startswith("failed")), OK)
