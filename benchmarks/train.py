"""End-to-end training throughput: audiokit's pipeline vs the per-item pipeline.

Both pipelines train the same model on the same clips with the same batch size; the clock runs
from the second epoch on and includes loading, features, forward, backward and the optimiser step.

- **audiokit**: ``AudioDataset`` (decoded + resampled once, cached) -> ``Collate`` (random crop)
  -> waveforms to the device -> one batched ``FeatureExtractor`` call on the device -> model.
- **per-item** (what the reference toolkits' recipes do): ``Dataset.__getitem__`` decodes the file,
  resamples it (``librosa.load(sr=...)``), crops it and computes a librosa log-mel spectrogram, on
  every access, every epoch; the collate stacks features; the model runs on the device.

Usage::

    python benchmarks/train.py                       # CPU (and CUDA too when present)
    python benchmarks/train.py --clips 256 --epochs 3 --device cpu --num-workers 0

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import argparse
import time

import librosa
import numpy as np
import torch
import torch.nn.functional as F

from audiokit import datasets as D
from audiokit import models
from audiokit.features import FeatureExtractor


class PerItemDataset(torch.utils.data.Dataset):
    """Decode + resample + crop + log-mel inside ``__getitem__`` (no cache)."""

    def __init__(self, items, sample_rate: int, n_samples: int, n_mels: int, seed: int = 0):
        self.items, self.sr, self.n, self.n_mels = items, sample_rate, n_samples, n_mels
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        y, _ = librosa.load(path, sr=self.sr, mono=True, res_type="soxr_hq")
        if len(y) > self.n:
            start = int(self.rng.integers(0, len(y) - self.n + 1))
            y = y[start: start + self.n]
        else:
            y = np.pad(y, (0, self.n - len(y)))
        mel = librosa.feature.melspectrogram(y=y, sr=self.sr, n_fft=512, win_length=400,
                                             hop_length=160, n_mels=self.n_mels, fmin=20.0)
        feats = librosa.power_to_db(mel, ref=1.0, top_db=None).T.astype(np.float32)
        return torch.from_numpy(feats), label


def per_item_collate(batch):
    feats = torch.stack([f for f, _ in batch])
    labels = torch.tensor([lab for _, lab in batch])
    return feats, labels


def _step(model, opt, feats, labels, lengths=None):
    logits = model(feats, lengths)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_audiokit(ds, args, device) -> tuple[float, float]:
    torch.manual_seed(0)
    fe = FeatureExtractor(kind="log_mel", n_mels=args.n_mels).to(device)
    model = models.build(args.model, num_classes=len(ds.classes), n_features=args.n_mels,
                         preset=args.preset).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = D.make_loader(ds, batch_size=args.batch_size, train=True, duration=args.duration,
                           num_workers=args.num_workers, seed=0)
    return _timed_epochs(args, device, lambda: (
        _step(model, opt, *_features(fe, w, lab, ln, device)) for w, lab, ln in loader), len(ds))


def _features(fe, waves, labels, lengths, device):
    waves = waves.to(device, non_blocking=True)
    lengths = lengths.to(device, non_blocking=True)
    feats, flen = fe(waves, lengths), fe.frame_lengths(lengths)
    return feats, labels.to(device, non_blocking=True), flen


def run_per_item(ds, args, device) -> tuple[float, float]:
    torch.manual_seed(0)
    n = int(args.duration * ds.sample_rate)
    per = PerItemDataset([(str(p), lab) for p, lab in ds.items], ds.sample_rate, n, args.n_mels)
    model = models.build(args.model, num_classes=len(ds.classes), n_features=args.n_mels,
                         preset=args.preset).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(per, batch_size=args.batch_size, shuffle=True,
                                         collate_fn=per_item_collate, num_workers=args.num_workers,
                                         drop_last=len(per) > args.batch_size,
                                         persistent_workers=args.num_workers > 0)
    return _timed_epochs(args, device, lambda: (
        _step(model, opt, f.to(device), lab.to(device)) for f, lab in loader), len(ds))


def _timed_epochs(args, device, epoch_iter, n_clips: int) -> tuple[float, float]:
    """Run ``args.epochs`` epochs; (clips per wall second, clips per CPU second) over epochs 2..

    The CPU-time figure (this process, all its threads; workers not included, so use it with
    ``--num-workers 0``) stays meaningful on a machine shared with other jobs.
    """
    seen, elapsed, cpu = 0, 0.0, 0.0
    for epoch in range(args.epochs):
        _sync(device)
        t0, c0 = time.perf_counter(), time.process_time()
        count = 0
        for _ in epoch_iter():
            count += args.batch_size
        _sync(device)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        n = min(count, n_clips)
        print(f"    epoch {epoch + 1}: {dt:6.2f} s wall ({n / dt:7.1f} clips/s), "
              f"{dc:6.2f} s CPU ({n / dc:7.1f} clips/CPU-s)", flush=True)
        if epoch >= 1:
            seen += n
            elapsed += dt
            cpu += dc
    return seen / elapsed, seen / cpu


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="spoken_digits")
    ap.add_argument("--clips", type=int, default=320, help="training clips used (0 = all)")
    ap.add_argument("--model", default="tdnn")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--n-mels", type=int, default=40)
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--num-workers", type=int, default=0)
    ap.add_argument("--device", default=None, help="cpu, cuda (default: cpu, plus cuda if present)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = leave as is)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    ds = D.load_builtin(args.data, split="train")
    if args.clips and args.clips < len(ds):
        ds = ds.subset(np.random.default_rng(0).permutation(len(ds))[: args.clips].tolist())
    devices = [args.device] if args.device else (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    print(f"{len(ds)} clips of {args.data}, {args.model} ({args.preset}), batch {args.batch_size}, "
          f"{args.duration} s crops, {args.epochs} epochs, {args.num_workers} workers, "
          f"torch threads {torch.get_num_threads()}")
    for name in devices:
        device = torch.device(name)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        print(f"[{device}] audiokit pipeline (cached decode, batched features on device)")
        kit = run_audiokit(ds, args, device)
        print(f"[{device}] per-item pipeline (decode + resample + librosa features per item)")
        ref = run_per_item(ds, args, device)
        print(f"[{device}] audiokit {kit[0]:.1f} clips/s, per-item {ref[0]:.1f} clips/s, "
              f"ratio {kit[0] / ref[0]:.2f}x (wall time, epoch 2 onward)")
        print(f"[{device}] audiokit {kit[1]:.1f} clips/CPU-s, per-item {ref[1]:.1f} clips/CPU-s, "
              f"ratio {kit[1] / ref[1]:.2f}x (CPU time, epoch 2 onward)")


if __name__ == "__main__":
    main()
