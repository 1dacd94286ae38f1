"""audiokit.lessons: each lesson's experiment gives the numbers the lesson claims."""

from __future__ import annotations

import numpy as np
import pytest

from audiokit import lessons, signals


def test_sampling_demo_spectrum_peaks_at_the_alias():
    d = lessons.sampling_demo(freq_hz=7000.0, sr=8000, bits=16, duration=0.5)
    assert d["aliased"] and d["alias_hz"] == pytest.approx(1000.0)
    peak_hz = d["freqs"][np.argmax(d["spectrum_db"])]
    assert abs(peak_hz - 1000.0) <= 2 * 8000 / len(d["audio"])
    # peak level is the tone's amplitude, 0.5 = -6 dB re full scale
    assert d["spectrum_db"].max() == pytest.approx(-6.02, abs=0.5)
    d = lessons.sampling_demo(freq_hz=440.0, sr=8000, bits=16)
    assert not d["aliased"] and d["alias_hz"] == 440.0


@pytest.mark.parametrize(("freq", "folded"), [(7000.0, -1000.0), (9000.0, 1000.0)])
def test_sampling_demo_alias_curve_passes_through_the_samples(freq, folded):
    """The drawn alias is the tone the samples really belong to (7 kHz at 8 kHz is a mirrored
    1 kHz tone, 9 kHz a plain one), so it meets every sample."""
    d = lessons.sampling_demo(freq_hz=freq, sr=8000, bits=16, amplitude=0.5)
    assert signals.folded_frequency(freq, 8000) == folded
    step = len(d["t_cont"]) // len(d["t"])  # the dense grid holds every sample time
    np.testing.assert_allclose(d["t_cont"][::step], d["t"], atol=1e-12)
    np.testing.assert_allclose(d["y_alias"][::step], d["y"], atol=1e-6)  # float32 samples


@pytest.mark.parametrize("bits", [8, 12, 16])
def test_sampling_demo_snr_matches_theory(bits):
    # an irrational-ish frequency so the quantisation error behaves like noise
    d = lessons.sampling_demo(freq_hz=997.3, sr=16000, bits=bits, amplitude=0.9)
    assert d["snr_theory_db"] == pytest.approx(6.02 * bits + 1.76 + 20 * np.log10(0.9))
    assert d["snr_db"] == pytest.approx(d["snr_theory_db"], abs=1.0)
    assert d["y_q"].shape == d["y"].shape == d["t"].shape
    with pytest.raises(ValueError, match="bits"):
        lessons.sampling_demo(bits=0)


def test_resampling_demo_naive_aliases_and_kaiser_does_not():
    sr, target = 32000, 8000
    tone = signals.sine(6000.0, duration=0.5, sr=sr, amplitude=0.5)  # above the new Nyquist
    naive = lessons.resampling_demo(sr, target, "naive", y=tone)
    best = lessons.resampling_demo(sr, target, "kaiser_best", y=tone)
    assert naive["sr_out"] == best["sr_out"] == target
    assert len(naive["y_out"]) == len(best["y_out"]) == len(tone) // 4
    # naive decimation keeps the tone, folded to 8000 - 6000 = 2000 Hz, at full level
    spec = np.abs(np.fft.rfft(naive["y_out"]))
    assert np.fft.rfftfreq(len(naive["y_out"]), 1 / target)[spec.argmax()] == pytest.approx(2000.0)
    assert signals.rms(naive["y_out"]) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
    # the anti-aliasing filter removes it (> 60 dB down, ignoring the filter's edge transient)
    core = best["y_out"][200:-200]
    assert signals.amplitude_to_db(signals.rms(core) / (0.5 / np.sqrt(2))) < -60
    assert best["seconds"] >= 0 and best["S_db"].shape[0] == best["n_fft"] // 2 + 1


def test_resampling_demo_rejects_unknown_method():
    with pytest.raises(ValueError, match="unknown method"):
        lessons.resampling_demo(16000, 8000, "linear")


