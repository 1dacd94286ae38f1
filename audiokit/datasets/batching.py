"""Batching: clips of different lengths into ``(waveforms, labels, lengths)``, and seeded loaders.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from audiokit.datasets.dataset import AudioDataset

__all__ = ["Collate", "make_loader"]


class Collate:
    """Batch clips of different lengths into ``(waveforms, labels, lengths)``.

    Parameters
    ----------
    duration : float, optional
        Crop / pad length in seconds (used when ``n_samples`` is not given).
    n_samples : int, optional
        Crop / pad length in samples.
    mode : {"random", "center", "full"}
        ``random``: a random window of each longer clip (training); ``center``: the middle window
        (evaluation); ``full``: no cropping, pad to the longest clip in the batch. Shorter clips are
        zero-padded at the end.
    sample_rate : int
        Hz, to turn ``duration`` into samples.
    seed : int, optional
        Seeds the random crops. In DataLoader workers the stream is derived from the worker's seed
        (which the loader's generator sets), so a seeded loader repeats exactly. ``None`` draws the
        seed from torch's global generator (repeatable after ``torch.manual_seed``).

    Returns (when called on a list of ``(waveform, label)``)
    --------------------------------------------------------
    waveforms : torch.Tensor, float32, (B, samples)
    labels : torch.Tensor, int64, (B,)
    lengths : torch.Tensor, int64, (B,)
        True samples of each row after cropping (the rest is zero padding).

    Notes
    -----
    No features here: the training loop moves the batch to the device and runs the
    ``FeatureExtractor`` (and waveform augmentation) on whole batches.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        duration: float | None = 1.0,
        n_samples: int | None = None,
        mode: str = "random",
        sample_rate: int = 16000,
        seed: int | None = None,
    ) -> None:
        if mode not in ("random", "center", "full"):
            raise ValueError(f"mode={mode!r}: choose 'random', 'center' or 'full'")
        if n_samples is None and duration is not None:
            n_samples = round(float(duration) * sample_rate)
        if mode != "full" and (n_samples is None or n_samples <= 0):
            raise ValueError(
                f"mode={mode!r} needs a positive duration or n_samples, got {n_samples}"
            )
        self.n_samples = n_samples
        self.mode = mode
        self.sample_rate = int(sample_rate)
        self.seed = seed
        self._rng: np.random.Generator | None = None
        self._rng_owner: tuple | None = None

    def _generator(self) -> np.random.Generator:
        info = torch.utils.data.get_worker_info()
        owner = (os.getpid(), None if info is None else info.seed)
        if self._rng is None or owner != self._rng_owner:
            base = self.seed if self.seed is not None else int(torch.randint(0, 2**62, (1,)).item())
            entropy = [base] if info is None else [base, info.seed % (2**63)]
            self._rng = np.random.default_rng(entropy)
            self._rng_owner = owner
        return self._rng

    def __call__(self, batch: Sequence[tuple]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        waves = [torch.as_tensor(np.asarray(w), dtype=torch.float32).reshape(-1) for w, *_ in batch]
        labels = torch.tensor([int(x[1]) for x in batch], dtype=torch.int64)
        true = [int(w.shape[0]) for w in waves]
        n = max(true) if self.mode == "full" else int(self.n_samples)
        out = torch.zeros(len(waves), n, dtype=torch.float32)
        lengths = torch.tensor([min(t, n) for t in true], dtype=torch.int64)
        rng = self._generator() if self.mode == "random" else None
        for b, w in enumerate(waves):
            start = 0
            if true[b] > n:
                if self.mode == "center":
                    start = (true[b] - n) // 2
                elif rng is not None:
                    start = int(rng.integers(0, true[b] - n + 1))
            out[b, : lengths[b]] = w[start : start + int(lengths[b])]
        return out, labels, lengths

    def __repr__(self) -> str:
        return f"Collate(n_samples={self.n_samples}, mode={self.mode!r}, seed={self.seed})"


def make_loader(
    dataset: AudioDataset,
    batch_size: int = 32,
    train: bool = True,
    duration: float | None = 1.0,
    num_workers: int = 0,
    seed: int = 0,
    sampler: torch.utils.data.Sampler | None = None,
    drop_last: bool | None = None,
    eval_mode: str = "center",
) -> torch.utils.data.DataLoader:
    """A DataLoader wired with :class:`Collate`, seeded, ready for the training loop.

    Parameters
    ----------
    dataset : AudioDataset
    batch_size : int
    train : bool
        ``True``: shuffle and random crops; ``False``: fixed order and ``eval_mode`` crops.
    duration : float, optional
        Seconds per example; ``None`` (evaluation only) keeps whole clips (``mode="full"``).
    num_workers : int
        Worker processes. With a memory cache the dataset is preloaded here first, so every
        worker inherits the decoded clips instead of decoding its own copy.
    seed : int
        Seeds shuffling (a ``torch.Generator``) and crops; the same seed gives the same batches.
    sampler : Sampler, optional
        Replaces shuffling (e.g. a ``DistributedSampler``; call its ``set_epoch`` yourself).
    drop_last : bool, optional
        Default: ``True`` when training on more than one batch, else ``False``.
    eval_mode : {"center", "full"}
        Crop used when ``train`` is ``False``.

    Notebook: 06_pipeline_and_training_loop
    """
    if train and duration is None:
        raise ValueError("training needs a fixed duration (seconds) for random crops")
    mode = "random" if train else ("full" if duration is None else eval_mode)
    collate = Collate(duration=duration, mode=mode, sample_rate=dataset.sample_rate, seed=seed)
    if drop_last is None:
        drop_last = bool(train and len(dataset) > batch_size)
    if num_workers > 0 and getattr(dataset, "cache_mode", None) == "memory":
        dataset.preload(progress=False)
    generator = torch.Generator().manual_seed(int(seed))
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=bool(train and sampler is None),
        sampler=sampler,
        collate_fn=collate,
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=num_workers > 0,
        drop_last=drop_last,
        generator=generator,
    )
