"""Pitch (and formant) shifting without changing duration, batched on the device (a bin-shifting
phase vocoder with an optional cepstral envelope).

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
    resampling-based shifting it moves formants too, unless ``formants`` is given; transients
    smear over about one window (``n_fft``, 64 ms by default). The output is scaled back to each
    clip's RMS; samples past ``lengths`` stay zero.

    With ``formants`` the voice's pitch and its vocal tract change independently, as between two
    speakers (a woman's formants sit about 15-20 % above a man's, her pitch about an octave):
    each frame's magnitude is split into a smooth envelope (the formants: the real cepstrum
    liftered to quefrencies below ``lifter_s``, shorter than the pitch period of a voice up to
    1 / ``lifter_s`` Hz) and the fine structure (the harmonics, magnitude / envelope). The
    harmonics move by the pitch ratio as above, the envelope by its own ratio ``q`` drawn from
    ``formants``: output bin ``k`` is ``fine(k / r) * envelope(k / q)``.

    Parameters
    ----------
    semitones : float or (float, float)
        Range of shifts (12 = one octave up); a number pins it.
    sample_rate : int
        Hz; sets the default ``n_fft`` (about 64 ms).
    n_fft : int, optional
        STFT size; hop is ``n_fft // 4`` with a Hann window.
    formants : float or (float, float), optional
        Range of formant frequency ratios (1.0 = unchanged, 1.2 = 20 % higher), drawn
        log-uniformly and independently of the pitch. ``None`` (default): the formants move with
        the pitch.
    lifter_s : float
        Envelope cut-off quefrency in seconds (default 1.5 ms: pitch up to ~670 Hz stays out).

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        semitones: float | tuple[float, float] = (-2.0, 2.0),
        sample_rate: int = 16000,
        p: float = 0.5,
        n_fft: int | None = None,
        formants: float | tuple[float, float] | None = None,
        lifter_s: float = 0.0015,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.semitones = _range("PitchShift semitones", semitones)
        if max(abs(s) for s in self.semitones) > 24:
            raise ValueError(f"PitchShift: semitones must be within +-24, got {semitones}")
        self.formants = None if formants is None else _range("PitchShift formants", formants,
                                                             positive=True)
        if self.formants is not None and not 0.5 <= min(self.formants) <= max(self.formants) <= 2:
            raise ValueError(f"PitchShift: formants must be ratios within 0.5 .. 2, got {formants}")
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft) if n_fft else 1 << round(math.log2(0.064 * self.sample_rate))
        self.hop_length = self.n_fft // 4
        self.lifter = max(1, min(round(lifter_s * self.sample_rate), self.n_fft // 2 - 1))

    def _envelope(self, mag: torch.Tensor) -> torch.Tensor:
        """Smooth spectral envelope of magnitudes ``(B, F, T)``: the real cepstrum of each frame
        with quefrencies from ``lifter`` samples on set to zero."""
        log = torch.log(mag.clamp(min=1e-8))
        cep = torch.fft.irfft(log, n=self.n_fft, dim=1)
        keep = torch.zeros(self.n_fft, device=mag.device, dtype=mag.dtype)
        keep[: self.lifter] = 1.0
        keep[self.n_fft - self.lifter + 1:] = 1.0  # the mirror half of a real cepstrum
        return torch.exp(torch.fft.rfft(cep * keep[:, None], dim=1).real)

    def _shift(self, x: torch.Tensor, ratio: torch.Tensor,
               formant: torch.Tensor | None = None) -> torch.Tensor:
        """Pitch-shift ``(B, n)`` by frequency ratios ``(B,)`` (float64); with ``formant`` ratios
        ``(B,)`` the spectral envelope moves by those instead."""
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

        def interpolate(values: torch.Tensor, lo, hi, w) -> torch.Tensor:
            return at(values, lo) * (1 - w) + at(values, hi) * w

        if formant is None:
            mag_out = interpolate(mag, low, high, frac) * inside[..., None]
        else:
            env = self._envelope(mag)
            src = torch.arange(bins, device=x.device, dtype=torch.float64)[None, :] / formant[:, None]
            e_low = src.floor().long().clamp(max=bins - 1)
            e_frac = (src - e_low).clamp(max=1.0).to(mag.dtype)[..., None]
            e_high = (e_low + 1).clamp(max=bins - 1)
            fine = interpolate(mag / env, low, high, frac)
            mag_out = fine * interpolate(env, e_low, e_high, e_frac) * inside[..., None]
        steps = _wrap(ratio[:, None, None] * at(advance, nearest)) if frames > 1 else None
        start = at(phase[..., :1], nearest)
        out_phase = start if steps is None else torch.cat([start, start + steps.cumsum(-1)], -1)
        out = torch.polar(mag_out, out_phase.to(mag_out.dtype))
        return torch.istft(out, n_fft, hop, window=window, center=True, length=x.shape[-1])

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        steps = self._uniform((x.shape[0],), *self.semitones, x.device).double()
        formant = (self._log_uniform((x.shape[0],), *self.formants, x.device).double()
                   if self.formants is not None else None)
        mask = _valid_mask(x, lengths)
        y = self._shift(x, 2.0 ** (steps / 12.0), formant) * mask
        rms_in = (x.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        rms_out = (y.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        return y * (rms_in / rms_out)[:, None], lengths

    def extra_repr(self) -> str:
        formants = f", formants={self.formants}" if self.formants is not None else ""
        return f"semitones={self.semitones}{formants}, n_fft={self.n_fft}, p={self.p}"
