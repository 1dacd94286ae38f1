"""Pitch shifting without changing duration, batched on the device (a bin-shifting phase vocoder).

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import math

import torch

from audiokit.augment.base import _Augment, _range, _valid_mask

__all__ = ["PitchShift"]


def _wrap(phase: torch.Tensor) -> torch.Tensor:
    """Phase wrapped into ``[-pi, pi)``."""
    return torch.remainder(phase + math.pi, 2 * math.pi) - math.pi


class PitchShift(_Augment):
    """Shift each example's pitch by ``semitones`` (uniform in the range) and keep its length.

    Method: a phase vocoder that moves STFT bins instead of frames. For every input bin the
    instantaneous frequency comes from the phase advance between frames; output bin ``k`` takes
    the magnitude at input bin ``k / r`` (``r = 2 ** (semitones / 12)``, linear interpolation) and
    advances its phase by ``r`` times the nearest input bin's advance, so each partial comes out at
    ``r`` times its frequency, frame for frame: no resampling, no change of length, and every
    example of the batch can have its own ``r`` in one vectorised pass (gathers along frequency and
    a cumulative sum along time). Content that would land above Nyquist is dropped. Like
    resampling-based shifting it moves formants too; transients smear over about one window
    (``n_fft``, 64 ms by default). The output is scaled back to each clip's RMS; samples past
    ``lengths`` stay zero.

    Parameters
    ----------
    semitones : float or (float, float)
        Range of shifts (12 = one octave up); a number pins it.
    sample_rate : int
        Hz; sets the default ``n_fft`` (about 64 ms).
    n_fft : int, optional
        STFT size; hop is ``n_fft // 4`` with a Hann window.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        semitones: float | tuple[float, float] = (-2.0, 2.0),
        sample_rate: int = 16000,
        p: float = 0.5,
        n_fft: int | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.semitones = _range("PitchShift semitones", semitones)
        if max(abs(s) for s in self.semitones) > 24:
            raise ValueError(f"PitchShift: semitones must be within +-24, got {semitones}")
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft) if n_fft else 1 << round(math.log2(0.064 * self.sample_rate))
        self.hop_length = self.n_fft // 4

    def _shift(self, x: torch.Tensor, ratio: torch.Tensor) -> torch.Tensor:
        """Pitch-shift ``(B, n)`` by frequency ratios ``(B,)`` (float64)."""
        n_fft, hop = self.n_fft, self.hop_length
        window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
        spec = torch.stft(
            x, n_fft, hop, window=window, center=True, pad_mode="constant", return_complex=True
        )
        mag, phase = spec.abs(), spec.angle().double()  # (B, F, T)
        bins, frames = spec.shape[-2], spec.shape[-1]
        expected = (
            2 * math.pi * hop * torch.arange(bins, device=x.device, dtype=torch.float64) / n_fft
        )
        advance = _wrap(phase.diff(dim=-1) - expected[:, None]) + expected[:, None]  # (B, F, T-1)
        source = torch.arange(bins, device=x.device, dtype=torch.float64)[None, :] / ratio[:, None]
        inside = (source <= bins - 1).to(mag.dtype)
        low = source.floor().long().clamp(max=bins - 1)
        frac = (source - low).to(mag.dtype)[..., None]
        nearest = source.round().long().clamp(max=bins - 1)

        def at(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
            return values.gather(1, index[..., None].expand(-1, -1, values.shape[-1]))

        high = (low + 1).clamp(max=bins - 1)
        mag_out = (at(mag, low) * (1 - frac) + at(mag, high) * frac) * inside[..., None]
        steps = _wrap(ratio[:, None, None] * at(advance, nearest)) if frames > 1 else None
        start = at(phase[..., :1], nearest)
        out_phase = start if steps is None else torch.cat([start, start + steps.cumsum(-1)], -1)
        out = torch.polar(mag_out, out_phase.to(mag_out.dtype))
        return torch.istft(out, n_fft, hop, window=window, center=True, length=x.shape[-1])

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        steps = self._uniform((x.shape[0],), *self.semitones, x.device).double()
        mask = _valid_mask(x, lengths)
        y = self._shift(x, 2.0 ** (steps / 12.0)) * mask
        rms_in = (x.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        rms_out = (y.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        return y * (rms_in / rms_out)[:, None], lengths

    def extra_repr(self) -> str:
        return f"semitones={self.semitones}, n_fft={self.n_fft}, p={self.p}"