@pytest.mark.parametrize(("n_fft", "hop"), [(256, 64), (1024, 256)])
def test_stft_demo_resolution(n_fft, hop):
    sr = 16000
    d = lessons.stft_demo("hann", n_fft, hop, sr=sr, duration=0.5)
    assert d["S_db"].shape == (n_fft // 2 + 1, 1 + int(0.5 * sr) // hop)
    assert d["bin_hz"] == pytest.approx(sr / n_fft)
    assert d["frame_s"] == pytest.approx(n_fft / sr)
    assert d["hop_s"] == pytest.approx(hop / sr)
    np.testing.assert_array_equal(d["y"], signals.chirp_and_clicks(sr, 0.5))


def test_stft_demo_long_frames_separate_close_tones():
    """1000 and 1080 Hz are resolved at n_fft=2048 (7.8 Hz/bin) but not at n_fft=128 (125 Hz/bin)."""
    sr = 16000
    y = signals.sine(1000.0, 1.0, sr, 0.3) + signals.sine(1080.0, 1.0, sr, 0.3)

    def dips(n_fft):
        d = lessons.stft_demo("hann", n_fft, n_fft // 4, sr=sr, y=y)
        col = d["S_db"][:, d["n_frames"] // 2]
        k1, k2, km = (round(f / d["bin_hz"]) for f in (1000, 1080, 1040))
        return min(col[k1], col[k2]) - col[km]

    assert dips(2048) > 20
    assert dips(128) < 3


def test_mel_demo_shapes_and_f_max():
    d = lessons.mel_demo("log_mel", n_mels=32, f_max=4000.0)
    fb = d["filterbank"]
    assert fb.shape == (32, 512 // 2 + 1)
    assert d["features"].shape == (d["extractor"].num_frames(len(d["y"])), 32)
    freqs = np.linspace(0, 8000, fb.shape[1])
    assert fb[:, freqs > 4000.0 + 1e-6].max() == 0.0
    m = lessons.mel_demo("mfcc", n_mels=20, n_mfcc=30)
    assert m["n_mfcc"] == 20 and m["features"].shape[1] == 20  # capped at n_mels
    f = lessons.mel_demo("fbank", n_mels=24)
    assert f["features"].shape[1] == 24 and f["extractor"].kind == "fbank"


def test_mel_demo_features_are_the_extractors():
    """The lesson shows exactly what FeatureExtractor computes (no second implementation)."""
    import torch

    d = lessons.mel_demo("log_mel", n_mels=40, duration=0.5)
    with torch.no_grad():
        want = d["extractor"](torch.from_numpy(d["y"]))[0].numpy()
    np.testing.assert_array_equal(d["features"], want)


def test_augmentation_demo_values():
    y = signals.harmonics(220, duration=0.5, sr=16000)
    demo = lessons.augmentation_demo(y, "gain", strength=0.5, sr=16000)
    # strength 0.5 of "gain" is -12 dB: the RMS drops by 12 dB.
    ratio_db = 20 * np.log10(signals.rms(demo["y_aug"]) / signals.rms(y))
    assert ratio_db == pytest.approx(-12, abs=0.05)
    assert demo["options"] == {"min_db": -12.0, "max_db": -12.0}
    assert demo["features"].shape == demo["features_aug"].shape
    # -12 dB on the waveform is -12 dB on every (power) log-mel bin well above the floor
    loud = demo["features"] > demo["features"].max() - 60
    np.testing.assert_allclose((demo["features_aug"] - demo["features"])[loud], -12.0, atol=0.05)
    assert lessons.AUGMENT_STRENGTH["reverb"](1.0)["rt60"][0] == pytest.approx(1.55)
    with pytest.raises(ValueError, match="unknown augmentation"):
        lessons.augmentation_demo(y, "chorus")


def test_voices_demo_shows_the_band_edge_of_natural_speech():
    from audiokit import lessons, plots

    demo = lessons.voices_demo("three", per_engine=6)
    assert demo["engines"] == ["espeak-ng", "festival", "flite", "human"]
    assert all(n == 6 for n in demo["clips"].values())
    # 8 kHz recordings hold nothing above 4 kHz (resampy's stopband: < -60 dB); every
    # synthesiser puts a few percent of its power there (measured -15 .. -23 dB)
    assert demo["above_4k_db"]["human"] < -60
    assert all(demo["above_4k_db"][e] > -35 for e in ("espeak-ng", "festival", "flite"))
    assert demo["freqs"][-1] == 8000 and abs(demo["spectra_db"]["human"].max()) < 1e-6
    y, speaker = demo["examples"]["human"]
    assert speaker in {"jackson", "lucas", "nicolas", "yweweler"} and y.ndim == 1
    _, ax = plots.plot_voices(demo)
    assert len(ax.lines) == 5 and ax.get_xlabel() == "frequency (Hz)"
    with pytest.raises(ValueError, match="word must be one of"):
        lessons.voices_demo("ten")


def test_voice_profile_measures_level_band_room_and_pitch():
    from audiokit import lessons, signals

    sr = 16000
    tone = signals.harmonics(150, n_harmonics=10, duration=0.5, sr=sr).astype(np.float32)
    tone = 0.5 * tone / np.abs(tone).max()
    y = np.concatenate([np.zeros(sr // 2, np.float32), tone, np.zeros(sr // 2, np.float32)])
    prof = lessons.voice_profile(y, sr)
    assert abs(prof["peak dBFS"] - 20 * np.log10(0.5)) < 0.01
    assert abs(prof["pitch Hz"] - 150) < 3          # pYIN's grid is a few cents
    assert 1400 < prof["roll-off Hz"] < 1700        # 10 harmonics of 150 Hz end at 1.5 kHz
    assert 40 < prof["not-word %"] < 70             # 1 s of the 1.5 s is silence, minus the margin
    with pytest.raises(ValueError, match="empty"):
        lessons.voice_profile(np.zeros(0, np.float32), sr)
