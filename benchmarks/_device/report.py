"""The device check's report: one JSON document and the same facts as Markdown tables.

Document (``SCHEMA`` names its version)::

    {"schema", "dry_run", "budget_s", "wall_s", "started", "finished", "command",
     "sections": {name: {"status", "wall_s", "budget_s", "result": {..., "summary"}}},
     "skipped": ["<where>: <status>", ...]}      # everything that did not end "ok"

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from benchmarks._device.budget import OK

SCHEMA = "audiokit-device-check/1"


def not_ok(doc: dict[str, Any]) -> list[str]:
    """Every section, row and run whose status is not ``ok``, as ``"where: status"``."""
    out = []
    for name, sec in doc["sections"].items():
        if sec["status"] != OK:
            out.append(f"{name}: {sec['status']}")
        result = sec.get("result") or {}
        for r in result.get("rows", []):
            if r["status"] != OK:
                out.append(f"{name}/{r['model']}/{r['impl']}/{r['mode']}: {r['status']}")
        for r in result.get("runs", []):
            if r["status"] != OK:
                key = r.get("recipe", r.get("nproc_per_node"))
                out.append(f"{name}/{key}: {r['status']}")
        if result.get("cuda") not in (None, OK):
            out.append(f"{name}/cuda: {result['cuda']}")
    return out


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _sections_table(doc: dict[str, Any]) -> str:
    rows = [[name, sec["status"], sec["wall_s"], sec["budget_s"],
             (sec.get("result") or {}).get("summary", "")] for name, sec in doc["sections"].items()]
    return table(["section", "status", "wall s", "budget s", "summary"], rows)


def _train_step_tables(result: dict[str, Any]) -> list[str]:
    rows = [[r["model"], r["impl"], r["mode"], r["device"], r["clips_per_s"], r.get("x_fp32"),
             r["step_ms"], r["first_step_s"], r["peak_mem_mib"], r["wall_s"], r["status"]]
            for r in result.get("rows", [])]
    head = (f"### train_step: batch {result.get('batch')} x {result.get('seconds')} s "
            f"({result.get('frames')} frames) x {result.get('n_features')} features, "
            f"{result.get('preset')}; macls: {result.get('macls')}")
    out = [head, table(["model", "impl", "mode", "device", "clips/s", "x fp32", "step ms",
                        "first step s", "peak MiB", "wall s", "status"], rows)]
    if result.get("macls_ratios"):
        out.append(table(["model", "mode", "ours / macls"],
                         [[r["model"], r["mode"], r["ours_over_macls"]]
                          for r in result["macls_ratios"]]))
    return out


def _frontend_table(r: dict[str, Any]) -> list[str]:
    rows = [["librosa, batched (CPU)", r.get("librosa_cpu_ms"), 1.0],
            ["FeatureExtractor (CPU)", r.get("ours_cpu_ms"), r.get("ratio_librosa_over_ours_cpu")],
            ["FeatureExtractor (CUDA)", r.get("ours_cuda_ms"), r.get("ratio_librosa_over_ours_cuda")]]
    return [f"### frontend: {r.get('batch')} x {r.get('seconds')} s log-mel",
            table(["method", "median ms", "librosa / this"], rows)]


def fastpath_text(fp: dict[str, str]) -> str:
    """``amp bf16, channels_last, fused_optimizer, ..., compile off``: the switches a run had on."""
    on = [k for k, v in fp.items() if v == "True"]
    return ", ".join([f"amp {fp['amp']}"] * ("amp" in fp) + on + [f"compile {fp['compile']}"] * ("compile" in fp))


def _runs_table(name: str, result: dict[str, Any]) -> list[str]:
    runs = result.get("runs", [])
    if name == "train_e2e":
        rows = [[r["recipe"], r["status"], r["wall_s"], r.get("epochs"), r.get("test_accuracy"),
                 r.get("test_clips"), r.get("real_voices_accuracy"), r.get("final_valid_acc"),
                 fastpath_text(r.get("fastpath") or {})] for r in runs]
        return [f"### train_e2e on {result.get('device')}",
                table(["recipe", "status", "wall s", "epochs", "test acc", "test clips",
                       "real voices acc", "valid acc", "fast path"], rows)]
    rows = [[r["nproc_per_node"], r.get("backend"), r["status"], r["wall_s"], r.get("train_s"),
             r.get("all_reduce_sum"), r.get("loaded"), r.get("max_abs_diff")] for r in runs]
    return [f"### ddp on {result.get('device')}",
            table(["procs", "backend", "status", "wall s", "train s", "all_reduce", "ckpt loaded",
                   "ckpt max diff"], rows)]


def markdown(doc: dict[str, Any]) -> str:
    """The report as Markdown: the sections table, then one table per measuring section."""
    kind = "dry run (CPU, tiny sizes)" if doc["dry_run"] else "device run"
    parts = [f"## audiokit device check: {kind}, {doc['wall_s']:.1f} s of {doc['budget_s']:.0f} s",
             _sections_table(doc)]
    for name, sec in doc["sections"].items():
        result = sec.get("result") or {}
        if name == "train_step" and result.get("rows"):
            parts += _train_step_tables(result)
        elif name == "frontend" and result:
            parts += _frontend_table(result)
        elif name in ("train_e2e", "ddp") and result.get("runs"):
            parts += _runs_table(name, result)
    if doc["skipped"]:
        parts += ["### not ok (skipped, failed, over budget, fallback)",
                  "\n".join(f"- {line}" for line in doc["skipped"])]
    return "\n\n".join(parts) + "\n"


def write(doc: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write ``device_check.json`` and ``device_check.md`` into ``out``; their paths."""
    doc["skipped"] = not_ok(doc)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "device_check.json", out / "device_check.md"
    _atomic_write(json_path, json.dumps(doc, indent=2) + "\n")
    _atomic_write(md_path, markdown(doc))
    return json_path, md_path


def _atomic_write(path: Path, text: str) -> None:
    """Write then rename, so a run stopped mid-write leaves the previous complete file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
