"""Section ``train_step`` (parent side): one child per model for the eager modes, one per model
for ``torch.compile``; the table of clips/s and peak memory, speed-ups and macls ratios.

Order: every model's eager modes first, then the compiled runs with the time that is left, so
the cheap, most telling numbers are in even when compiling is slow. A child that crashes, runs
out of memory or overruns costs only its own rows; rows it never wrote are filled in with why.

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

from typing import Any

from benchmarks._device.budget import (
    MIN_CHILD_S,
    OK,
    OVER_BUDGET,
    ChildResult,
    Clock,
    failed,
    skipped,
)
from benchmarks._device.context import Context

EAGER_MODES = ("fp32", "bf16", "bf16+channels_last", "fit")  # fit: audiokit.train.fit's defaults
COMPILE_MODE = "bf16+compile"
WORKER = "benchmarks._device.step_worker"


def model_names(ctx: Context) -> list[str]:
    """The models to time: ``--models``, else the dry-run pair, else every registered backbone."""
    if ctx.models:
        return list(ctx.models)
    if ctx.sizes.models is not None:
        return list(ctx.sizes.models)
    return list(ctx.env.get("models", []))


def _spec(ctx: Context, model: str, modes: list[str], macls: bool) -> dict[str, Any]:
    s = ctx.sizes
    return {"model": model, "modes": modes, "batch": s.batch, "seconds": s.seconds,
            "n_features": s.n_features, "preset": s.preset, "steps": s.steps, "warmup": s.warmup,
            "device": ctx.device, "macls": macls, "macls_site": ctx.macls_site,
            "macls_skip": "dry run (tiny presets have no macls counterpart)" if ctx.dry_run else None}


def _row(model: str, impl: str, mode: str, status: str, device: str) -> dict[str, Any]:
    return {"kind": "row", "model": model, "impl": impl, "mode": mode, "device": device,
            "status": status, "clips_per_s": None, "step_ms": None, "first_step_s": None,
            "peak_mem_mib": None, "wall_s": 0.0}


def _missing_status(child: ChildResult | None) -> str:
    if child is None or child.timed_out:
        return OVER_BUDGET
    return failed("worker wrote no row: " + child.status().removeprefix("failed: "))


def run_worker(ctx: Context, clock: Clock, model: str, modes: list[str], macls: bool,
               cap_s: float, tag: str) -> tuple[list[dict], dict | None]:
    """One child for ``model``; its rows, with rows it never wrote filled in, and its info."""
    child = None
    records: list[dict] = []
    if clock.left() >= MIN_CHILD_S:
        records, child = ctx.run_module(f"train_step_{tag}_{model}", WORKER,
                                        _spec(ctx, model, modes, macls), clock.timeout(cap_s))
    info = next((r for r in records if r.get("kind") == "info"), None)
    rows = [r for r in records if r.get("kind") == "row"]
    expected = [("audiokit", m) for m in modes]
    if macls and info is not None and info.get("macls") == OK:
        expected += [("macls", m) for m in ("fp32", "bf16")]
    seen = {(r["impl"], r["mode"]) for r in rows}
    rows += [_row(model, impl, mode, _missing_status(child), ctx.device)
             for impl, mode in expected if (impl, mode) not in seen]
    return rows, info


def add_speedups(rows: list[dict]) -> None:
    """``x_fp32``: each row's clips/s over the same model and implementation in fp32."""
    fp32 = {(r["model"], r["impl"]): r["clips_per_s"] for r in rows if r["mode"] == "fp32"}
    for r in rows:
        base = fp32.get((r["model"], r["impl"]))
        r["x_fp32"] = round(r["clips_per_s"] / base, 3) if r["clips_per_s"] and base else None


def macls_ratios(rows: list[dict]) -> list[dict]:
    """ours / macls clips/s per model for fp32 and bf16 (> 1: ours is faster)."""
    by_key = {(r["model"], r["impl"], r["mode"]): r for r in rows if r["status"] == OK}
    out = []
    for (model, impl, mode), theirs in by_key.items():
        ours = by_key.get((model, "audiokit", mode))
        if impl == "macls" and ours is not None:
            out.append({"model": model, "mode": mode,
                        "ours_over_macls": round(ours["clips_per_s"] / theirs["clips_per_s"], 3)})
    return out


def section_status(rows: list[dict]) -> str:
    """``over budget`` if any row ran out of time, else the first failure, else ``ok``."""
    if any(r["status"] == OVER_BUDGET for r in rows):
        return OVER_BUDGET
    bad = [r for r in rows if r["status"].startswith("failed")]
    if bad:
        first = bad[0]
        return failed(f"{len(bad)} of {len(rows)} rows failed; first {first['model']} "
                      f"{first['mode']}: {first['status'].removeprefix('failed: ')}")
    return OK


def train_step(ctx: Context, clock: Clock) -> tuple[str, dict[str, Any]]:
    """Clips/s of forward + backward + optimiser step for every model in four modes."""
    s, names = ctx.sizes, model_names(ctx)
    if not names:
        return failed("no models to time (the environment probe lists them; did it fail?)"), {}
    rows: list[dict] = []
    infos: dict[str, dict] = {}
    for name in names:
        got, info = run_worker(ctx, clock, name, list(EAGER_MODES), True, s.caps_s["eager"], "eager")
        rows += got
        if info:
            infos[name] = info
    for name in names:
        if not ctx.cuda:
            rows.append(_row(name, "audiokit", COMPILE_MODE, skipped("no CUDA"), ctx.device))
            continue
        rows += run_worker(ctx, clock, name, [COMPILE_MODE], False, s.caps_s["compile"], "compile")[0]
    add_speedups(rows)
    order = [*EAGER_MODES, COMPILE_MODE]
    rows.sort(key=lambda r: (names.index(r["model"]), r["impl"] != "audiokit", order.index(r["mode"])))
    ok = sum(r["status"] == OK for r in rows)
    macls = sorted({i["macls"] for i in infos.values() if i.get("macls")})
    result = {"batch": s.batch, "seconds": s.seconds, "n_features": s.n_features,
              "frames": next((i["frames"] for i in infos.values()), None),
              "preset": s.preset or "paper size", "steps": s.steps, "warmup": s.warmup,
              "models": names, "params_m": {k: v["params_m"] for k, v in infos.items()},
              "macls": macls[0] if len(macls) == 1 else macls, "rows": rows,
              "macls_ratios": macls_ratios(rows),
              "summary": f"{len(names)} models, {ok} of {len(rows)} rows ok on {ctx.device}"}
    return section_status(rows), result
