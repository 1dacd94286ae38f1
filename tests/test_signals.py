"""audiokit.signals: lengths, spectra, quantisation SNR and aliasing, with numbers."""

import numpy as np
import pytest

from audiokit import io, signals


def _peak_hz(y, sr):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)]


def test_sine_frequency_level_and_length():
    y = signals.sine(440, duration=0.5, sr=16000, amplitude=1.0)
    assert y.dtype == np.float32 and y.shape == (8000,)
    assert _peak_hz(y, 16000) == pytest.approx(440, abs=2)
    assert signals.dbfs(y) == pytest.approx(-3.01, abs=0.02)  # full-scale sine


def test_aliasing_of_a_tone_above_nyquist():
    # 7 kHz sampled at 8 kHz shows up at |8000 - 7000| = 1000 Hz.
    y = signals.sine(7000, duration=1.0, sr=8000)
    assert _peak_hz(y, 8000) == pytest.approx(1000, abs=2)


def test_naive_decimation_aliases_but_resampling_does_not():
    sr = 16000
    y = signals.sine(3000, duration=1.0, sr=sr)
    naive = signals.decimate_naive(y, 4)  # new rate 4 kHz, Nyquist 2 kHz: 3 kHz folds to 1 kHz
    assert _peak_hz(naive, sr // 4) == pytest.approx(1000, abs=3)
    assert signals.rms(naive) > 0.3
    proper = io.resample(y, sr, sr // 4)
    assert signals.rms(proper) < 0.01  # the anti-alias filter removed the tone


@pytest.mark.parametrize("bits", [8, 12, 16])
def test_quantization_snr_follows_6db_per_bit(bits):
    y = signals.sine(997, duration=1.0, sr=48000, amplitude=0.999)
    snr = signals.quantization_snr(y, bits)
    assert snr == pytest.approx(6.02 * bits + 1.76, abs=1.5)
    q = signals.quantize(y, bits)
    assert len(np.unique(q)) <= 2**bits


def test_quantize_grid_and_errors():
    assert signals.quantize(np.array([0.0, 0.26, -1.0, 1.0]), 2).tolist() == [0.0, 0.5, -1.0, 0.5]
    with pytest.raises(ValueError, match="bits"):
        signals.quantize(np.zeros(3), 0)


def test_chirp_noise_clicks_harmonics_adsr():
    c = signals.chirp(100, 4000, duration=1.0, sr=16000)
    assert _peak_hz(c[:2000], 16000) < _peak_hz(c[-2000:], 16000)
    w = signals.noise(1.0, 16000, amplitude=0.1, seed=1)
    assert signals.rms(w) == pytest.approx(0.1, rel=1e-3)
    np.testing.assert_array_equal(w, signals.noise(1.0, 16000, amplitude=0.1, seed=1))
    pink = signals.noise(2.0, 16000, color="pink", seed=0)
    spec = np.abs(np.fft.rfft(pink)) ** 2
    f = np.fft.rfftfreq(len(pink), 1 / 16000)
    low, high = spec[(f > 100) & (f < 200)].mean(), spec[(f > 3200) & (f < 6400)].mean()
    assert 10 * np.log10(low / high) == pytest.approx(10 * np.log10(32), abs=3)  # -3 dB/octave
    k = signals.click_train(10, duration=1.0, sr=16000)
    assert np.count_nonzero(k) == 10
    h = signals.harmonics(1000, n_harmonics=20, sr=16000)
    # Partials above Nyquist (8 kHz) are left out: 7 partials at 1..7 kHz remain.
    spec = np.abs(np.fft.rfft(h))
    assert np.count_nonzero(spec > 0.1 * spec.max()) == 7
    assert np.abs(h).max() == pytest.approx(0.5, rel=1e-4)
    env = signals.adsr(16000, sr=16000, attack=0.1, decay=0.1, sustain=0.5, release=0.2)
    assert env.shape == (16000,) and env.max() <= 1.0 and env[-1] == 0.0
    assert env[8000] == pytest.approx(0.5)


def test_db_helpers():
    assert signals.amplitude_to_db(1.0) == 0.0
    assert signals.amplitude_to_db(0.1) == pytest.approx(-20)
    assert signals.db_to_amplitude(-6.0206) == pytest.approx(0.5, rel=1e-4)
    assert signals.amplitude_to_db(0.0) == -120.0


@pytest.mark.parametrize(("freq", "sr", "expected"), [
    (3000, 8000, 3000), (4000, 8000, 4000), (5000, 8000, 3000), (7000, 8000, 1000),
    (9000, 8000, 1000), (15000, 8000, 1000), (44100, 44100, 0), (-300, 16000, 300),
])
def test_alias_frequency(freq, sr, expected):
    assert signals.alias_frequency(freq, sr) == pytest.approx(expected)


@pytest.mark.parametrize(("freq", "sr"), [(3000, 8000), (5000, 8000), (7000, 8000), (9000, 8000),
                                          (15000, 8000), (13000, 16000)])
def test_folded_frequency_has_the_same_samples(freq, sr):
    """A tone and its folded frequency (sign included) give identical samples at ``sr``."""
    f = signals.folded_frequency(freq, sr)
    assert -sr / 2 <= f <= sr / 2 and abs(f) == signals.alias_frequency(freq, sr)
    n = np.arange(64)
    np.testing.assert_allclose(np.sin(2 * np.pi * f * n / sr), np.sin(2 * np.pi * freq * n / sr),
                               atol=1e-9)  # float64 phase rounding of 2 pi f n / sr
    with pytest.raises(ValueError, match="sr must be positive"):
        signals.folded_frequency(freq, 0)


@pytest.mark.parametrize("bits", [8, 16, 24])
def test_theoretical_snr_is_6_02_bits_plus_1_76(bits):
    assert signals.theoretical_snr(bits) == pytest.approx(6.02 * bits + 1.76)
    assert signals.theoretical_snr(bits, amplitude=0.5) == pytest.approx(
        6.02 * bits + 1.76 - 6.0206, abs=1e-4)  # 20 log10(0.5)
    # the measured SNR of a full-scale sine follows it within 1.5 dB (as quantization_snr shows)
    y = signals.sine(997, duration=1.0, sr=48000, amplitude=0.999)
    assert signals.quantization_snr(y, bits) == pytest.approx(
        signals.theoretical_snr(bits, 0.999), abs=1.5)


def test_chirp_and_clicks_holds_what_the_stft_lesson_needs():
    """A 200 -> 4000 Hz chirp + 1000 and 1080 Hz tones + 5 clicks per second, nothing else."""
    sr = 16000
    y = signals.chirp_and_clicks(sr, duration=1.0)
    assert y.dtype == np.float32 and y.shape == (sr,)
    chirp = signals.chirp(200.0, 4000.0, 1.0, sr, amplitude=0.3)
    tones = signals.sine(1000.0, 1.0, sr, 0.15) + signals.sine(1080.0, 1.0, sr, 0.15)
    clicks = y - chirp - tones
    assert np.flatnonzero(np.abs(clicks) > 1e-6).tolist() == [0, 3200, 6400, 9600, 12800]
    np.testing.assert_allclose(clicks[::3200], 0.8, atol=1e-6)  # 1e-6: float32 sums
    np.testing.assert_allclose(np.delete(clicks, np.arange(0, sr, 3200)), 0.0, atol=1e-6)
