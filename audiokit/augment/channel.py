"""Transmission channels: the telephone band, the G.711 mu-law codec, and microphone/room EQ.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import scipy.signal
import torch

from audiokit.augment.base import _Augment, _range, _valid_mask
from audiokit.augment.dsp import apply_response, fft_convolve, resample_fft, rfft_size

__all__ = ["EQ_KINDS", "MuLaw", "RandomEQ", "TelephoneBand", "biquad_coefficients", "mulaw_codec"]


class TelephoneBand(_Augment):
    """Band-pass ``low_hz`` .. ``high_hz`` (300-3400 Hz by default): the band a telephone passes.

    A linear-phase FIR (Kaiser window, designed with ``scipy.signal.firwin``) whose passband is
    flat to 0.01 dB from ``low_hz`` to ``high_hz`` and which attenuates by at least ``stop_db``
    outside ``low_hz - transition_hz`` .. ``high_hz + transition_hz``: with the defaults at 16 kHz,
    389 taps, <= -60 dB below 150 Hz and above 3550 Hz (an 8 kHz telephone channel stops by
    4 kHz). Applied by FFT convolution, re-centred so the output is not delayed; the clip's length
    is unchanged and samples past ``lengths`` stay zero. Nothing is random except ``p``.

    Parameters
    ----------
    low_hz, high_hz : float
        Passband edges in Hz.
    transition_hz : float
        Width of each transition band in Hz (narrower = steeper = more taps).
    stop_db : float
        Stopband attenuation in dB.
    sample_rate : int
        Hz; ``high_hz + transition_hz`` must stay below ``sample_rate / 2``.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        low_hz: float = 300.0,
        high_hz: float = 3400.0,
        sample_rate: int = 16000,
        p: float = 0.5,
        transition_hz: float = 150.0,
        stop_db: float = 60.0,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        nyquist = sample_rate / 2
        if not 0 < low_hz - transition_hz / 2 < high_hz + transition_hz < nyquist:
            raise ValueError(
                f"TelephoneBand: need 0 < low_hz - transition_hz/2 and high_hz + transition_hz "
                f"< sample_rate/2 = {nyquist:g} Hz, got low_hz={low_hz}, high_hz={high_hz}, "
                f"transition_hz={transition_hz}"
            )
        self.low_hz, self.high_hz, self.sample_rate = (
            float(low_hz),
            float(high_hz),
            int(sample_rate),
        )
        taps, beta = scipy.signal.kaiserord(stop_db, transition_hz / nyquist)
        taps |= 1  # odd length: a type-I FIR, linear phase with a whole-sample delay
        cutoffs = [low_hz - transition_hz / 2, high_hz + transition_hz / 2]
        h = scipy.signal.firwin(
            taps, cutoffs, window=("kaiser", beta), pass_zero=False, fs=sample_rate
        )
        self.register_buffer("fir", torch.as_tensor(h, dtype=torch.float32), persistent=False)

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        delay = (self.fir.shape[0] - 1) // 2
        return fft_convolve(x, self.fir, delay) * _valid_mask(x, lengths), lengths

    def extra_repr(self) -> str:
        return f"{self.low_hz:g}-{self.high_hz:g} Hz, {self.fir.shape[0]} taps, p={self.p}"


def mulaw_codec(x: torch.Tensor) -> torch.Tensor:
    """G.711 mu-law (mu = 255) encode to 8 bits and decode back, elementwise, any device.

    The segmented G.711 law: the magnitude on a 16-bit scale (clipped at 32635) plus a bias of 132
    falls in one of 8 octave segments of 16 uniform steps each (step 8 in the lowest, 1024 in the
    highest), so the error grows with the level and the SNR stays near 38 dB over a wide range;
    decoding returns the middle of the step.

    Notebook: 05_datasets_and_augmentation
    """
    mag = (x.abs() * 32768.0).round().clamp(max=32635).long() + 132
    segment = (torch.floor(torch.log2(mag.double())).long() - 7).clamp(0, 7)
    mantissa = (mag >> (segment + 3)) & 15
    decoded = (((mantissa << 3) + 132) << segment) - 132
    return torch.sign(x) * decoded.to(x.dtype) / 32768.0


