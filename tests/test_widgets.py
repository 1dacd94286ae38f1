"""Widgets: the pure demo functions give the right numbers, and every explorer builds, carries its
CSS class, and redraws a different figure when a control changes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from audiokit import signals, widgets

# ----- pure functions ------------------------------------------------------------------------


@pytest.mark.parametrize(("freq", "sr", "expected"), [
    (3000, 8000, 3000), (4000, 8000, 4000), (5000, 8000, 3000), (7000, 8000, 1000),
    (9000, 8000, 1000), (15000, 8000, 1000), (44100, 44100, 0), (-300, 16000, 300),
])
def test_alias_frequency(freq, sr, expected):
    assert widgets.alias_frequency(freq, sr) == pytest.approx(expected)


def test_sampling_demo_spectrum_peaks_at_the_alias():
    d = widgets.sampling_demo(freq_hz=7000.0, sr=8000, bits=16, duration=0.5)
    assert d["aliased"] and d["alias_hz"] == pytest.approx(1000.0)
    peak_hz = d["freqs"][np.argmax(d["spectrum_db"])]
    assert abs(peak_hz - 1000.0) <= 2 * 8000 / len(d["audio"])
    # peak level is the tone's amplitude, 0.5 = -6 dB re full scale
    assert d["spectrum_db"].max() == pytest.approx(-6.02, abs=0.5)
    d = widgets.sampling_demo(freq_hz=440.0, sr=8000, bits=16)
    assert not d["aliased"] and d["alias_hz"] == 440.0


@pytest.mark.parametrize("bits", [8, 12, 16])
def test_sampling_demo_snr_matches_theory(bits):
    # an irrational-ish frequency so the quantisation error behaves like noise
    d = widgets.sampling_demo(freq_hz=997.3, sr=16000, bits=bits, amplitude=0.9)
    assert d["snr_theory_db"] == pytest.approx(6.02 * bits + 1.76 + 20 * np.log10(0.9))
    assert d["snr_db"] == pytest.approx(d["snr_theory_db"], abs=1.0)
    assert d["y_q"].shape == d["y"].shape == d["t"].shape


def test_resampling_demo_naive_aliases_and_kaiser_does_not():
    sr, target = 32000, 8000
    tone = signals.sine(6000.0, duration=0.5, sr=sr, amplitude=0.5)  # above the new Nyquist
    naive = widgets.resampling_demo(sr, target, "naive", y=tone)
    best = widgets.resampling_demo(sr, target, "kaiser_best", y=tone)
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
        widgets.resampling_demo(16000, 8000, "linear")


@pytest.mark.parametrize(("n_fft", "hop"), [(256, 64), (1024, 256)])
def test_stft_demo_resolution(n_fft, hop):
    sr = 16000
    d = widgets.stft_demo("hann", n_fft, hop, sr=sr, duration=0.5)
    assert d["S_db"].shape == (n_fft // 2 + 1, 1 + int(0.5 * sr) // hop)
    assert d["bin_hz"] == pytest.approx(sr / n_fft)
    assert d["frame_s"] == pytest.approx(n_fft / sr)
    assert d["hop_s"] == pytest.approx(hop / sr)


def test_stft_demo_long_frames_separate_close_tones():
    """1000 and 1080 Hz are resolved at n_fft=2048 (7.8 Hz/bin) but not at n_fft=128 (125 Hz/bin)."""
    sr = 16000
    y = signals.sine(1000.0, 1.0, sr, 0.3) + signals.sine(1080.0, 1.0, sr, 0.3)

    def dips(n_fft):
        d = widgets.stft_demo("hann", n_fft, n_fft // 4, sr=sr, y=y)
        col = d["S_db"][:, d["n_frames"] // 2]
        k1, k2, km = (round(f / d["bin_hz"]) for f in (1000, 1080, 1040))
        return min(col[k1], col[k2]) - col[km]

    assert dips(2048) > 20
    assert dips(128) < 3


def test_mel_demo_shapes_and_f_max():
    d = widgets.mel_demo("log_mel", n_mels=32, f_max=4000.0)
    fb = d["filterbank"]
    assert fb.shape == (32, 512 // 2 + 1)
    assert d["features"].shape[1] == 32
    freqs = np.linspace(0, 8000, fb.shape[1])
    assert fb[:, freqs > 4000.0 + 1e-6].max() == 0.0
    m = widgets.mel_demo("mfcc", n_mels=20, n_mfcc=30)
    assert m["n_mfcc"] == 20 and m["features"].shape[1] == 20  # capped at n_mels
    f = widgets.mel_demo("fbank", n_mels=24)
    assert f["features"].shape[1] == 24 and f["extractor"].kind == "fbank"


# ----- the widget layer ----------------------------------------------------------------------


EXPLORERS = {
    "sampling": (widgets.sampling_explorer, {"freq_hz": 7000.0, "bits": 3}),
    "resampling": (widgets.resampling_explorer, {"method": "naive"}),
    "stft": (widgets.stft_explorer, {"n_fft": 2048, "window": "boxcar"}),
    "mel": (widgets.mel_explorer, {"kind": "mfcc", "n_mels": 64}),
}
FAST_KWARGS = {"sampling": {"duration": 0.25}, "resampling": {"duration": 0.25},
               "stft": {"duration": 0.5}, "mel": {"duration": 0.5}}


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_explorer_builds_and_redraws(name):
    import ipywidgets

    factory, change = EXPLORERS[name]
    if name == "resampling":
        kwargs = dict(FAST_KWARGS[name], method="kaiser_fast")
    else:
        kwargs = FAST_KWARGS[name]
    w = factory(**kwargs)
    assert isinstance(w, ipywidgets.VBox)
    assert "audiokit-explorer" in w._dom_classes
    assert f"audiokit-{name}-explorer" in w._dom_classes
    assert isinstance(w.output, ipywidgets.Output)
    for control in w.controls.values():
        assert control.description
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False
    assert w.figure is not None and w.result is not None
    before_png, before = w.png(), w.result
    result = w.update(**change)
    assert result is w.result and result is not before
    for key, value in change.items():
        assert w.controls[key].value == value
    assert w.png() != before_png
    # changing a control directly (as a browser would) redraws too
    fig = w.figure
    key, control = next((k, c) for k, c in w.controls.items() if hasattr(c, "options"))
    control.value = next(v for v in _option_values(control) if v != control.value)
    assert w.figure is not fig


def _option_values(control):
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def test_explorer_update_rejects_unknown_control():
    w = widgets.stft_explorer(duration=0.25)
    with pytest.raises(KeyError, match="unknown control"):
        w.update(nfft=1024)


def test_explorers_close_their_figures():
    import matplotlib.pyplot as plt

    plt.close("all")
    w = widgets.stft_explorer(duration=0.25)
    w.update(n_fft=256)
    assert plt.get_fignums() == []


def test_augmentation_explorer_redraws_and_demo_values():
    from audiokit import signals, widgets

    y = signals.harmonics(220, duration=0.5, sr=16000)
    demo = widgets.augmentation_demo(y, "gain", strength=0.5, sr=16000)
    # strength 0.5 of "gain" is -12 dB: the RMS drops by 12 dB.
    ratio_db = 20 * np.log10(signals.rms(demo["y_aug"]) / signals.rms(y))
    assert ratio_db == pytest.approx(-12, abs=0.05)
    assert demo["features"].shape == demo["features_aug"].shape
    ex = widgets.augmentation_explorer(y, sr=16000, name="noise", strength=0.2)
    assert "audiokit-explorer" in ex._dom_classes
    before = ex.png()
    ex.update(name="reverb", strength=1.0)
    assert ex.png() != before and ex.result["options"]["rt60"][0] == pytest.approx(1.55)
    with pytest.raises(ValueError, match="unknown augmentation"):
        widgets.augmentation_demo(y, "chorus")
