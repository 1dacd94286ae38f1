"""The plumbing every augmentation shares: probability ``p``, seeded draws, masks, ``Compose``.

A transform is an ``nn.Module`` called as ``x, lengths = t(x, lengths)`` on a whole batch, on the
batch's device. ``lengths`` (true samples or frames per example) may be ``None`` (every example is
full length) and stays ``None``. Padding past ``lengths`` is zero on the way in and stays zero
on the way out.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from audiokit import io as aio

__all__ = ["Compose", "Lengths"]

Lengths = torch.Tensor | None


class _Augment(nn.Module):
    """Shared plumbing: probability ``p`` and the random source.

    Subclasses implement ``_transform(x, lengths) -> (y, new_lengths)`` on the chosen examples
    (``lengths`` always a tensor there). ``y`` may be wider than ``x`` along :attr:`time_dim`
    (e.g. :class:`RandomPlacement`); the batch is then zero-padded to the widest example.
    """

    #: Axis of ``x`` that ``lengths`` counts (samples for waveforms, frames for features).
    time_dim: int = -1

    def __init__(self, p: float, generator: torch.Generator | None, seed: int | None) -> None:
        super().__init__()
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = float(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(int(seed))
        self.generator = generator

    def _draw(self, fn: Callable, shape: Sequence[int], device: torch.device, **kw) -> torch.Tensor:
        """``fn`` (torch.rand / randn) on the generator's device, moved to ``device``."""
        if self.generator is None:
            return fn(*shape, device=device, **kw)
        return fn(*shape, generator=self.generator, device=self.generator.device, **kw).to(device)

    def _uniform(self, shape: Sequence[int], low: float, high: float, device) -> torch.Tensor:
        """Uniform draws in ``[low, high]`` (float32)."""
        return low + (high - low) * self._draw(torch.rand, shape, device)

    def _log_uniform(self, shape: Sequence[int], low: float, high: float, device) -> torch.Tensor:
        """Draws whose logarithm is uniform in ``[log low, log high]`` (for Hz, Q, ratios)."""
        lo, hi = torch.log(torch.tensor(low)), torch.log(torch.tensor(high))
        return torch.exp(self._uniform(shape, float(lo), float(hi), device))

    def _randint(self, high: torch.Tensor) -> torch.Tensor:
        """Integers in ``[0, high)`` per element of ``high`` (int64 tensor)."""
        u = self._draw(torch.rand, high.shape, high.device, dtype=torch.float64)
        return torch.minimum((u * high).long(), (high - 1).clamp(min=0))

    def _chosen(self, batch: int, device) -> torch.Tensor:
        """Bool mask (B,): which examples this transform touches."""
        if self.p >= 1.0:
            return torch.ones(batch, dtype=torch.bool, device=device)
        return self._draw(torch.rand, (batch,), device) < self.p

    def forward(self, x: torch.Tensor, lengths: Lengths = None) -> tuple[torch.Tensor, Lengths]:
        """Transform the chosen examples of ``x``; returns ``(x, lengths)``.

        Only the examples drawn with probability ``p`` are computed (the others are copied), so
        ``p=0`` is an exact identity and costs nothing. ``lengths`` (true samples or frames per
        example) are updated where the transform changes them; ``None`` stays ``None``.
        """
        b = x.shape[0]
        chosen = self._chosen(b, x.device)
        full = _lengths_or_full(x, lengths, self.time_dim)
        if self.p >= 1.0:
            y, new = self._transform(x, full)
        else:
            idx = torch.nonzero(chosen).flatten()
            if idx.numel() == 0:
                return x, lengths
            y_sub, new_sub = self._transform(x[idx], full[idx])
            width = max(x.shape[self.time_dim], y_sub.shape[self.time_dim])
            y = _pad_time(x, width, self.time_dim).clone()
            y[idx] = _pad_time(y_sub, width, self.time_dim).to(x.dtype)
            new = full.clone()
            new[idx] = new_sub
        return y, (new if lengths is not None else None)

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _valid_mask(x: torch.Tensor, lengths: Lengths) -> torch.Tensor:
    """(B, n) float mask: 1 on the true samples, 0 on padding."""
    n = x.shape[-1]
    if lengths is None:
        return torch.ones_like(x)
    return (torch.arange(n, device=x.device)[None, :] < lengths.to(x.device)[:, None]).to(x.dtype)


def _lengths_or_full(x: torch.Tensor, lengths: Lengths, dim: int = -1) -> torch.Tensor:
    """``lengths`` as int64 on ``x``'s device, or the full extent of ``dim`` for every example."""
    if lengths is None:
        return torch.full((x.shape[0],), x.shape[dim], dtype=torch.long, device=x.device)
    return lengths.to(x.device).long()


def _pad_time(x: torch.Tensor, width: int, dim: int = -1) -> torch.Tensor:
    """Zero-pad ``x`` along ``dim`` to ``width`` (no copy when it already has that width)."""
    extra = width - x.shape[dim]
    if extra <= 0:
        return x
    shape = list(x.shape)
    shape[dim] = extra
    return torch.cat([x, x.new_zeros(shape)], dim=dim)


def _range(name: str, value, positive: bool = False) -> tuple[float, float]:
    """``(low, high)`` from a number (both ends) or a pair; checks ``low <= high``."""
    if isinstance(value, numbers.Real):
        lo = hi = float(value)
    else:
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}: expected a number or a (low, high) pair, got {value!r}"
            ) from None
    if lo > hi:
        raise ValueError(f"{name}: low={lo} is above high={hi}")
    if positive and lo <= 0:
        raise ValueError(f"{name}: must be positive, got {value!r}")
    return lo, hi


def _load_folder(folder: str | os.PathLike, sample_rate: int, owner: str) -> list[torch.Tensor]:
    """Every audio file under ``folder`` (recursively, sorted), mono at ``sample_rate``, float32.

    Raises a clear error naming the folder (missing, no audio) or the file (unreadable, silent).
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{owner}: {root} is not a folder")
    files = sorted(q for q in root.rglob("*") if q.suffix.lower() in aio.AUDIO_EXTENSIONS)
    if not files:
        raise ValueError(f"{owner}: {root}: no audio files ({', '.join(aio.AUDIO_EXTENSIONS)})")
    clips = []
    for q in files:
        y = torch.from_numpy(aio.load(q, sr=sample_rate)[0])
        if y.numel() == 0 or not bool(y.abs().max() > 0):
            raise ValueError(f"{owner}: {q} is empty or digital silence")
        clips.append(y)
    return clips


class Compose(nn.Module):
    """Apply transforms in order: ``x, lengths = t(x, lengths)`` for each.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(self, transforms: Sequence[nn.Module]) -> None:
        super().__init__()
        self.transforms = nn.ModuleList(transforms)

    def forward(self, x: torch.Tensor, lengths: Lengths = None) -> tuple[torch.Tensor, Lengths]:
        for t in self.transforms:
            x, lengths = t(x, lengths)
        return x, lengths

    def __len__(self) -> int:
        return len(self.transforms)
