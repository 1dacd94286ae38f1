"""The unattended GPU check (benchmarks/device_check.py), proven on the CPU by its dry run.

The dry run walks every section's code path with tiny sizes; the GPU-only branches it cannot
reach (a compile error's fallback, out-of-memory) and the runner's timeout are tested directly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._device.budget import OVER_BUDGET, Budget, run_child
from benchmarks._device.sections import pytest_counts

SECTIONS = ["environment", "cuda_tests", "train_step", "frontend", "train_e2e", "ddp"]
STATUS = re.compile(r"^(ok|over budget|skipped: .+|failed: .+)$")
DRY_MODELS = {"tdnn", "resnet_se"}


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("device_check")
    # the default 420 s budget ends the run on its own; the timeout only guards against a bug there
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "device_check.py"),
                           "--out", str(out), "--dry-run"],
                          cwd=ROOT, capture_output=True, text=True, timeout=480, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads((out / "device_check.json").read_text())
    return {"doc": doc, "out": out, "stdout": proc.stdout}


def test_dry_run_has_every_section_with_status_and_time(dry_run):
    doc = dry_run["doc"]
    assert doc["schema"] == "audiokit-device-check/1" and doc["dry_run"] is True
    assert list(doc["sections"]) == SECTIONS
    for name, sec in doc["sections"].items():
        assert STATUS.match(sec["status"]), (name, sec["status"])
        assert isinstance(sec["wall_s"], float) and 0.0 <= sec["wall_s"] <= doc["wall_s"]
        assert sec["budget_s"] > 0.0
    # on a CPU everything that can run does; only the CUDA-only parts say they were skipped
    statuses = {n: s["status"] for n, s in doc["sections"].items()}
    assert statuses["cuda_tests"].startswith("skipped: no CUDA")
    assert all(statuses[n] == "ok" for n in SECTIONS if n != "cuda_tests"), statuses
    assert "frontend/cuda: skipped: no CUDA" in doc["skipped"]
    assert doc["wall_s"] < 200.0  # typically ~60 s on 2 busy cores; 200 s means something hung


def test_dry_run_environment_describes_this_machine(dry_run):
    import torch

    env = dry_run["doc"]["sections"]["environment"]["result"]
    assert env["torch"] == torch.__version__
    assert env["cuda_available"] is False and env["gpu_count"] == 0 and env["device_used"] == "cpu"
    assert env["cpu_count"] >= 1 and "resnet_se" in env["models"]


def test_dry_run_train_step_table_has_the_models_it_ran(dry_run):
    res = dry_run["doc"]["sections"]["train_step"]["result"]
    assert set(res["models"]) == DRY_MODELS and res["frames"] == 48  # 0.5 s at a 10 ms hop
    rows = {(r["model"], r["mode"]): r for r in res["rows"] if r["impl"] == "audiokit"}
    assert {m for m, _ in rows} == DRY_MODELS
    for model in DRY_MODELS:
        for mode in ("fp32", "bf16"):  # bf16 autocast runs on the CPU too
            r = rows[model, mode]
            assert r["status"] == "ok" and r["clips_per_s"] > 0 and r["device"] == "cpu"
            assert r["clips_per_s"] == pytest.approx(2 / (r["step_ms"] / 1e3), rel=1e-2)  # batch 2; both rounded to 3 decimals
        assert rows[model, "bf16+compile"]["status"] == "skipped: no CUDA"
        assert rows[model, "fp32"]["x_fp32"] == 1.0
        # fit's defaults as its fast path resolves them on the CPU: fp32, foreach, and NHWC for
        # the 2-D CNN only (measured faster on the CPU: audiokit.train.fastpath.use_channels_last)
        assert rows[model, "fit"]["status"] == "ok" and rows[model, "fit"]["switches"] == {
            "amp": False, "channels_last": model == "resnet_se", "fused": False, "tf32": False}
    assert rows["resnet_se", "bf16+channels_last"]["status"] == "ok"
    assert rows["tdnn", "bf16+channels_last"]["status"].startswith("skipped: 1-D model")
    assert res["macls"].startswith("skipped: dry run")


def test_dry_run_trains_end_to_end_and_under_torchrun(dry_run):
    sections = dry_run["doc"]["sections"]
    runs = {r["recipe"]: r for r in sections["train_e2e"]["result"]["runs"]}
    assert set(runs) == {"default", "drum_hits"}
    for r in runs.values():
        assert r["status"] == "ok" and r["epochs"] == 1 and r["test_clips"] == 4  # max_eval_clips
        assert r["test_accuracy"] * 4 == pytest.approx(round(r["test_accuracy"] * 4))  # k of 4 clips
    assert runs["default"]["real_voices_accuracy"] is not None  # the default recipe's extra line
    for name, r in runs.items():  # the fast path each run resolved, read back from its history.csv
        two_d = name == "drum_hits"  # ResNetSE; the default recipe's ECAPA-TDNN is 1-D
        assert r["fastpath"] == {"amp": "off", "channels_last": str(two_d), "fused_optimizer": "False",
                                 "tf32": "False", "cudnn_benchmark": "False", "pin_memory": "False",
                                 "compile": "off"}
    (ddp,) = sections["ddp"]["result"]["runs"]
    assert ddp["nproc_per_node"] == 1 and ddp["backend"] == "gloo" and ddp["all_reduce_sum"] == 1.0
    assert ddp["loaded"] and ddp["same_keys"] and ddp["max_abs_diff"] == 0.0 and ddp["epoch"] == 1


def test_dry_run_cuda_tests_ran_pytest_on_the_marked_tests(dry_run):
    res = dry_run["doc"]["sections"]["cuda_tests"]["result"]
    assert res["returncode"] == 0 and "-m cuda" in res["command"]
    assert res["counts"].get("skipped", 0) >= 1 and res["counts"].get("passed", 0) == 0


def test_dry_run_writes_and_prints_the_markdown_table(dry_run):
    md = (dry_run["out"] / "device_check.md").read_text()
    assert "| section | status | wall s | budget s | summary |" in md
    for name in SECTIONS:
        assert re.search(rf"^\| {name} \| ", md, re.MULTILINE), name
    assert "| resnet_se | audiokit | bf16+channels_last | cpu |" in md
    assert "| section | status |" in dry_run["stdout"]


def test_a_child_that_overruns_is_stopped_and_reported(tmp_path):
    t0 = time.monotonic()
    res = run_child([sys.executable, "-c", "import time; time.sleep(60)"], 1.0,
                    tmp_path / "sleep.log", tmp_path)
    assert res.timed_out and res.status() == OVER_BUDGET
    assert time.monotonic() - t0 < 10.0  # 1 s timeout + at most the 5 s SIGTERM grace


def test_a_failing_child_reports_its_error_line(tmp_path):
    res = run_child([sys.executable, "-c", "raise ValueError('boom')"], 30.0,
                    tmp_path / "fail.log", tmp_path)
    assert res.returncode == 1 and res.status() == "failed: exit 1: ValueError: boom"
    res = run_child([sys.executable, "-c", "pass"], 0.5, tmp_path / "late.log", tmp_path)
    assert res.returncode is None and res.status() == OVER_BUDGET  # too little time to start


def test_budget_shares_flow_forward_and_floors_hold():
    b = Budget(100.0, {"a": 1.0, "b": 3.0}, floors_s={"a": 40.0}, reserve_s=0.0)
    assert b.clock_for("b", ["b"]).left() == pytest.approx(100.0, abs=0.5)  # last: all that is left
    assert b.clock_for("a", ["a", "b"]).left() == pytest.approx(40.0, abs=0.5)  # floor over 25
    assert b.clock_for("b", ["a", "b"]).left() == pytest.approx(75.0, abs=0.5)


def test_pytest_summary_is_parsed():
    text = "....\nFAILED x\n=== 3 passed, 1 failed, 2 skipped, 120 deselected, 1 error in 5.05s ===\n"
    summary, counts = pytest_counts(text)
    assert summary.startswith("3 passed")
    assert counts == {"passed": 3, "failed": 1, "skipped": 2, "deselected": 120, "errors": 1}


def _tiny_spec() -> dict:
    return {"device": "cpu", "batch": 2, "frames": 48, "n_features": 40, "steps": 1, "warmup": 0}


def test_compile_failure_falls_back_to_eager_with_its_reason(monkeypatch):
    import torch

    from audiokit import models
    from benchmarks._device import step_worker

    class FailsOnFirstCall(torch.nn.Module):  # as a compiled model does when its backend breaks
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            raise RuntimeError("BackendCompilerFailed: no working C compiler")

    monkeypatch.setattr(torch, "compile", FailsOnFirstCall)
    out = step_worker.run_mode(lambda: models.build("tdnn", 10, 40, preset="tiny"),
                               step_worker.MODES["bf16+compile"], _tiny_spec())
    assert out["status"] == ("fallback: torch.compile failed (RuntimeError: BackendCompilerFailed: "
                             "no working C compiler); eager bf16 timed")
    assert out["clips_per_s"] > 0


def test_out_of_memory_fails_only_that_mode():
    import torch

    from benchmarks._device import step_worker

    def oom():
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    out = step_worker.run_mode(oom, step_worker.MODES["fp32"], _tiny_spec())
    assert out["status"].startswith("failed: CUDA out of memory (CUDA out of memory. Tried")
