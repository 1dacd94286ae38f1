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