class MuLaw(_Augment):
    """Pass each clip through the G.711 mu-law telephone codec (8 bits, mu = 255).

    Parameters
    ----------
    codec_rate : int, optional
        Run the codec at this rate (e.g. ``8000`` for a real telephone line): the clip is
        resampled there (an ideal low-pass at ``codec_rate / 2``), coded, and resampled back.
        ``None`` codes at ``sample_rate``.
    sample_rate : int
        Hz.

    Notes
    -----
    Measured SNR of a sine coded at the clip's rate: 38.3 dB at full scale, 35 dB at -40 dBFS
    (8-bit linear PCM: 50 dB and 9 dB). Samples past ``lengths`` stay zero.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        codec_rate: int | None = None,
        sample_rate: int = 16000,
        p: float = 0.5,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        if codec_rate is not None and not 0 < int(codec_rate) <= int(sample_rate):
            raise ValueError(
                f"MuLaw: codec_rate must be in (0, sample_rate={sample_rate}] Hz, got {codec_rate}"
            )
        self.sample_rate = int(sample_rate)
        self.codec_rate = int(codec_rate) if codec_rate is not None else self.sample_rate

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        n = x.shape[-1]
        mask = _valid_mask(x, lengths)
        low = resample_fft(x, self.sample_rate, self.codec_rate)
        coded = mulaw_codec(low)
        y = resample_fft(coded, self.codec_rate, self.sample_rate, n_out=n)
        return y * mask, lengths

    def extra_repr(self) -> str:
        return f"codec_rate={self.codec_rate} Hz, p={self.p}"


#: Biquad kinds :class:`RandomEQ` draws from (RBJ Audio-EQ-Cookbook designs).
EQ_KINDS: tuple[str, ...] = ("peak", "low_shelf", "high_shelf")


def biquad_coefficients(
    kind: torch.Tensor, f0: torch.Tensor, gain_db: torch.Tensor, q: torch.Tensor, sample_rate: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Peaking / shelving biquads (RBJ Audio-EQ-Cookbook), vectorised over any shape.

    Parameters
    ----------
    kind : torch.Tensor
        int64 index into :data:`EQ_KINDS`.
    f0, gain_db, q : torch.Tensor
        Centre (peak) or midpoint (shelf) frequency in Hz, gain in dB, quality factor.
    sample_rate : int
        Hz.

    Returns
    -------
    (b, a) : (torch.Tensor, torch.Tensor)
        ``(..., 3)`` numerator and denominator, normalised so ``a[..., 0] == 1``. A peak has
        ``gain_db`` at ``f0``; a shelf has ``gain_db`` at its far end and half of it at ``f0``.

    Notebook: 05_datasets_and_augmentation
    """
    amp = 10.0 ** (gain_db.double() / 40.0)
    w0 = 2.0 * math.pi * f0.double() / sample_rate
    cos, alpha = torch.cos(w0), torch.sin(w0) / (2.0 * q.double())
    root = 2.0 * amp.sqrt() * alpha
    peak_b = torch.stack([1 + alpha * amp, -2 * cos, 1 - alpha * amp], -1)
    peak_a = torch.stack([1 + alpha / amp, -2 * cos, 1 - alpha / amp], -1)
    ap, am = amp + 1, amp - 1
    low_b = amp[..., None] * torch.stack(
        [ap - am * cos + root, 2 * (am - ap * cos), ap - am * cos - root], -1
    )
    low_a = torch.stack([ap + am * cos + root, -2 * (am + ap * cos), ap + am * cos - root], -1)
    high_b = amp[..., None] * torch.stack(
        [ap + am * cos + root, -2 * (am + ap * cos), ap + am * cos - root], -1
    )
    high_a = torch.stack([ap - am * cos + root, 2 * (am - ap * cos), ap - am * cos - root], -1)
    k = kind[..., None]
    b = torch.where(k == 0, peak_b, torch.where(k == 1, low_b, high_b))
    a = torch.where(k == 0, peak_a, torch.where(k == 1, low_a, high_a))
    return b / a[..., :1], a / a[..., :1]


