"""audiokit.plots: each helper draws, labels its axes with units and returns (fig, ax)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from audiokit import plots, signals


def _labels(ax):
    return ax.get_xlabel(), ax.get_ylabel()


def test_plot_waveform_mono_stereo_long():
    y = signals.sine(440, 0.1, 16000)
    fig, ax = plots.plot_waveform(y, 16000)
    assert isinstance(fig, plt.Figure) and _labels(ax) == ("time (s)", "amplitude")
    assert ax.get_xlim()[1] == pytest.approx(0.1)
    _, ax2 = plots.plot_waveform(np.stack([y, -y]), 16000)
    assert len(ax2.get_legend().get_texts()) == 2
    long = signals.noise(60, 16000)
    _, ax3 = plots.plot_waveform(long, 16000, max_points=2000)
    assert len(ax3.collections) == 1  # drawn as an envelope, not 960k points


def test_plot_spectrogram_axes_and_reuse_of_ax():
    S = np.random.default_rng(0).normal(size=(257, 100))
    fig, ax = plt.subplots(1, 2)
    f, a = plots.plot_spectrogram(S, 16000, 160, ax=ax[0])
    assert f is fig and a is ax[0]
    assert _labels(a) == ("time (s)", "frequency (Hz)")
    assert a.get_ylim()[1] == pytest.approx(8000) and a.get_xlim()[1] == pytest.approx(1.0)
    _, am = plots.plot_spectrogram(S[:80], 16000, 160, y_axis="mel", ax=ax[1])
    assert "mel" in am.get_ylabel()
    with pytest.raises(ValueError, match="y_axis"):
        plots.plot_spectrogram(S, 16000, 160, y_axis="bark")


def test_plot_features_filterbank_history_confusion_probabilities():
    _, ax = plots.plot_features(np.zeros((100, 40)), 16000, 160, kind="mfcc")
    assert ax.get_ylabel() == "coefficient"
    _, ax = plots.plot_filterbank(np.eye(10, 257), 16000)
    assert ax.get_xlabel() == "frequency (Hz)" and len(ax.lines) == 10
    hist = [{"epoch": 1, "train_loss": 2.0, "valid_loss": 1.5, "valid_acc": 0.5},
            {"epoch": 2, "train_loss": 1.0, "valid_loss": 0.9, "valid_acc": 0.8}]
    _, ax = plots.plot_history(hist)
    assert ax.get_xlabel() == "epoch" and len(ax.lines) == 2 and len(ax.right_ax.lines) == 1
    cm = np.array([[5, 1], [0, 4]])
    _, ax = plots.plot_confusion_matrix(cm, ["a", "b"], normalize=True)
    assert _labels(ax) == ("predicted class", "true class")
    assert [t.get_text() for t in ax.texts] == ["0.83", "0.17", "1.00"]
    with pytest.raises(ValueError, match="does not match"):
        plots.plot_confusion_matrix(cm, ["a", "b", "c"])
    _, ax = plots.plot_probabilities(np.array([0.1, 0.7, 0.2]), ["x", "y", "z"])
    assert ax.get_xlabel() == "probability"
    _, ax = plots.plot_probabilities(np.full((5, 3), 1 / 3), ["x", "y", "z"], times=np.arange(5) * 0.5)
    assert ax.get_xlabel() == "time (s)" and len(ax.lines) == 3


def _wav_rate(player) -> int:
    return int.from_bytes(player.data[24:28], "little")  # the WAV header's sample-rate field


def test_audio_player_resamples_unsafe_rates():
    assert _wav_rate(plots.audio(signals.sine(200, 0.5, 4000), 4000)) == 8000
    assert _wav_rate(plots.audio(signals.sine(200, 0.5, 16000), 16000)) == 16000
    assert _wav_rate(plots.audio(signals.sine(200, 0.1, 96000), 96000)) == 48000


def test_package_never_calls_show():
    import pathlib

    import audiokit

    root = pathlib.Path(audiokit.__file__).parent
    offenders = [p for p in root.rglob("*.py") if "plt." + "show(" in p.read_text()]
    assert offenders == []


def test_plot_embeddings_pca_and_tsne():
    rng = np.random.default_rng(0)
    centres = np.array([[5.0] * 8, [-5.0] * 8, [0.0] * 8])
    emb = np.concatenate([c + rng.normal(size=(10, 8)) for c in centres])
    labels = np.repeat([0, 1, 2], 10)
    xy = plots.project_2d(emb, "pca")
    # The first principal axis separates the two far clusters.
    assert abs(xy[:10, 0].mean() - xy[10:20, 0].mean()) > 10
    _, ax = plots.plot_embeddings(emb, labels, ["a", "b", "c"], method="pca")
    assert len(ax.collections) == 3 and ax.get_xlabel() == "PCA 1"
    pytest.importorskip("sklearn")
    _, ax = plots.plot_embeddings(emb, labels, ["a", "b", "c"], method="tsne")
    assert ax.get_xlabel() == "TSNE 1"
    with pytest.raises(ValueError, match="unknown method"):
        plots.project_2d(emb, "umap")


def test_lesson_plots_draw_the_demo_dicts():
    """Each lesson figure draws its demo's dict, labels axes with units, draws into given Axes."""
    from audiokit import lessons

    plt.close("all")
    d = lessons.sampling_demo(freq_hz=7000.0, sr=8000, bits=4, duration=0.1)
    fig, (ax_t, ax_f) = plots.plot_sampling(d)
    assert isinstance(fig, plt.Figure) and _labels(ax_t) == ("time (s)", "amplitude")
    assert _labels(ax_f) == ("frequency (Hz)", "magnitude (dB re full scale)")
    assert ax_f.get_xlim() == (0.0, 4000.0)  # 0 .. Nyquist
    labels = [t.get_text() for t in ax_t.get_legend().get_texts()]
    assert labels == ["tone 7000 Hz", "alias 1000 Hz", "samples @ 8000 Hz", "4-bit"]
    alias_line = ax_t.lines[1]
    np.testing.assert_array_equal(alias_line.get_ydata(), d["y_alias"])

    d = lessons.resampling_demo(32000, 8000, "naive", duration=0.2)
    fig, ax = plots.plot_resampling(d)
    assert _labels(ax) == ("time (s)", "frequency (Hz)") and ax.get_ylim()[1] == 4000.0
    assert ax.get_title().startswith("naive: 32000 Hz -> 8000 Hz")

    d = lessons.stft_demo("hann", 256, 64, duration=0.25)
    fig, axes = plt.subplots(1, 2)
    f, a = plots.plot_stft(d, ax=axes[1])
    assert f is fig and a is axes[1] and a.get_ylim() == (0.0, 5000.0)
    assert "62.5 Hz/bin, 16 ms frames" in a.get_title()
    vmin, vmax = a.images[0].get_clim()
    assert vmax == pytest.approx(d["S_db"].max()) and vmax - vmin == pytest.approx(80.0)

    d = lessons.mel_demo("log_mel", n_mels=24, duration=0.25)
    fig, (ax_fb, ax_x) = plots.plot_mel(d)
    assert len(ax_fb.lines) == 24 and ax_fb.get_xlabel() == "frequency (Hz)"
    assert ax_x.get_xlabel() == "time (s)" and "24 features per frame" in ax_x.get_title()

    y = signals.harmonics(220, duration=0.25, sr=16000)
    d = lessons.augmentation_demo(y, "gain", strength=0.5)
    fig, panels = plots.plot_augmentation(d)
    assert [p.get_title() for p in panels] == ["original", "gain (strength 0.50)"]
    assert panels[0].images[0].get_clim() == panels[1].images[0].get_clim()  # one colour scale
    with pytest.raises(ValueError, match="pair of Axes"):
        plots.plot_augmentation(d, ax=plt.subplots()[1])
    plt.close("all")
