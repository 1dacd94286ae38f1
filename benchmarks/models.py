"""Benchmark the model zoo: parameters, forward GFLOPs and training-step throughput.

Usage::

    .venv/bin/python benchmarks/models.py                       # every model, CPU (and CUDA if present)
    .venv/bin/python benchmarks/models.py --models tdnn,campplus --steps 3
    .venv/bin/python benchmarks/models.py --macls-site /tmp/macls_env/lib/python3.11/site-packages

Per model it prints the parameter count (M), forward GFLOPs for one clip of 298 frames x 80 bins
(``torch.utils.flop_counter.FlopCounterMode``; a multiply-add counts as 2 FLOPs) and the training
throughput in clips/s (batch size / fastest of ``--steps`` timed steps, robust on a busy machine) for ``forward + cross-entropy + backward + AdamW step`` on a batch of 16 x 298 x
80 (CPU float32; on CUDA with bf16 autocast and channels_last for the 2-D networks). When the
reference toolkit ``macls`` is importable (installed, or its site-packages given with
``--macls-site``), its model of the same configuration is timed on the same batch and the ratio
ours / theirs is printed (> 1 means we are faster). Ours and theirs run interleaved step by step; on
CPU the ratio compares the fastest step's process (CPU) time, which other jobs on a shared machine
disturb far less than wall-clock time.

This is a script, not a test. Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from audiokit import models

MACLS_NAMES = {
    "tdnn": "TDNN", "ecapa_tdnn": "EcapaTdnn", "panns_cnn6": "PANNS_CNN6", "panns_cnn10": "PANNS_CNN10",
    "panns_cnn14": "PANNS_CNN14", "res2net": "Res2Net", "resnet_se": "ResNetSE", "campplus": "CAMPPlus",
    "eres2net": "ERes2Net", "eres2net_v2": "ERes2NetV2",
}
TWO_D = {"panns_cnn6", "panns_cnn10", "panns_cnn14", "res2net", "resnet_se", "campplus", "eres2net", "eres2net_v2"}


def load_macls(site: str | None):
    """Return the ``macls.models`` module, or None when it cannot be imported."""
    if site:
        sys.path.append(site)
    try:
        import macls.models as mm  # type: ignore
        return mm
    except Exception as exc:  # noqa: BLE001 - optional comparison only
        if site:
            print(f"macls not importable from {site}: {exc}")
        return None


def gflops(model: torch.nn.Module, n_frames: int, n_features: int) -> float:
    """Forward GFLOPs of one clip (batch 1) in eval mode."""
    model.eval()
    x = torch.randn(1, n_frames, n_features)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() / 1e9


def make_step(model: torch.nn.Module, device: str, batch: int, n_frames: int, n_features: int,
              with_lengths: bool = False, amp: bool = False, channels_last: bool = False,
              fused: bool = False):
    """A closure running one training step (forward + loss + backward + AdamW) on a fixed batch.

    ``fused``: AdamW's fused kernel (else torch's default, ``foreach`` on CUDA)."""
    model = model.to(device).train()
    if channels_last:  # as audiokit.train lays it out on this device
        from audiokit.train.fastpath import to_channels_last

        to_channels_last(model, device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True if fused else None)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, n_frames, n_features, generator=g).to(device)
    y = torch.randint(0, 10, (batch,), generator=g).to(device)
    lengths = torch.randint(n_frames // 2, n_frames + 1, (batch,), generator=g).to(device)
    lengths[0] = n_frames

    def step() -> tuple[float, float]:
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=amp):
            out = model(x, lengths) if with_lengths else model(x)
            loss = F.cross_entropy(out.float(), y)
        loss.backward()
        opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - wall, time.process_time() - cpu

    return step


def race(steps: dict[str, object], n_steps: int, warmup: int) -> dict[str, tuple[float, float]]:
    """Run the step closures interleaved (a, b, c, a, b, c, ...) so that they share the same machine load.

    Returns, per closure, the fastest wall-clock and the fastest CPU (process) time of one step, in s.
    """
    for _ in range(warmup):
        for step in steps.values():
            step()
    best = {k: (float("inf"), float("inf")) for k in steps}
    for _ in range(n_steps):
        for k, step in steps.items():
            wall, cpu = step()
            best[k] = (min(best[k][0], wall), min(best[k][1], cpu))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(models.available()), help="comma-separated names")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per model")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--frames", type=int, default=298)
    parser.add_argument("--n-features", type=int, default=80)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                        help="auto: CPU, plus CUDA when available")
    parser.add_argument("--lengths", action="store_true", help="also time ours with a lengths tensor (masking)")
    parser.add_argument("--macls-site", default=None, help="site-packages holding macls (appended to sys.path)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: leave default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    for n in names:
        if n not in models.available():
            parser.error(f"--models: unknown model {n!r}; valid: {', '.join(models.available())}")
    devices = ["cpu"] if args.device in ("auto", "cpu") else []
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        devices.append("cuda")
    mm = load_macls(args.macls_site)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, devices {devices}, "
          f"macls {'yes' if mm else 'no'}; batch {args.batch} x {args.frames} x {args.n_features}, "
          f"steps {args.steps}")
    header = f"{'model':12s} {'params M':>8s} {'GFLOPs':>7s} {'dev':>4s} {'ours c/s':>9s}"
    if args.lengths:
        header += f" {'w/ len':>7s}"
    if mm:
        header += f" {'macls M':>8s} {'macls c/s':>9s} {'ratio':>6s}"
    print(header)
    for name in names:
        torch.manual_seed(0)
        ours = models.build(name, 10, args.n_features)
        params = models.count_parameters(ours) / 1e6
        flops = gflops(ours, args.frames, args.n_features)
        theirs = None
        if mm:
            theirs = getattr(mm, MACLS_NAMES[name])(num_class=10, input_size=args.n_features)
            their_params = sum(p.numel() for n_, p in theirs.named_parameters() if "fc_audioset" not in n_) / 1e6
        for device in devices:
            cuda = device == "cuda"
            opts = {"amp": cuda, "channels_last": cuda and name in TWO_D}
            shape = (device, args.batch, args.frames, args.n_features)
            runs = {"ours": make_step(ours, *shape, **opts)}
            if args.lengths:
                runs["lengths"] = make_step(ours, *shape, with_lengths=True, **opts)
            if theirs is not None:
                runs["macls"] = make_step(theirs, *shape, **opts)
            best = race(runs, args.steps, args.warmup)
            line = f"{name:12s} {params:8.2f} {flops:7.2f} {device:>4s} {args.batch / best['ours'][0]:9.1f}"
            if args.lengths:
                line += f" {args.batch / best['lengths'][0]:7.1f}"
            if theirs is not None:
                # ratio of the fastest steps; on CPU by process time, which a busy machine disturbs least
                k = 0 if cuda else 1
                line += (f" {their_params:8.2f} {args.batch / best['macls'][0]:9.1f}"
                         f" {best['macls'][k] / best['ours'][k]:6.2f}")
            print(line, flush=True)
            ours.cpu()
            if theirs is not None:
                theirs.cpu()


if __name__ == "__main__":
    main()