def _biquad_response(b: torch.Tensor, a: torch.Tensor, f_cycles: torch.Tensor) -> torch.Tensor:
    """Response ``(..., F)``, complex, of biquads ``(..., 3)`` at ``(F,)`` cycles per sample."""
    w = 2 * math.pi * f_cycles.double()
    cos1, sin1, cos2, sin2 = torch.cos(w), torch.sin(w), torch.cos(2 * w), torch.sin(2 * w)

    def poly(c: torch.Tensor) -> torch.Tensor:
        """``c0 + c1 e^{-jw} + c2 e^{-2jw}``, in real arithmetic (much faster than complex)."""
        c = c.double()[..., None]
        real = c[..., 0, :] + c[..., 1, :] * cos1 + c[..., 2, :] * cos2
        return torch.complex(real, -(c[..., 1, :] * sin1 + c[..., 2, :] * sin2))

    return poly(b) / poly(a)


class RandomEQ(_Augment):
    """Colour each clip like a microphone, loudspeaker or room would: a tilt and random biquads.

    Each chosen example gets a spectral tilt of ``tilt`` dB per octave about ``pivot_hz`` (flat
    below 50 Hz) and ``n`` peaking or shelving biquads (:func:`biquad_coefficients`), ``n`` uniform
    in ``n_bands``; each band has a kind from ``kinds``, a centre log-uniform in ``freq_hz``, a gain
    uniform in ``gain_db`` and a Q log-uniform in ``q``. The biquads are applied with their phase
    (as the IIR filters they are), the tilt with none, both as one response in the FFT domain.
    The level is not restored: boosting 1 kHz by 6 dB makes 1 kHz 6 dB louder.

    Parameters
    ----------
    gain_db : float or (float, float)
        Band gains in dB, e.g. ``(-6, 6)``; ranges everywhere, a number pins it.
    n_bands : int or (int, int)
        How many biquads per example (0 for tilt only).
    freq_hz : (float, float)
        Range of centre frequencies in Hz (kept below 0.45 ``sample_rate``).
    q : float or (float, float)
        Range of quality factors (0.7 is a gentle bell, 4 a narrow one).
    tilt_db_per_octave : float or (float, float)
        Range of tilts; ``0`` for none.
    kinds : sequence of str
        Subset of :data:`EQ_KINDS`.

    Notes
    -----
    Pin it exactly with ranges of one value, e.g. a 6 dB bell at 1 kHz:
    ``RandomEQ(gain_db=6, n_bands=1, freq_hz=1000, q=1, tilt_db_per_octave=0, kinds=("peak",),
    p=1)``.

    Notebook: 05_datasets_and_augmentation
    """

    def __init__(
        self,
        gain_db: float | tuple[float, float] = (-6.0, 6.0),
        n_bands: int | tuple[int, int] = (1, 3),
        freq_hz: float | tuple[float, float] = (80.0, 6000.0),
        q: float | tuple[float, float] = (0.5, 2.0),
        tilt_db_per_octave: float | tuple[float, float] = (-1.5, 1.5),
        kinds: Sequence[str] = EQ_KINDS,
        pivot_hz: float = 1000.0,
        sample_rate: int = 16000,
        p: float = 0.5,
        generator: torch.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(p, generator, seed)
        self.gain_db = _range("RandomEQ gain_db", gain_db)
        lo, hi = _range("RandomEQ n_bands", n_bands)
        if lo < 0 or lo != int(lo) or hi != int(hi):
            raise ValueError(f"RandomEQ: n_bands must be whole numbers >= 0, got {n_bands}")
        self.n_bands = (int(lo), int(hi))
        self.sample_rate = int(sample_rate)
        self.freq_hz = _range("RandomEQ freq_hz", freq_hz, positive=True)
        if self.freq_hz[1] >= 0.45 * self.sample_rate:
            raise ValueError(
                f"RandomEQ: freq_hz {freq_hz} must stay below 0.45 * sample_rate = "
                f"{0.45 * self.sample_rate:g} Hz"
            )
        self.q = _range("RandomEQ q", q, positive=True)
        self.tilt = _range("RandomEQ tilt_db_per_octave", tilt_db_per_octave)
        unknown = [k for k in kinds if k not in EQ_KINDS]
        if unknown or not kinds:
            raise ValueError(f"RandomEQ: kinds {list(kinds)}; choose from {', '.join(EQ_KINDS)}")
        self.kinds = tuple(kinds)
        self.pivot_hz = float(pivot_hz)

    def design(self, batch: int, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
        """Draw the settings of ``batch`` examples, as :meth:`forward` does.

        Returns
        -------
        dict
            ``kind`` (int64 index into :data:`EQ_KINDS`), ``freq_hz``, ``gain_db`` (0 for bands an
            example does not use) and ``q``, each ``(batch, max_bands)``; ``tilt`` ``(batch,)``
            in dB per octave.

        Notebook: 05_datasets_and_augmentation
        """
        lo, hi = self.n_bands
        shape = (batch, hi)
        count = lo + self._randint(
            torch.full((batch,), hi - lo + 1, dtype=torch.long, device=device)
        )
        table = torch.tensor([EQ_KINDS.index(k) for k in self.kinds], device=device)
        kind = table[
            self._randint(torch.full(shape, len(self.kinds), dtype=torch.long, device=device))
        ]
        freq = self._log_uniform(shape, *self.freq_hz, device)
        gain = self._uniform(shape, *self.gain_db, device)
        q = self._log_uniform(shape, *self.q, device)
        used = torch.arange(hi, device=device)[None, :] < count[:, None]
        tilt = self._uniform((batch,), *self.tilt, device)
        return {"kind": kind, "freq_hz": freq, "gain_db": gain * used, "q": q, "tilt": tilt}

    def response(self, settings: dict[str, torch.Tensor], f_cycles: torch.Tensor) -> torch.Tensor:
        """Complex response ``(batch, F)`` of drawn ``settings`` at frequencies in cycles/sample.

        Notebook: 05_datasets_and_augmentation
        """
        b, a = biquad_coefficients(
            settings["kind"],
            settings["freq_hz"],
            settings["gain_db"],
            settings["q"],
            self.sample_rate,
        )
        h = _biquad_response(b, a, f_cycles).prod(dim=-2)  # (batch, F); ones when no bands
        octaves = torch.log2((f_cycles * self.sample_rate).clamp(min=50.0) / self.pivot_hz)
        tilt_db = settings["tilt"].double()[:, None] * octaves[None, :]
        return h * 10.0 ** (tilt_db / 20.0)

    def _transform(
        self, x: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        settings = self.design(x.shape[0], x.device)
        # room for the IIR tails: 0.5 s is > 20 time constants of a Q=4 bell at 50 Hz
        nfft = rfft_size(x.shape[-1] + self.sample_rate // 2)
        y = apply_response(x, lambda f: self.response(settings, f), nfft)
        return y * _valid_mask(x, lengths), lengths

    def extra_repr(self) -> str:
        return (
            f"gain_db={self.gain_db}, n_bands={self.n_bands}, freq_hz={self.freq_hz}, "
            f"q={self.q}, tilt_db_per_octave={self.tilt}, kinds={self.kinds}, p={self.p}"
        )
