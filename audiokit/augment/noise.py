"""Additive noise: at an SNR relative to the clip (synthetic or recorded backgrounds), or at an
absolute level (a microphone's noise floor).

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import math
import os

import torch

from audiokit.augment.base import _Augment, _load_folder, _range, _valid_mask

__all__ = ["AddNoise", "NoiseFloor"]

_COLOURS = ("white", "pink")


def _pink(white: torch.Tensor) -> torch.Tensor:
    """Shape white noise (B, n) to a 1/f power spectrum (-3 dB per octave)."""
    n = white.shape[-1]
    spec = torch.fft.rfft(white, dim=-1)
    f = torch.arange(spec.shape[-1], device=white.device, dtype=white.dtype)
    scale = torch.where(f > 0, 1.0 / torch.sqrt(f.clamp(min=1.0)), torch.zeros_like(f))
    return torch.fft.irfft(spec * scale, n=n, dim=-1)


class AddNoise(_Augment):
    """Add noise at a random SNR in ``snr_db`` (dB), relative to each clip's own power.

    This is also the *background noise* augmentation: give ``kind`` a folder of recordings
    (cafés, streets, fans, your own room) and each example gets a random excerpt of one of them.

    Parameters
    ----------
    snr_db : float or (float, float)
        Range of signal-to-noise ratios in dB, measured over each clip's true samples (a number
        pins it). With :class:`RandomPlacement` before it, the clip's power includes its silence.
    kind : {"white", "pink"} or path
        Synthetic noise, or a folder of noise recordings (loaded once with ``io.load`` at
        ``sample_rate``; a random excerpt of a random file per example, looped if too short).
    sample_rate : int
        Hz; only used to load a noise folder.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        snr_db: float | tuple[float, float] = (5.0, 30.0),
        kind: str | os.PathLike = "white",
        p: float = 0.5,
        sample_rate: int = 16000,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.snr_db = _range("AddNoise snr_db", snr_db)
        self.kind = str(kind)
        self.clips: list[torch.Tensor] = []
        if self.kind not in _COLOURS:
            if not os.path.isdir(kind):
                raise FileNotFoundError(
                    f"AddNoise: kind={str(kind)!r} is neither 'white', 'pink' "
                    "nor an existing folder of noise clips"
                )
            self.clips = _load_folder(kind, sample_rate, "AddNoise")

    def _excerpts(self, b: int, n: int, device) -> torch.Tensor:
        """(B, n): a random excerpt of a random recording per example, looped if too short."""
        which = self._randint(torch.full((b,), len(self.clips), dtype=torch.long)).tolist()
        out = []
        for k in which:
            clip = self.clips[k]
            reps = math.ceil((n + clip.shape[0]) / clip.shape[0])
            start = int(self._randint(torch.tensor([clip.shape[0]]))[0])
            out.append(clip.repeat(reps)[start : start + n])
        return torch.stack(out).to(device)

    def _noise(self, b: int, n: int, device) -> torch.Tensor:
        if self.kind == "white":
            return self._draw(torch.randn, (b, n), device)
        if self.kind == "pink":
            return _pink(self._draw(torch.randn, (b, n), device))
        return self._excerpts(b, n, device)

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
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
        src = f"{len(self.clips)} recordings" if self.clips else repr(self.kind)
        return f"snr_db={self.snr_db}, kind={src}, p={self.p}"


class NoiseFloor(_Augment):
    """Add Gaussian noise at an absolute level: the self-noise of a microphone and its preamp.

    Unlike :class:`AddNoise` the level does not follow the clip: each example gets white or pink
    noise whose RMS over its true samples (silence included) is exactly ``level`` dBFS, ``level``
    drawn uniformly in ``level_db``. Here 0 dBFS is an RMS of 1.0 (a full-scale square wave;
    a full-scale sine has an RMS of -3 dBFS).

    Parameters
    ----------
    level_db : float or (float, float)
        Noise RMS in dBFS, e.g. ``(-90, -45)``; a number pins it.
    kind : {"white", "pink"}
        Spectrum of the noise.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        level_db: float | tuple[float, float] = (-90.0, -45.0),
        kind: str = "white",
        p: float = 0.5,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.level_db = _range("NoiseFloor level_db", level_db)
        if self.level_db[1] > 0:
            raise ValueError(f"NoiseFloor: level_db is in dBFS and must be <= 0, got {level_db}")
        if kind not in _COLOURS:
            raise ValueError(f"NoiseFloor: kind={kind!r}; choose 'white' or 'pink'")
        self.kind = kind

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        mask = _valid_mask(x, lengths)
        noise = self._draw(torch.randn, (b, n), x.device).to(x.dtype)
        if self.kind == "pink":
            noise = _pink(noise)
        noise = noise * mask
        rms = (noise.square().sum(-1) / mask.sum(-1).clamp(min=1.0)).sqrt().clamp(min=1e-20)
        level = self._uniform((b,), *self.level_db, x.device).to(x.dtype)
        return x + noise * (10.0 ** (level / 20.0) / rms)[:, None], lengths

    def extra_repr(self) -> str:
        return f"level_db={self.level_db}, kind={self.kind!r}, p={self.p}"
