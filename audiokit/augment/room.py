"""Rooms: convolution with synthetic or measured impulse responses, and their RT60.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from audiokit.augment.base import _Augment, _load_folder, _range, _valid_mask
from audiokit.augment.dsp import fft_convolve

__all__ = ["Reverb", "schroeder_rt60"]

#: ln(10^3): an amplitude envelope exp(-_DECAY t / rt60) is 60 dB down at t = rt60.
_DECAY = 3.0 * math.log(10.0)


class Reverb(_Augment):
    """Convolve with a room impulse response (FFT convolution), keeping each clip's RMS level.

    Parameters
    ----------
    rt60 : float or (float, float)
        Range of reverberation times in seconds (time for the synthetic tail to decay by 60 dB);
        a number pins it.
    sample_rate : int
        Hz.
    ir_folder : path, optional
        Folder of measured room impulse responses (any audio files under it, loaded with
        ``io.load`` at ``sample_rate``, cut to start at their peak, the direct path); each example
        gets one at random. When given, ``rt60`` is not used.

    Notes
    -----
    The synthetic IR is a direct-path impulse followed by exponentially decaying Gaussian noise,
    ``exp(-6.91 t / rt60)`` (60 dB at ``t = rt60``); :func:`schroeder_rt60` measures it back. The
    reverberant tail is cut at the clip's length, so put :class:`RandomPlacement` before this to
    let it ring into the trailing silence; samples beyond ``lengths`` stay zero.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        rt60: float | tuple[float, float] = (0.2, 0.8),
        sample_rate: int = 16000,
        p: float = 0.5,
        ir_folder: str | os.PathLike | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.rt60 = _range("Reverb rt60 (seconds)", rt60, positive=True)
        self.sample_rate = int(sample_rate)
        self.irs: list[torch.Tensor] = []
        if ir_folder is not None:
            for h in _load_folder(ir_folder, self.sample_rate, "Reverb ir_folder"):
                h = h[int(h.abs().argmax()) :]
                self.irs.append(h / h.norm())

    def impulse_responses(self, batch: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """``(batch, k)`` unit-energy impulse responses, drawn as :meth:`forward` draws them.

        Notebook: 05_datasets_and_augmentation
        """
        if self.irs:
            which = self._randint(torch.full((batch,), len(self.irs), dtype=torch.long)).tolist()
            size = max(self.irs[k].shape[0] for k in which)
            h = torch.zeros(batch, size)
            for i, k in enumerate(which):
                h[i, : self.irs[k].shape[0]] = self.irs[k]
            return h.to(device)
        rt60 = self._uniform((batch,), *self.rt60, device)
        size = max(2, math.ceil(self.rt60[1] * self.sample_rate))
        t = torch.arange(size, device=device, dtype=torch.float32)[None, :] / self.sample_rate
        h = self._draw(torch.randn, (batch, size), device) * torch.exp(-_DECAY * t / rt60[:, None])
        h[:, 0] = 1.0
        return h / h.norm(dim=-1, keepdim=True)

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.impulse_responses(x.shape[0], x.device)
        mask = _valid_mask(x, lengths)
        wet = fft_convolve(x, h) * mask
        rms_in = (x.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        rms_out = (wet.square() * mask).sum(-1).clamp(min=1e-20).sqrt()
        return wet * (rms_in / rms_out)[:, None], lengths

    def extra_repr(self) -> str:
        src = f"{len(self.irs)} IRs" if self.irs else f"rt60={self.rt60} s"
        return f"{src}, p={self.p}"


def schroeder_rt60(h: np.ndarray, sr: int, fit_db: tuple[float, float] = (-5.0, -25.0)) -> float:
    """Reverberation time (s) of an impulse response by Schroeder backward integration.

    The energy decay curve ``EDC(t) = sum_{u >= t} h(u)^2`` (in dB re its start) is fitted by a
    line between ``fit_db`` (default -5 .. -25 dB, the T20 of ISO 3382) and extrapolated to -60 dB.

    Parameters
    ----------
    h : np.ndarray
        Impulse response ``(k,)``.
    sr : int
        Sample rate in Hz.
    fit_db : (float, float)
        Start and end of the fitted range, dB (both negative, start above end).

    Notebook: 05_datasets_and_augmentation
    """
    energy = np.asarray(h, dtype=np.float64) ** 2
    edc = np.cumsum(energy[::-1])[::-1]
    edc_db = 10.0 * np.log10(np.maximum(edc / edc[0], 1e-300))
    hi, lo = fit_db
    inside = (edc_db <= hi) & (edc_db >= lo)
    if inside.sum() < 2:
        raise ValueError(f"schroeder_rt60: the decay never spans {hi} .. {lo} dB")
    t = np.flatnonzero(inside) / sr
    slope = np.polyfit(t, edc_db[inside], 1)[0]  # dB per second, negative
    return float(-60.0 / slope)
