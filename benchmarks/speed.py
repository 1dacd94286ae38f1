"""Speed side by side, in one run: the feature front-end against the field's references, and the
training step against the reference toolkit (macls), with the CPU, threads and versions named.

Front-end (``FeatureExtractor``, CPU, float32):

- ``log_mel`` against librosa's batched call (``melspectrogram`` + ``power_to_db``);
- ``mfcc`` against ``librosa.feature.mfcc`` on the same batch;
- ``fbank`` against ``kaldi_native_fbank`` over the same clips (it has no batched call);

each on a batch of 64 clips of 3 s and on one clip of 1 s (the live microphone's window), 16 kHz,
400-sample window, 160-sample hop, 80 mel bands from 20 Hz (the parity tests' settings).

Training step (forward + cross-entropy + backward + AdamW, batch 8 x 298 frames x 80 features):
each backbone as ``audiokit.train`` runs it on this device (the optimiser kernel and memory format
:mod:`audiokit.train.optim` / :mod:`audiokit.train.fastpath` choose) against macls 1.0.6's model of
the same configuration trained as macls does (``torch.optim.AdamW`` defaults); where the CPU has
native bf16, also ours with the opt-in ``--amp bf16`` (bf16 autocast). Needs macls
importable (``pip install --target DIR macls==1.0.6 loguru --no-deps``, then ``--macls-site DIR``);
without it that section is skipped and says so.

Every pair runs interleaved (A, B, A, B, ...) after a warm-up, each timed call right after an
untimed one of the same function (:func:`race`: the other side's busy threads are not charged);
the figure is the best of N (the least disturbed run of each; for the training step the process
CPU time, which other jobs on a shared machine disturb least). Ratios are reference / ours: above 1 means audiokit is faster.

Usage::

    python benchmarks/speed.py --json benchmarks/results/speed-intel-xeon.json
    python benchmarks/speed.py --macls-site /tmp/macls_site --json out.json --readme
    python benchmarks/speed.py --readme-from benchmarks/results/speed-*.json   # README only, newest first

``--readme`` rewrites the section between the ``speed:begin`` / ``speed:end`` markers of README.md
with this run alone; ``--readme-from`` with saved runs, a section per CPU, the newest first (each
JSON's CPU, threads and versions go into its caption). The README shows every
``benchmarks/results/speed-*.json`` (a test keeps the two equal).

This is a script, not a test. Notebook: 04_mel_mfcc_fbank
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SR, N_FFT, WIN, HOP, N_MELS, N_MFCC, F_MIN = 16000, 512, 400, 160, 80, 40, 20.0
BATCH, SECONDS = 64, 3.0
STEP_SHAPE = (8, 298, 80)
MACLS_NAMES = {
    "tdnn": "TDNN", "ecapa_tdnn": "EcapaTdnn", "panns_cnn6": "PANNS_CNN6", "panns_cnn10": "PANNS_CNN10",
    "panns_cnn14": "PANNS_CNN14", "res2net": "Res2Net", "resnet_se": "ResNetSE", "campplus": "CAMPPlus",
    "eres2net": "ERes2Net", "eres2net_v2": "ERes2NetV2",
}
README_BEGIN, README_END = "<!-- speed:begin -->", "<!-- speed:end -->"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def race(fns: dict[str, Callable[[], object]], repeats: int, clock=time.perf_counter,
         warmup: int = 1, settle: int = 1) -> dict[str, float]:
    """Best time in seconds of each function, the functions run interleaved ``repeats`` times.

    Each timed call follows ``settle`` untimed calls of the same function, so no side pays for
    the threads the other left busy: after a librosa call OpenBLAS keeps its threads spinning
    for a while, and the next torch call shares the two cores with them (measured on an AMD
    EPYC, 2 threads: torch's log-mel of one 1 s clip 0.15 ms after itself, 4.1 ms right after
    librosa's call; librosa's 0.96 ms after itself, 3.8 ms after torch's). A training loop or
    a live stream calls the same front-end over and over, as the settled figure does.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    best = {k: math.inf for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            for _ in range(settle):
                fn()
            start = clock()
            fn()
            best[k] = min(best[k], clock() - start)
    return best


# -- the front-end -------------------------------------------------------------------------------


def _references(kind: str, y: np.ndarray) -> tuple[str, Callable[[], object]]:
    """(name, call) of the field's reference for ``kind`` on clips ``y`` (B, n)."""
    import librosa

    mel = {"sr": SR, "n_fft": N_FFT, "hop_length": HOP, "win_length": WIN, "n_mels": N_MELS, "fmin": F_MIN}
    if kind == "log_mel":
        return f"librosa {librosa.__version__}", lambda: librosa.power_to_db(
            librosa.feature.melspectrogram(y=y, **mel), ref=1.0, top_db=None)
    if kind == "mfcc":
        return f"librosa {librosa.__version__}", lambda: librosa.feature.mfcc(
            y=y, n_mfcc=N_MFCC, **mel)
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = SR
    opts.frame_opts.frame_length_ms = WIN * 1000 / SR
    opts.frame_opts.frame_shift_ms = HOP * 1000 / SR
    opts.mel_opts.num_bins = N_MELS
    opts.mel_opts.low_freq = F_MIN

    def kaldi() -> list:
        out = []
        for clip in y:
            fb = knf.OnlineFbank(opts)
            fb.accept_waveform(SR, clip.tolist())
            fb.input_finished()
            out.append(np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)]))
        return out

    return f"kaldi_native_fbank {getattr(knf, '__version__', '?')}", kaldi


