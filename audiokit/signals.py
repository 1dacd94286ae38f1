"""Teaching signals: tones, chirps, noise, clicks, envelopes, quantisation and aliasing.

The signal makers return float32 NumPy arrays of shape ``(n,)`` with ``n = round(duration * sr)``,
so a notebook can plot, play and transform them without touching a file. The rest is the plain
math of sampling (where a tone aliases to, the SNR a bit depth allows) and of levels in dB.

Notebook: 01_digital_audio, 02_reading_and_resampling, 03_fourier_and_stft
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "adsr",
    "alias_frequency",
    "amplitude_to_db",
    "chirp",
    "chirp_and_clicks",
    "click_train",
    "db_to_amplitude",
    "dbfs",
    "decimate_naive",
    "folded_frequency",
    "harmonics",
    "noise",
    "quantization_snr",
    "quantize",
    "rms",
    "sine",
    "strip_zero_ends",
    "theoretical_snr",
    "time_axis",
]


def time_axis(duration: float, sr: int) -> np.ndarray:
    """Sample times in seconds, ``t[k] = k / sr`` for ``k = 0 .. round(duration*sr) - 1``.

    Notebook: 01_digital_audio
    """
    if duration <= 0 or sr <= 0:
        raise ValueError(f"duration and sr must be positive, got duration={duration}, sr={sr}")
    return np.arange(round(duration * sr), dtype=np.float64) / sr


def sine(freq: float, duration: float = 1.0, sr: int = 16000, amplitude: float = 0.5,
         phase: float = 0.0) -> np.ndarray:
    """A pure tone ``amplitude * sin(2 pi freq t + phase)``.

    Parameters
    ----------
    freq : float
        Frequency in Hz. Above ``sr / 2`` it aliases (that is the lesson of notebook 01).
    duration : float
        Length in seconds.
    sr : int
        Sample rate in Hz.
    amplitude : float
        Peak amplitude (1.0 = full scale).
    phase : float
        Start phase in radians.

    Notebook: 01_digital_audio
    """
    t = time_axis(duration, sr)
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def chirp(f0: float, f1: float, duration: float = 1.0, sr: int = 16000,
          amplitude: float = 0.5, method: str = "linear") -> np.ndarray:
    """A sweep from ``f0`` to ``f1`` Hz over ``duration`` seconds (``scipy.signal.chirp``).

    ``method`` is ``"linear"`` or ``"logarithmic"``.

    Notebook: 01_digital_audio, 03_fourier_and_stft
    """
    from scipy.signal import chirp as _chirp

    t = time_axis(duration, sr)
    return (amplitude * _chirp(t, f0=f0, t1=t[-1] if len(t) > 1 else duration, f1=f1,
                               method=method)).astype(np.float32)


def noise(duration: float = 1.0, sr: int = 16000, amplitude: float = 0.1,
          color: str = "white", seed: int | None = 0) -> np.ndarray:
    """White (flat spectrum) or pink (power falls 3 dB per octave) Gaussian noise.

    The result is scaled so that its RMS equals ``amplitude``.

    Notebook: 01_digital_audio
    """
    n = len(time_axis(duration, sr))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    if color == "pink":
        spectrum = np.fft.rfft(x)
        f = np.fft.rfftfreq(n)
        f[0] = f[1] if n > 1 else 1.0
        x = np.fft.irfft(spectrum / np.sqrt(f), n)
    elif color != "white":
        raise ValueError(f"unknown noise color {color!r}; choose 'white' or 'pink'")
    x = x / (np.sqrt(np.mean(x**2)) + 1e-12) * amplitude
    return x.astype(np.float32)


def click_train(rate_hz: float, duration: float = 1.0, sr: int = 16000,
                amplitude: float = 0.8) -> np.ndarray:
    """Single-sample clicks ``rate_hz`` times per second: a broadband, perfectly periodic signal.

    Notebook: 03_fourier_and_stft
    """
    n = len(time_axis(duration, sr))
    y = np.zeros(n, dtype=np.float32)
    if rate_hz <= 0:
        raise ValueError(f"rate_hz must be positive, got {rate_hz}")
    y[np.round(np.arange(0, duration, 1.0 / rate_hz) * sr).astype(int) % max(n, 1)] = amplitude
    return y


def chirp_and_clicks(sr: int = 16000, duration: float = 1.0) -> np.ndarray:
    """The STFT test signal: a 200 -> 4000 Hz chirp, two close tones (1000 and 1080 Hz) and a
    click train at 5 Hz. Clicks need short frames, the close tones need long ones.

    Parameters
    ----------
    sr : int
        Sample rate in Hz (the chirp stops at ``0.45 * sr`` if that is below 4000 Hz).
    duration : float
        Length in seconds.

    Notebook: 03_fourier_and_stft
    """
    y = chirp(200.0, min(4000.0, 0.45 * sr), duration=duration, sr=sr, amplitude=0.3)
    y = y + sine(1000.0, duration, sr, amplitude=0.15)
    y = y + sine(1080.0, duration, sr, amplitude=0.15)
    y = y + click_train(5.0, duration, sr, amplitude=0.8)
    return y.astype(np.float32)


def harmonics(f0: float, n_harmonics: int = 8, duration: float = 1.0, sr: int = 16000,
              amplitude: float = 0.5, rolloff: float = 1.0) -> np.ndarray:
    """A harmonic tone: partials at ``k * f0`` with amplitude ``1 / k**rolloff``.

    Partials above the Nyquist frequency ``sr / 2`` are left out. The sum is scaled to
    peak ``amplitude``.

    Notebook: 01_digital_audio, 03_fourier_and_stft
    """
    t = time_axis(duration, sr)
    y = np.zeros_like(t)
    for k in range(1, n_harmonics + 1):
        if k * f0 < sr / 2:
            y += np.sin(2 * np.pi * k * f0 * t) / k**rolloff
    peak = np.abs(y).max()
    return (amplitude * y / peak if peak > 0 else y).astype(np.float32)


def adsr(n: int, sr: int = 16000, attack: float = 0.01, decay: float = 0.1,
         sustain: float = 0.6, release: float = 0.2) -> np.ndarray:
    """An attack-decay-sustain-release amplitude envelope of ``n`` samples.

    Parameters
    ----------
    n : int
        Length in samples.
    sr : int
        Sample rate in Hz.
    attack, decay, release : float
        Segment lengths in seconds (shortened proportionally if they exceed ``n``).
    sustain : float
        Sustain level in [0, 1].

    Notebook: 01_digital_audio
    """
    a, d, r = (round(x * sr) for x in (attack, decay, release))
    if a + d + r > n:
        scale = n / max(a + d + r, 1)
        a, d, r = int(a * scale), int(d * scale), int(r * scale)
    s = n - a - d - r
    env = np.concatenate([
        np.linspace(0.0, 1.0, a, endpoint=False),
        np.linspace(1.0, sustain, d, endpoint=False),
        np.full(s, sustain),
        np.linspace(sustain, 0.0, r),
    ])
    return env.astype(np.float32)


def quantize(y: np.ndarray, bits: int) -> np.ndarray:
    """Round samples in [-1, 1] to a grid of ``2**bits`` levels (mid-tread, like integer PCM).

    Parameters
    ----------
    y : np.ndarray
        Samples in [-1, 1]; values outside are clipped.
    bits : int
        Bit depth, 1 to 32.

    Notebook: 01_digital_audio
    """
    if not 1 <= bits <= 32:
        raise ValueError(f"bits must be between 1 and 32, got {bits}")
    levels = 2 ** (bits - 1)
    q = np.round(np.clip(np.asarray(y, dtype=np.float64), -1.0, 1.0) * levels)
    q = np.clip(q, -levels, levels - 1) if bits > 1 else np.clip(q, -1, 0)
    return (q / levels).astype(np.float32)


def theoretical_snr(bits: int, amplitude: float = 1.0) -> float:
    """Quantisation SNR in dB of a sine of peak ``amplitude`` (full scale = 1):
    ``6.02 * bits + 1.76 + 20 log10(amplitude)``.

    Compare with :func:`quantization_snr`, which measures it.

    Notebook: 01_digital_audio
    """
    return float(6.02 * bits + 1.76 + 20 * np.log10(amplitude))


def quantization_snr(y: np.ndarray, bits: int) -> float:
    """Signal-to-quantisation-noise ratio in dB of :func:`quantize` (about ``6.02 * bits + 1.76``
    for a full-scale sine).

    Notebook: 01_digital_audio
    """
    y = np.asarray(y, dtype=np.float64)
    err = y - quantize(y, bits)
    return float(10 * np.log10(np.sum(y**2) / max(np.sum(err**2), 1e-30)))


def folded_frequency(freq_hz: float, sr: int) -> float:
    """The frequency in Hz, in ``[-sr / 2, sr / 2]``, whose samples at ``sr`` Hz equal a tone of
    ``|freq_hz|`` (the spectrum folds at the Nyquist frequency ``sr / 2``).

    A negative result means folding mirrored the tone: the samples of
    ``sin(2 pi |freq_hz| t)`` are those of ``sin(2 pi f t)`` with ``f < 0``, i.e. of
    ``-sin(2 pi |f| t)``.

    Examples
    --------
    >>> folded_frequency(7000, 8000)
    -1000.0

    Notebook: 01_digital_audio
    """
    if sr <= 0:
        raise ValueError(f"sr must be positive, got {sr}")
    f = abs(float(freq_hz)) % sr
    return float(f if f <= sr / 2 else f - sr)


def alias_frequency(freq_hz: float, sr: int) -> float:
    """The frequency in Hz at which a tone of ``freq_hz`` is heard after sampling at ``sr`` Hz.

    Sampling cannot tell ``f`` from ``f + k * sr`` or ``k * sr - f``: the spectrum folds at the
    Nyquist frequency ``sr / 2``. The result is in ``[0, sr / 2]``
    (``abs(folded_frequency(freq_hz, sr))``).

    Examples
    --------
    >>> alias_frequency(7000, 8000)
    1000.0

    Notebook: 01_digital_audio
    """
    return abs(folded_frequency(freq_hz, sr))


def decimate_naive(y: np.ndarray, factor: int) -> np.ndarray:
    """Keep every ``factor``-th sample with no low-pass filter first.

    Frequencies above the new Nyquist ``sr / (2 * factor)`` fold back (alias). Compare with
    :func:`audiokit.io.resample`, which filters first.

    Notebook: 02_reading_and_resampling
    """
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    return np.ascontiguousarray(np.asarray(y)[..., ::factor])


def rms(y: np.ndarray) -> float:
    """Root-mean-square amplitude.

    Notebook: 01_digital_audio
    """
    return float(np.sqrt(np.mean(np.square(np.asarray(y, dtype=np.float64)))))


def amplitude_to_db(a: float | np.ndarray, floor_db: float = -120.0) -> float | np.ndarray:
    """``20 log10(a)`` in dB, floored at ``floor_db``.

    Notebook: 01_digital_audio
    """
    out = 20 * np.log10(np.maximum(np.abs(a), 10 ** (floor_db / 20)))
    return float(out) if np.ndim(out) == 0 else out


def db_to_amplitude(db: float | np.ndarray) -> float | np.ndarray:
    """``10 ** (db / 20)``: the amplitude factor for a level in dB.

    Notebook: 01_digital_audio
    """
    out = np.power(10.0, np.asarray(db) / 20.0)
    return float(out) if np.ndim(out) == 0 else out


def dbfs(y: np.ndarray) -> float:
    """RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS,
    a full-scale sine about -3 dBFS).

    Notebook: 01_digital_audio
    """
    return amplitude_to_db(rms(y))


def strip_zero_ends(y: np.ndarray) -> np.ndarray:
    """The view of ``y`` (``(n,)`` or ``(channels, n)``) from its first to its last sample that
    is not exactly zero in some channel; ``y`` itself when every sample is zero.

    Notebook: 06_pipeline_and_training_loop
    """
    y = np.asarray(y)
    if y.shape[-1] == 0:
        return y
    loud = np.flatnonzero(y if y.ndim == 1 else np.any(y != 0, axis=0))
    if loud.size == 0:
        return y
    return y[..., int(loud[0]): int(loud[-1]) + 1]
