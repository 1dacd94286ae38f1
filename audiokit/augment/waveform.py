"""Waveform transforms on time and level: gain, speed, edge cut, shift, placement in silence.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from audiokit.augment.base import _Augment, _range

__all__ = ["EdgeCut", "Gain", "RandomPlacement", "SpeedPerturb", "TimeShift"]


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

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        db = self._uniform((x.shape[0],), self.min_db, self.max_db, x.device)
        return x * (10.0 ** (db / 20.0)).to(x.dtype)[:, None], lengths

    def extra_repr(self) -> str:
        return f"min_db={self.min_db}, max_db={self.max_db}, p={self.p}"


class SpeedPerturb(_Augment):
    """Play each example faster or slower by a factor from ``factors`` (pitch changes too).

    Resampling is linear interpolation, vectorised over the batch; the output keeps the input's
    number of samples (zero-padded or cut) and ``lengths`` become
    ``min(n, floor(length / factor))``.

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

    def _transform(
        self, x: torch.Tensor, length: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
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

    def _transform(
        self, x: torch.Tensor, length: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
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


class RandomPlacement(_Augment):
    """Surround each clip with digital silence: ``lead`` seconds before it, ``trail`` after it.

    Training clips are usually cut tight around the sound; recordings as users have them are not.
    Each chosen example gets ``lead`` uniform in ``[0, max_lead_s]`` and ``trail`` uniform in
    ``[0, max_trail_s]`` (independent draws, rounded to samples). Its length grows to
    ``length + lead + trail`` (the silence counts as valid: it is what the model must learn to
    ignore) and the batch widens to the longest result, zero-padded. Follow it with
    :class:`NoiseFloor` so the silence is not exactly zero, as no microphone's is.

    Parameters
    ----------
    max_lead_s, max_trail_s : float
        Seconds of silence at most before and after the sound.
    sample_rate : int
        Hz.
    p : float
        Probability per example.

    Notes
    -----
    Pin a setting with ``min_lead_s = max_lead_s`` (and the same for trail): e.g.
    ``RandomPlacement(0.25, 0.5, min_lead_s=0.25, min_trail_s=0.5, p=1.0)`` always adds 0.25 s
    before and 0.5 s after. With ``lengths=None`` the returned lengths stay ``None``; the zeros
    that pad the shorter results to the batch width are then more trailing silence.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        max_lead_s: float = 0.25,
        max_trail_s: float = 0.5,
        sample_rate: int = 16000,
        p: float = 0.5,
        min_lead_s: float = 0.0,
        min_trail_s: float = 0.0,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        lead = _range("RandomPlacement lead (min_lead_s, max_lead_s)", (min_lead_s, max_lead_s))
        trail = _range(
            "RandomPlacement trail (min_trail_s, max_trail_s)", (min_trail_s, max_trail_s)
        )
        if lead[0] < 0 or trail[0] < 0:
            raise ValueError(
                f"RandomPlacement: silence must be >= 0 s, got lead={lead}, trail={trail}"
            )
        self.sample_rate = int(sample_rate)
        self.lead = tuple(round(s * self.sample_rate) for s in lead)
        self.trail = tuple(round(s * self.sample_rate) for s in trail)

    def _samples(self, b: int, span: tuple[int, int], device) -> torch.Tensor:
        lo, hi = span
        return lo + self._randint(torch.full((b,), hi - lo + 1, dtype=torch.long, device=device))

    def _transform(
        self, x: torch.Tensor, length: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        lead = self._samples(b, self.lead, x.device)
        trail = self._samples(b, self.trail, x.device)
        new_len = length + lead + trail
        width = max(n, int(new_len.max()))
        t = torch.arange(width, device=x.device)[None, :]
        src = t - lead[:, None]
        inside = (src >= 0) & (src < length[:, None])
        y = x.gather(1, src.clamp(0, n - 1)) * inside.to(x.dtype)
        return y, new_len

    def extra_repr(self) -> str:
        return f"lead={self.lead}, trail={self.trail} samples, p={self.p}"


class EdgeCut(_Augment):
    """Cut a random part off the start and the end of each clip, as a tight editor would.

    Recordings are cut around the sound by whoever made them, some right at the vowel: in the
    FSDD digits one speaker's "six" begins at its vowel, its /s/ cut away with the silence
    (README, "What to expect"); a weak onset or ending lost under a room's noise looks the same.
    Each chosen example loses ``lead`` uniform in ``[0, max_lead * length]`` samples at the start
    and ``trail`` uniform in ``[0, max_trail * length]`` at the end; the rest moves to the start,
    its length becomes ``length - lead - trail`` (at least one sample), zero past it.

    Parameters
    ----------
    max_lead, max_trail : float
        Largest fraction of the clip's length cut at the start / end, each in [0, 0.5).
    p : float
        Probability per example.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        max_lead: float = 0.15,
        max_trail: float = 0.15,
        p: float = 0.5,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        for name, v in (("max_lead", max_lead), ("max_trail", max_trail)):
            if not 0.0 <= float(v) < 0.5:
                raise ValueError(f"EdgeCut: {name} must be in [0, 0.5), got {v}")
        self.max_lead, self.max_trail = float(max_lead), float(max_trail)

    def _transform(
        self, x: torch.Tensor, length: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        b, n = x.shape
        span = length.double()
        lead = (self._draw(torch.rand, (b,), x.device, dtype=torch.float64)
                * self.max_lead * span).long()
        trail = (self._draw(torch.rand, (b,), x.device, dtype=torch.float64)
                 * self.max_trail * span).long()
        new_len = (length - lead - trail).clamp(min=1)
        t = torch.arange(n, device=x.device)[None, :]
        src = (t + lead[:, None]).clamp(max=n - 1)
        y = x.gather(1, src) * (t < new_len[:, None]).to(x.dtype)
        return y, new_len

    def extra_repr(self) -> str:
        return f"max_lead={self.max_lead}, max_trail={self.max_trail}, p={self.p}"