def frontend(repeats: int) -> list[dict]:
    """Ours vs the reference for each kind, batched and one clip."""
    from audiokit.features import FeatureExtractor

    rng = np.random.default_rng(0)
    inputs = {f"{BATCH} x {SECONDS:g} s": (0.1 * rng.standard_normal(
        (BATCH, int(SECONDS * SR)))).astype(np.float32),
        "1 x 1 s": (0.1 * rng.standard_normal((1, SR))).astype(np.float32)}
    rows = []
    for kind in ("log_mel", "mfcc", "fbank"):
        fe = FeatureExtractor(kind, sample_rate=SR, n_fft=N_FFT, win_length=WIN, hop_length=HOP,
                              n_mels=N_MELS, n_mfcc=N_MFCC, f_min=F_MIN).eval()
        for label, y in inputs.items():
            x = torch.from_numpy(y)
            name, reference = _references(kind, y)

            def ours(x=x, fe=fe):
                with torch.inference_mode():
                    return fe(x)

            best = race({"ours": ours, "reference": reference}, repeats)
            rows.append({"kind": kind, "input": label, "reference": name,
                         "ours_ms": 1e3 * best["ours"], "reference_ms": 1e3 * best["reference"],
                         "ratio": best["reference"] / best["ours"]})
            print(f"{kind:8s} {label:10s} ours {rows[-1]['ours_ms']:8.2f} ms · {name} "
                  f"{rows[-1]['reference_ms']:8.2f} ms · {rows[-1]['ratio']:5.2f}x", flush=True)
    return rows


# -- the training step ---------------------------------------------------------------------------


def _step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor,
          y: torch.Tensor, amp: torch.dtype | None = None) -> Callable[[], None]:
    from audiokit.train.optim import autocast

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast(torch.device("cpu"), amp):
            logits = model(x)
        torch.nn.functional.cross_entropy(logits.float(), y).backward()
        optimizer.step()

    return step


def _ours(name: str):
    """Our model and optimiser as ``audiokit.train`` builds them on the CPU."""
    from audiokit import models
    from audiokit.train.config import TrainConfig
    from audiokit.train.fastpath import is_2d, to_channels_last, use_channels_last
    from audiokit.train.optim import make_optimizer

    torch.manual_seed(0)
    model = models.build(name, 10, STEP_SHAPE[2]).train()
    if use_channels_last("auto", is_2d(model), "cpu"):
        to_channels_last(model, "cpu")
    # AdamW with torch's default weight decay (0.01), as macls's side below
    cfg = TrainConfig(optimizer="adamw", lr=1e-4, weight_decay=0.01)
    return model, make_optimizer(cfg, model.parameters(), "cpu")


