"""Feature-level augmentation on ``(B, frames, F)``: SpecAugment masks and mixup.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import numpy as np
import torch

from audiokit.augment.base import Lengths, _Augment

__all__ = ["Mixup", "SpecAugment"]


class SpecAugment(_Augment):
    """Frequency and time masks on features ``(B, frames, F)`` (Park et al., 2019).

    Each example gets ``freq_masks`` bands of width uniform in ``[0, freq_width]`` bins and
    ``time_masks`` spans of width uniform in ``[0, time_width]`` frames, placed inside its true
    frames (``lengths``). Masked values are set to ``mask_value``: a number, or ``"mean"`` (the
    example's mean over its true frames; equal to 0 after CMVN). Vectorised, no loop over examples.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        freq_masks: int = 2,
        freq_width: int = 8,
        time_masks: int = 2,
        time_width: int = 10,
        p: float = 1.0,
        mask_value: float | str = "mean",
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.freq_masks, self.freq_width = int(freq_masks), int(freq_width)
        self.time_masks, self.time_width = int(time_masks), int(time_width)
        if mask_value != "mean" and not isinstance(mask_value, (int, float)):
            raise ValueError(
                f"SpecAugment: mask_value must be a number or 'mean', got {mask_value!r}"
            )
        self.mask_value = mask_value

    def _bands(self, count: int, width: int, extent: torch.Tensor, size: int) -> torch.Tensor:
        """(B, size) bool: union of ``count`` random spans inside ``[0, extent)`` per example."""
        b = extent.shape[0]
        device = extent.device
        if count <= 0 or width <= 0:
            return torch.zeros(b, size, dtype=torch.bool, device=device)
        w = self._randint(torch.full((b, count), width + 1, dtype=torch.long, device=device))
        w = torch.minimum(w, extent[:, None])
        start = self._randint((extent[:, None] - w + 1).clamp(min=1))
        idx = torch.arange(size, device=device)[None, None, :]
        inside = (idx >= start[..., None]) & (idx < (start + w)[..., None])
        return inside.any(dim=1)

    time_dim = 1

    def _transform(
        self, x: torch.Tensor, frames: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        _, t, f = x.shape
        fmask = self._bands(self.freq_masks, self.freq_width, torch.full_like(frames, f), f)
        tmask = self._bands(self.time_masks, self.time_width, frames, t)
        mask = fmask[:, None, :] | tmask[:, :, None]
        if self.mask_value == "mean":
            valid = (torch.arange(t, device=x.device)[None, :] < frames[:, None]).to(x.dtype)
            mean = (x * valid[..., None]).sum((1, 2)) / (valid.sum(1) * f).clamp(min=1)
            fill = mean[:, None, None].expand_as(x)
        else:
            fill = torch.full_like(x, float(self.mask_value))
        return torch.where(mask, fill, x), frames

    def extra_repr(self) -> str:
        return (
            f"freq_masks={self.freq_masks}, freq_width={self.freq_width}, "
            f"time_masks={self.time_masks}, time_width={self.time_width}, p={self.p}"
        )


class Mixup(_Augment):
    """Mix pairs of examples and their targets: ``lam * a + (1 - lam) * b`` (Zhang et al., 2018).

    Call as ``x, soft_targets, lengths = mixup(x, labels, lengths)``; ``x`` is any batch
    ``(B, ...)`` (features, usually), ``labels`` int64 ``(B,)`` or soft ``(B, C)``. ``lam`` is drawn
    per example from Beta(alpha, alpha) and folded to ``>= 0.5`` so each example keeps its own
    identity; examples not chosen (probability ``1 - p``) get ``lam = 1``. The returned lengths are
    the longer of each pair. Train with ``torch.nn.functional.cross_entropy(logits, soft_targets)``
    (it accepts class probabilities). Apply last, after SpecAugment.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        alpha: float = 0.2,
        num_classes: int | None = None,
        p: float = 1.0,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        if alpha <= 0:
            raise ValueError(f"Mixup: alpha must be positive, got {alpha}")
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def forward(
        self, x: torch.Tensor, targets: torch.Tensor, lengths: Lengths = None
    ) -> tuple[torch.Tensor, torch.Tensor, Lengths]:
        b = x.shape[0]
        if targets.dim() == 1:
            if self.num_classes is None:
                raise ValueError("Mixup: integer labels need num_classes=")
            soft = torch.nn.functional.one_hot(targets.long(), self.num_classes).to(x.dtype)
        else:
            soft = targets.to(x.dtype)
        seed = self._seed_draw()
        lam_np = np.random.default_rng(seed).beta(self.alpha, self.alpha, size=b)
        lam = torch.as_tensor(np.maximum(lam_np, 1.0 - lam_np), dtype=x.dtype, device=x.device)
        lam = torch.where(self._chosen(b, x.device), lam, torch.ones_like(lam))
        perm = self._perm(b, x.device)
        shape = (b,) + (1,) * (x.dim() - 1)
        mixed = lam.view(shape) * x + (1 - lam.view(shape)) * x[perm]
        soft = lam[:, None] * soft + (1 - lam[:, None]) * soft[perm]
        if lengths is not None:
            lengths = torch.maximum(lengths, lengths[perm.to(lengths.device)])
        return mixed, soft, lengths

    def _seed_draw(self) -> int:
        g = self.generator
        if g is None:
            return int(torch.randint(0, 2**62, (1,)).item())
        return int(torch.randint(0, 2**62, (1,), generator=g, device=g.device).item())

    def _perm(self, b: int, device) -> torch.Tensor:
        g = self.generator
        if g is None:
            return torch.randperm(b, device=device)
        return torch.randperm(b, generator=g, device=g.device).to(device)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, num_classes={self.num_classes}, p={self.p}"
