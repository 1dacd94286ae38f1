"""Data augmentation on batches, on any device.

Order in the training loop (each step is optional)::

    waveform (already loudness-normalised, if you normalise at all)
      -> waveform augment on the device:  SpeedPerturb -> TimeShift -> Reverb -> AddNoise -> Gain
      -> FeatureExtractor
      -> SpecAugment                     (feature level)
      -> Mixup                           (last: it mixes inputs *and* targets)

Loudness normalisation must come *before* :class:`Gain` (normalising after it would undo the gain).

Every transform has a per-example probability ``p`` and takes an optional ``torch.Generator``
(``generator=``) or ``seed=`` for repeatable draws. Random numbers are drawn on the generator's
device and moved to the batch's device, so a CPU generator works for a CUDA batch. Waveform and
feature transforms are called as ``x, lengths = t(x, lengths)``; ``lengths`` may be ``None``.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from audiokit import io as aio

__all__ = [
    "WAVEFORM_AUGMENTS",
    "AddNoise",
    "Compose",
    "Gain",
    "Mixup",
    "Reverb",
    "SpecAugment",
    "SpeedPerturb",
    "TimeShift",
    "build_mixup",
    "build_spec_augment",
    "build_waveform_augment",
    "preview",
]

Lengths = torch.Tensor | None


class _Augment(nn.Module):
    """Shared plumbing: probability ``p`` and the random source."""

    def __init__(self, p: float, generator: torch.Generator | None, seed: int | None) -> None:
        super().__init__()
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = float(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(int(seed))
        self.generator = generator

    def _draw(self, fn, shape: Sequence[int], device: torch.device, **kw) -> torch.Tensor:
        """``fn`` (torch.rand / randn) on the generator's device, moved to ``device``."""
        if self.generator is None:
            return fn(*shape, device=device, **kw)
        return fn(*shape, generator=self.generator, device=self.generator.device, **kw).to(device)

    def _uniform(self, shape, low: float, high: float, device) -> torch.Tensor:
        return low + (high - low) * self._draw(torch.rand, shape, device)

    def _randint(self, high: torch.Tensor) -> torch.Tensor:
        """Integers in ``[0, high)`` per element of ``high`` (int64 tensor)."""
        u = self._draw(torch.rand, high.shape, high.device, dtype=torch.float64)
        return torch.minimum((u * high).long(), (high - 1).clamp(min=0))

    def _chosen(self, batch: int, device) -> torch.Tensor:
        """Bool mask (B,): which examples this transform touches."""
        if self.p >= 1.0:
            return torch.ones(batch, dtype=torch.bool, device=device)
        return self._draw(torch.rand, (batch,), device) < self.p

    #: Axis of ``x`` that ``lengths`` counts (samples for waveforms, frames for features).
    time_dim: int = -1

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
            y, new = x.clone(), full.clone()
            y[idx] = y_sub.to(x.dtype)
            new[idx] = new_sub
        return y, (new if lengths is not None else None)

    def _transform(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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
    if lengths is None:
        return torch.full((x.shape[0],), x.shape[dim], dtype=torch.long, device=x.device)
    return lengths.to(x.device).long()


# --------------------------------------------------------------------------------------------
# Waveform level: (B, samples)
# --------------------------------------------------------------------------------------------


class Gain(_Augment):
    """Scale each example by a random gain in ``[min_db, max_db]`` dB.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        min_db: float = -6.0,
        max_db: float = 6.0,
        p: float = 0.5,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        if min_db > max_db:
            raise ValueError(f"Gain: min_db={min_db} is above max_db={max_db}")
        self.min_db, self.max_db = float(min_db), float(max_db)

    def _transform(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        db = self._uniform((x.shape[0],), self.min_db, self.max_db, x.device)
        return x * (10.0 ** (db / 20.0)).to(x.dtype)[:, None], lengths


def _pink(white: torch.Tensor) -> torch.Tensor:
    """Shape white noise (B, n) to a 1/f power spectrum (-3 dB per octave)."""
    n = white.shape[-1]
    spec = torch.fft.rfft(white, dim=-1)
    f = torch.arange(spec.shape[-1], device=white.device, dtype=white.dtype)
    scale = torch.where(f > 0, 1.0 / torch.sqrt(f.clamp(min=1.0)), torch.zeros_like(f))
    return torch.fft.irfft(spec * scale, n=n, dim=-1)


class AddNoise(_Augment):
    """Add noise at a random SNR in ``snr_db`` (dB), relative to each clip's own power.

    Parameters
    ----------
    snr_db : (float, float)
        Range of signal-to-noise ratios in dB, measured over each clip's true samples.
    kind : {"white", "pink"} or path
        Synthetic noise, or a folder of noise recordings (loaded once with ``io.load`` at
        ``sample_rate``; a random excerpt of a random file per example, looped if too short).
    sample_rate : int
        Hz; only used to load a noise folder.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        snr_db: tuple[float, float] = (5.0, 30.0),
        kind: str | os.PathLike = "white",
        p: float = 0.5,
        sample_rate: int = 16000,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        lo, hi = (float(snr_db), float(snr_db)) if np.isscalar(snr_db) else map(float, snr_db)
        self.snr_db = (lo, hi)
        self.kind = str(kind)
        self.clips: list[torch.Tensor] = []
        if self.kind not in ("white", "pink"):
            folder = Path(kind)
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"AddNoise: kind={str(kind)!r} is neither 'white', 'pink' "
                    "nor an existing folder of noise clips"
                )
            files = sorted(q for q in folder.rglob("*") if q.suffix.lower() in aio.AUDIO_EXTENSIONS)
            if not files:
                raise ValueError(f"{folder}: no audio files for AddNoise")
            self.clips = [torch.from_numpy(aio.load(q, sr=sample_rate)[0]) for q in files]

    def _noise(self, b: int, n: int, device) -> torch.Tensor:
        if self.kind == "white":
            return self._draw(torch.randn, (b, n), device)
        if self.kind == "pink":
            return _pink(self._draw(torch.randn, (b, n), device))
        which = self._randint(torch.full((b,), len(self.clips), dtype=torch.long)).tolist()
        out = []
        for k in which:
            clip = self.clips[k]
            reps = math.ceil((n + clip.shape[0]) / clip.shape[0])
            looped = clip.repeat(reps)
            start = int(self._randint(torch.tensor([clip.shape[0]]))[0])
            out.append(looped[start : start + n])
        return torch.stack(out).to(device)

    def _transform(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        mask = _valid_mask(x, lengths)
        count = mask.sum(-1).clamp(min=1.0)
        noise = self._noise(b, n, x.device).to(x.dtype) * mask
        p_sig = (x.square() * mask).sum(-1) / count
        p_noise = (noise.square().sum(-1) / count).clamp(min=1e-20)
        snr = self._uniform((b,), *self.snr_db, x.device).to(x.dtype)
        scale = torch.sqrt(p_sig / (p_noise * 10.0 ** (snr / 10.0)))
        return x + scale[:, None] * noise, lengths

    def extra_repr(self) -> str:
        return f"snr_db={self.snr_db}, kind={self.kind!r}, p={self.p}"


class SpeedPerturb(_Augment):
    """Play each example faster or slower by a factor from ``factors`` (pitch changes too).

    Resampling is linear interpolation, vectorised over the batch; the output keeps the input's
    number of samples (zero-padded or cut) and ``lengths`` become ``min(n, floor(length / factor))``.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        factors: Sequence[float] = (0.9, 1.0, 1.1),
        p: float = 0.5,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        if not factors or any(f <= 0 for f in factors):
            raise ValueError(f"SpeedPerturb: factors must be positive, got {factors}")
        self.factors = tuple(float(f) for f in factors)

    def _transform(self, x: torch.Tensor, length: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        table = torch.tensor(self.factors, device=x.device, dtype=torch.float64)
        pick = self._randint(torch.full((b,), len(self.factors), dtype=torch.long, device=x.device))
        factor = table[pick]
        pos = torch.arange(n, device=x.device, dtype=torch.float64)[None, :] * factor[:, None]
        left = pos.floor().long()
        frac = (pos - left).to(x.dtype)
        last = (length - 1).clamp(min=0)[:, None]
        a = x.gather(1, left.clamp(max=n - 1).minimum(last))
        c = x.gather(1, (left + 1).clamp(max=n - 1).minimum(last))
        y = a + frac * (c - a)
        new_len = torch.minimum(
            torch.floor(length.double() / factor).long(), torch.tensor(n, device=x.device)
        )
        new_len = new_len.clamp(min=1)
        y = y * (torch.arange(n, device=x.device)[None, :] < new_len[:, None]).to(x.dtype)
        return y, new_len

    def extra_repr(self) -> str:
        return f"factors={self.factors}, p={self.p}"


class TimeShift(_Augment):
    """Shift each example by up to ``max_shift_s`` seconds, either way.

    ``mode="roll"`` wraps the true samples around (lengths unchanged); ``mode="zero"`` shifts with
    zero fill and lengths become ``clamp(length + shift, 1, n)``.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        max_shift_s: float = 0.1,
        sample_rate: int = 16000,
        p: float = 0.5,
        mode: str = "roll",
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        if mode not in ("roll", "zero"):
            raise ValueError(f"TimeShift: mode={mode!r}; choose 'roll' or 'zero'")
        self.max_shift = round(float(max_shift_s) * sample_rate)
        self.mode = mode

    def _transform(self, x: torch.Tensor, length: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        m = self.max_shift
        shift = self._randint(torch.full((b,), 2 * m + 1, dtype=torch.long, device=x.device)) - m
        t = torch.arange(n, device=x.device)[None, :]
        src = t - shift[:, None]
        if self.mode == "roll":
            src = torch.remainder(src, length.clamp(min=1)[:, None])
            valid = t < length[:, None]
            y = x.gather(1, src.clamp(0, n - 1)) * valid.to(x.dtype)
            return y, length
        valid = (src >= 0) & (src < length[:, None])
        y = x.gather(1, src.clamp(0, n - 1)) * valid.to(x.dtype)
        new_len = (length + shift).clamp(1, n)
        return y, new_len

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift} samples, mode={self.mode!r}, p={self.p}"


class Reverb(_Augment):
    """Convolve with a room impulse response (FFT convolution), keeping each clip's RMS level.

    Parameters
    ----------
    rt60 : (float, float)
        Range of reverberation times in seconds (time for the synthetic tail to decay by 60 dB).
    sample_rate : int
        Hz.
    ir_folder : path, optional
        Folder of measured impulse responses (loaded with ``io.load``, aligned on their peak);
        when given, ``rt60`` is not used.

    Notes
    -----
    The synthetic IR is a direct-path impulse followed by exponentially decaying Gaussian noise,
    ``exp(-6.91 t / rt60)`` (60 dB at ``t = rt60``). The reverberant tail is cut at the clip's
    length; samples beyond ``lengths`` stay zero.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        rt60: tuple[float, float] = (0.2, 0.8),
        sample_rate: int = 16000,
        p: float = 0.5,
        ir_folder: str | os.PathLike | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.rt60 = (float(rt60[0]), float(rt60[1]))
        if self.rt60[0] <= 0 or self.rt60[0] > self.rt60[1]:
            raise ValueError(f"Reverb: rt60 must be 0 < low <= high seconds, got {rt60}")
        self.sample_rate = int(sample_rate)
        self.irs: list[torch.Tensor] = []
        if ir_folder is not None:
            folder = Path(ir_folder)
            if not folder.is_dir():
                raise FileNotFoundError(f"Reverb: ir_folder {folder} is not a folder")
            files = sorted(q for q in folder.rglob("*") if q.suffix.lower() in aio.AUDIO_EXTENSIONS)
            if not files:
                raise ValueError(f"{folder}: no impulse responses (audio files) found")
            for q in files:
                h = torch.from_numpy(aio.load(q, sr=sample_rate)[0])
                h = h[int(h.abs().argmax()) :]
                self.irs.append(h / h.norm().clamp(min=1e-12))

    def _impulse_responses(self, b: int, device) -> torch.Tensor:
        if self.irs:
            which = self._randint(torch.full((b,), len(self.irs), dtype=torch.long)).tolist()
            size = max(self.irs[k].shape[0] for k in which)
            h = torch.zeros(b, size)
            for i, k in enumerate(which):
                h[i, : self.irs[k].shape[0]] = self.irs[k]
            return h.to(device)
        rt60 = self._uniform((b,), *self.rt60, device)
        size = max(2, math.ceil(self.rt60[1] * self.sample_rate))
        t = torch.arange(size, device=device, dtype=torch.float32)[None, :] / self.sample_rate
        h = self._draw(torch.randn, (b, size), device) * torch.exp(-6.908 * t / rt60[:, None])
        h[:, 0] = 1.0
        return h / h.norm(dim=-1, keepdim=True)

    def _transform(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        h = self._impulse_responses(b, x.device).to(x.dtype)
        size = n + h.shape[-1] - 1
        nfft = 1 << (size - 1).bit_length()
        wet = torch.fft.irfft(torch.fft.rfft(x, nfft) * torch.fft.rfft(h, nfft), nfft)[:, :n]
        mask = _valid_mask(x, lengths)
        wet = wet * mask
        rms_in = (x.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        rms_out = (wet.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        wet = wet * (rms_in / rms_out)[:, None]
        return wet, lengths

    def extra_repr(self) -> str:
        src = f"{len(self.irs)} IRs" if self.irs else f"rt60={self.rt60} s"
        return f"{src}, p={self.p}"


# --------------------------------------------------------------------------------------------
# Feature level: (B, frames, F)
# --------------------------------------------------------------------------------------------


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

    def _transform(self, x: torch.Tensor, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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


# --------------------------------------------------------------------------------------------
# Composition and factories
# --------------------------------------------------------------------------------------------


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


#: Waveform augmentations by config name, in the order :func:`build_waveform_augment` applies them.
WAVEFORM_AUGMENTS: dict[str, type] = {
    "speed": SpeedPerturb,
    "shift": TimeShift,
    "reverb": Reverb,
    "noise": AddNoise,
    "gain": Gain,
}
_NEEDS_RATE = {"shift", "reverb", "noise"}
_SPEC_KEYS = ("specaugment", "spec_augment")


def _options(name: str, value) -> dict | None:
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise TypeError(
            f"augment config {name!r}: expected a dict of options or true/false, got {value!r}"
        )
    return dict(value)


def _make(cls: type, name: str, opts: dict):
    try:
        return cls(**opts)
    except TypeError as err:
        raise TypeError(f"augment config {name!r}: {err}") from None


def build_waveform_augment(
    config: dict | None, sample_rate: int = 16000, seed: int | None = None
) -> Compose:
    """Waveform augmentation from a plain dict, e.g. ``{"gain": {"p": 0.5}, "noise": {"snr_db": [10, 30]}}``.

    Keys (applied in this order, whatever the dict order): ``speed``, ``shift``, ``reverb``, ``noise``,
    ``gain``; each value is the transform's keyword arguments, ``true`` for defaults or
    ``false``/``null`` to switch it off. ``sample_rate`` is filled in where needed. With ``seed``
    each transform gets its own ``torch.Generator`` (``seed + position``). Loudness normalisation,
    if used, must happen before this (it would undo ``gain``).

    Notebook: 06_pipeline_and_training_loop
    """
    config = dict(config or {})
    unknown = [k for k in config if k not in WAVEFORM_AUGMENTS]
    if unknown:
        raise ValueError(
            f"unknown waveform augmentation(s) {unknown}; "
            f"choose from {', '.join(WAVEFORM_AUGMENTS)}"
        )
    steps = []
    for i, (name, cls) in enumerate(WAVEFORM_AUGMENTS.items()):
        opts = _options(name, config.get(name))
        if opts is None:
            continue
        if name in _NEEDS_RATE:
            opts.setdefault("sample_rate", sample_rate)
        if seed is not None and "generator" not in opts:
            opts.setdefault("seed", seed + i)
        steps.append(_make(cls, name, opts))
    return Compose(steps)


def build_spec_augment(config: dict | None, seed: int | None = None) -> Compose:
    """Feature-level augmentation from a dict: ``{"specaugment": {"freq_masks": 2, ...}}``.

    A ``"mixup"`` key is allowed and ignored here (build it with :func:`build_mixup`: it also
    mixes targets, so it is applied separately, last).

    Notebook: 06_pipeline_and_training_loop
    """
    config = dict(config or {})
    unknown = [k for k in config if k not in _SPEC_KEYS + ("mixup",)]
    if unknown:
        raise ValueError(f"unknown feature augmentation(s) {unknown}; choose specaugment or mixup")
    steps = []
    for key in _SPEC_KEYS:
        opts = _options(key, config.get(key))
        if opts is not None:
            if seed is not None and "generator" not in opts:
                opts.setdefault("seed", seed)
            steps.append(_make(SpecAugment, key, opts))
    return Compose(steps)


def build_mixup(config: dict | None, num_classes: int, seed: int | None = None) -> Mixup | None:
    """:class:`Mixup` from ``config["mixup"]`` (options dict or true), or ``None`` when absent.

    Notebook: 06_pipeline_and_training_loop
    """
    opts = _options("mixup", (config or {}).get("mixup"))
    if opts is None:
        return None
    opts.setdefault("num_classes", num_classes)
    if seed is not None and "generator" not in opts:
        opts.setdefault("seed", seed)
    return _make(Mixup, "mixup", opts)


def preview(y: np.ndarray, sr: int, name: str, seed: int = 0, **kw) -> np.ndarray:
    """Apply one waveform augmentation (always, ``p=1``) to one clip, NumPy in and out.

    Parameters
    ----------
    y : np.ndarray
        Samples ``(n,)``.
    sr : int
        Sample rate in Hz.
    name : {"speed", "shift", "reverb", "noise", "gain"}
    seed : int
        Same seed, same result.
    **kw
        Options of the transform (e.g. ``snr_db=(10, 10)``).

    Notebook: 05_datasets_and_augmentation
    """
    if name not in WAVEFORM_AUGMENTS:
        raise ValueError(
            f"unknown augmentation {name!r}; choose from {', '.join(WAVEFORM_AUGMENTS)}"
        )
    opts = dict(kw, p=1.0, seed=seed)
    if name in _NEEDS_RATE:
        opts.setdefault("sample_rate", sr)
    t = _make(WAVEFORM_AUGMENTS[name], name, opts)
    x = torch.as_tensor(np.asarray(y, dtype=np.float32).reshape(1, -1))
    with torch.no_grad():
        out, _ = t(x, torch.tensor([x.shape[1]]))
    return out[0].numpy().astype(np.float32)