def train_step(macls_site: str | None, repeats: int, names: list[str]) -> list[dict] | str:
    """Ours as ``audiokit.train`` runs it vs macls as macls does, per backbone; or why skipped.

    Where the CPU has native bf16, also ours with the opt-in ``amp="bf16"`` (``bf16_ms``,
    ``ratio_bf16``): ``audiokit train --amp bf16``.
    """
    from audiokit.train.optim import cpu_has_native_bf16

    if macls_site:
        sys.path.append(macls_site)
    try:
        import macls.models as mm  # type: ignore[import-not-found]
    except Exception as exc:  # noqa: BLE001 - an optional comparison
        return f"skipped: macls not importable ({exc})"
    g = torch.Generator().manual_seed(0)
    x = torch.randn(*STEP_SHAPE, generator=g)
    y = torch.randint(0, 10, (STEP_SHAPE[0],), generator=g)
    bf16 = cpu_has_native_bf16()
    rows = []
    for name in names:
        fns = {"ours": _step(*_ours(name), x, y)}
        if bf16:
            fns["bf16"] = _step(*_ours(name), x, y, amp=torch.bfloat16)
        theirs = getattr(mm, MACLS_NAMES[name])(num_class=10, input_size=STEP_SHAPE[2]).train()
        fns["macls"] = _step(theirs, torch.optim.AdamW(theirs.parameters(), lr=1e-4), x, y)
        best = race(fns, repeats, clock=time.process_time)
        row = {"model": name, "ours_ms": 1e3 * best["ours"], "macls_ms": 1e3 * best["macls"],
               "ratio": best["macls"] / best["ours"]}
        if bf16:
            row.update(bf16_ms=1e3 * best["bf16"], ratio_bf16=best["macls"] / best["bf16"])
        rows.append(row)
        print(f"{name:12s} ours {row['ours_ms']:8.1f} ms · macls {row['macls_ms']:8.1f} ms"
              f" · {row['ratio']:5.2f}x"
              + (f" · ours bf16 {row['bf16_ms']:8.1f} ms · {row['ratio_bf16']:5.2f}x" if bf16 else ""),
              flush=True)
    return rows


# -- the report ----------------------------------------------------------------------------------


def geomean(values: list[float]) -> float:
    return float(math.exp(sum(math.log(v) for v in values) / len(values)))


def versions() -> dict[str, str]:
    import librosa

    out = {"python": platform.python_version(), "torch": torch.__version__,
           "numpy": np.__version__, "librosa": librosa.__version__}
    try:
        import kaldi_native_fbank as knf

        out["kaldi_native_fbank"] = getattr(knf, "__version__", "?")
    except ImportError:
        pass
    return out


def readme_table(result: dict) -> str:
    """The README's speed section, from one result."""
    lines = [(f"Measured {result['date']} on **{result['cpu']}**, {result['threads']} torch "
             f"threads ({', '.join(f'{k} {v}' for k, v in result['versions'].items())}), best of "
             f"{result['repeats']} interleaved runs: `python benchmarks/speed.py` (ratio = "
             "reference time / ours: above 1, audiokit is faster)."), "",
             "| front-end | input | reference | ours (ms) | reference (ms) | ratio |",
             "|---|---|---|---:|---:|---:|"]
    for r in result["frontend"]:
        lines.append(f"| `{r['kind']}` | {r['input']} | {r['reference']} | {r['ours_ms']:.2f} | "
                     f"{r['reference_ms']:.2f} | {r['ratio']:.2f}x |")
    steps = result["train_step"]
    lines.append("")
    if isinstance(steps, str):
        lines.append(f"Training step vs macls: {steps}.")
        return "\n".join(lines)
    bf16 = all("ratio_bf16" in r for r in steps)
    lines += [(f"| training step, batch {' x '.join(map(str, STEP_SHAPE))} | ours (ms CPU) | "
               "macls 1.0.6 (ms CPU) | ratio |"
               + (" ours, `--amp bf16` (ms CPU) | ratio |" if bf16 else "")),
              "|---|---:|---:|---:|" + ("---:|---:|" if bf16 else "")]
    for r in steps:
        lines.append(f"| `{r['model']}` | {r['ours_ms']:.0f} | {r['macls_ms']:.0f} | "
                     f"{r['ratio']:.2f}x |"
                     + (f" {r['bf16_ms']:.0f} | {r['ratio_bf16']:.2f}x |" if bf16 else ""))
    lines.append(f"| **geometric mean** | | | **{result['train_step_geomean']:.2f}x** |"
                 + (f" | **{geomean([r['ratio_bf16'] for r in steps]):.2f}x** |" if bf16 else ""))
    if bf16:
        lines += ["", ("`--amp bf16` (bf16 autocast) is opt-in on the CPU, for CPUs with native "
                       "bf16 (AVX512-BF16 or AMX); the defaults train in float32.")]
    return "\n".join(lines)


