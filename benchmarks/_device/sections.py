"""Sections ``environment``, ``cuda_tests`` and ``frontend`` (parent side, standard library only).

A section is ``fn(ctx, clock) -> (status, result)``: it starts its children with timeouts taken
from ``clock`` and turns what they wrote into a JSON-ready ``result`` with a ``summary`` line.

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks._device.budget import OK, OVER_BUDGET, Clock, failed, skipped
from benchmarks._device.context import Context

PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|skipped|deselected|errors?|xfailed|xpassed)\b")


def git_commit(root: Path) -> str | None:
    """The checked-out commit, or None where there is no git or no repository (5 s timeout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return None
    return out or None


def environment(ctx: Context, clock: Clock) -> tuple[str, dict[str, Any]]:
    """GPU, driver, CUDA, cuDNN, torch, TF32 / bf16 support, CPUs; fills ``ctx.env``."""
    records, child = ctx.run_module("environment", "benchmarks._device.env_worker", {},
                                    clock.timeout(ctx.sizes.caps_s["env"]))
    if not records:
        return child.status() if not child.ok else failed("env worker wrote nothing"), {}
    ctx.env = records[0]
    info = {**records[0], "git_commit": git_commit(ctx.root), "dry_run": ctx.dry_run,
            "device_used": ctx.device}
    ctx.env = info
    gpu = (f"{info['gpu_name']} x{info['gpu_count']}, driver {info['driver']}, "
           f"CUDA {info['cuda_runtime']}, cuDNN {info['cudnn']}" if info["cuda_available"] else "no CUDA")
    info["summary"] = (f"{gpu}; torch {info['torch']}; TF32 {_yes(info['tf32_supported'])}, "
                       f"bf16 {_yes(info['bf16_supported'])}; {info['cpu_count']} CPUs")
    return OK, info


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def marked_test_files(root: Path, marker: str = "cuda") -> list[str]:
    """Test files that carry ``@pytest.mark.<marker>`` (relative paths, sorted)."""
    tag = f"pytest.mark.{marker}"
    return sorted(str(p.relative_to(root)) for p in (root / "tests").glob("test_*.py")
                  if tag in p.read_text(encoding="utf-8", errors="replace"))


def pytest_counts(text: str) -> tuple[str, dict[str, int]]:
    """The last pytest summary line in ``text`` and its counts (``error`` and ``errors`` merged)."""
    lines = [ln.strip().strip("=").strip() for ln in text.splitlines()]
    summary = next((ln for ln in reversed(lines) if PYTEST_COUNT.search(ln) and " in " in ln), "")
    counts: dict[str, int] = {}
    for n, word in PYTEST_COUNT.findall(summary):
        key = "errors" if word.startswith("error") else word
        counts[key] = counts.get(key, 0) + int(n)
    return summary, counts


def cuda_tests(ctx: Context, clock: Clock) -> tuple[str, dict[str, Any]]:
    """``python -m pytest -m cuda -q`` in a child; its summary line and counts.

    Only the files that carry the marker are collected: the same tests ``-m cuda`` selects,
    without the other files' collection time, or their collection errors (a test file another
    engineer is halfway through, a browser test's missing dependency) failing this section.
    """
    cmd = [sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider",
           *(marked_test_files(ctx.root) or ["tests"])]
    child = ctx.run("cuda_tests", cmd, clock.timeout(ctx.sizes.caps_s["pytest"]))
    summary, counts = pytest_counts(child.tail())
    result = {"command": " ".join(cmd[1:]), "returncode": child.returncode, "summary": summary,
              "counts": counts, "log": str(child.log)}
    if child.timed_out:
        return OVER_BUDGET, result
    ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("errors", 0)
    if child.returncode == 5:
        return failed("no test marked cuda was collected"), result
    if child.returncode == 0 and ran == 0 and counts.get("skipped", 0):
        if not ctx.cuda:
            return skipped(f"no CUDA ({counts['skipped']} cuda tests skipped by pytest)"), result
        return failed("CUDA present but every cuda test skipped"), result
    return (OK if child.returncode == 0 else failed(summary or child.status())), result


def frontend(ctx: Context, clock: Clock) -> tuple[str, dict[str, Any]]:
    """FeatureExtractor on the GPU (and CPU) vs librosa batched on the CPU; ratio librosa / ours."""
    s = ctx.sizes
    spec = {"batch": s.frontend_batch, "seconds": s.frontend_seconds,
            "repeats": s.frontend_repeats, "device": ctx.device}
    records, child = ctx.run_module("frontend", "benchmarks._device.frontend_worker", spec,
                                    clock.timeout(s.caps_s["frontend"]))
    if not records:
        return child.status() if not child.ok else failed("frontend worker wrote nothing"), {}
    r = records[0]
    r["cuda"] = OK if r["ours_cuda_ms"] is not None else skipped("no CUDA")
    if r["ours_cuda_ms"] is not None:
        r["summary"] = (f"{r['batch']} x {r['seconds']} s: ours on CUDA {r['ours_cuda_ms']:.2f} ms, "
                        f"librosa batched on CPU {r['librosa_cpu_ms']:.1f} ms -> "
                        f"{r['ratio_librosa_over_ours_cuda']:.1f}x")
    else:
        r["summary"] = (f"{r['batch']} x {r['seconds']} s: ours on CPU {r['ours_cpu_ms']:.1f} ms, "
                        f"librosa {r['librosa_cpu_ms']:.1f} ms -> "
                        f"{r['ratio_librosa_over_ours_cpu']:.2f}x (GPU: skipped, no CUDA)")
    return OK, r