def write_readme(results: dict | list[dict], readme: Path = ROOT / "README.md") -> None:
    """Replace the tables between the speed markers of ``readme`` (atomic write): one section
    per result (a run per CPU kind), the newest first."""
    results = [results] if isinstance(results, dict) else list(results)
    results.sort(key=lambda r: r["date"], reverse=True)  # stable: same day, the order given
    text = readme.read_text(encoding="utf-8")
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"{readme}: no {README_BEGIN} ... {README_END} markers")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    tmp = readme.with_suffix(".md.tmp")
    tables = "\n\n".join(readme_table(r) for r in results)
    tmp.write_text(f"{head}{README_BEGIN}\n{tables}\n{README_END}{tail}",
                   encoding="utf-8")
    tmp.replace(readme)


def main(argv: list[str] | None = None) -> int:
    from audiokit import models

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=15, help="interleaved runs per figure (best of)")
    ap.add_argument("--step-repeats", type=int, default=3, help="the same for training steps")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--macls-site", help="a folder holding macls (appended to sys.path)")
    ap.add_argument("--models", default=",".join(MACLS_NAMES), help="backbones for the step")
    ap.add_argument("--skip-step", action="store_true", help="front-end only")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--readme", action="store_true",
                    help="rewrite README.md's speed section with this run alone (to keep every "
                         "CPU's: --json benchmarks/results/speed-<cpu>.json, then --readme-from)")
    ap.add_argument("--readme-from", type=Path, nargs="+",
                    help="only rewrite the README from these JSONs (a section each, newest first)")
    args = ap.parse_args(argv)
    if args.readme_from:
        write_readme([json.loads(p.read_text()) for p in args.readme_from])
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in models.available()]
    if unknown:
        ap.error(f"--models: unknown {unknown}; choose from {', '.join(models.available())}")
    result = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(),
              "cores": os.cpu_count(), "threads": torch.get_num_threads(), "repeats": args.repeats,
              "versions": versions()}
    print(f"{result['cpu']} · {result['cores']} cores · torch threads {result['threads']} · "
          + ", ".join(f"{k} {v}" for k, v in result["versions"].items()), flush=True)
    result["frontend"] = frontend(args.repeats)
    steps = "skipped (--skip-step)" if args.skip_step else train_step(
        args.macls_site, args.step_repeats, names)
    result["train_step"] = steps
    if isinstance(steps, list):
        result["train_step_geomean"] = geomean([r["ratio"] for r in steps])
        print(f"training step geometric mean: {result['train_step_geomean']:.2f}x")
        if all("ratio_bf16" in r for r in steps):
            result["train_step_geomean_bf16"] = geomean([r["ratio_bf16"] for r in steps])
            print(f"training step geometric mean, --amp bf16: "
                  f"{result['train_step_geomean_bf16']:.2f}x")
    else:
        print(f"training step: {steps}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=2) + "\n")
        tmp.replace(args.json)
    if args.readme:
        write_readme(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
