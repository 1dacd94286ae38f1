"""Widgets: every explorer builds, carries its CSS class, and redraws a different figure when a
control changes; the names that moved to lessons / plots / signals stay importable here.

The numbers behind the explorers are tested where they live (test_lessons, test_signals)."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from audiokit import signals, widgets

# ----- old names stay importable ------------------------------------------------------------


def test_moved_names_are_reexported_from_their_homes():
    """Notebooks written against audiokit.widgets keep working: the demos, their plots and the
    signal math moved to lessons / plots / signals and are the same objects here."""
    from audiokit import lessons, plots

    homes = {
        lessons: ["sampling_demo", "resampling_demo", "stft_demo", "mel_demo",
                  "augmentation_demo", "AUGMENT_STRENGTH", "RESAMPLING_METHODS", "STFT_WINDOWS"],
        plots: ["plot_sampling", "plot_resampling", "plot_stft", "plot_mel", "plot_augmentation"],
        signals: ["alias_frequency", "theoretical_snr", "chirp_and_clicks"],
    }
    for home, names in homes.items():
        for name in names:
            assert getattr(widgets, name) is getattr(home, name), name
            assert name in widgets.__all__


def test_the_math_layers_do_not_import_widgets():
    """Dependencies point one way: signals <- features <- plots/lessons <- widgets."""
    import json
    import subprocess
    import sys

    def loaded(imports: str, names: tuple[str, ...]) -> list[str]:
        code = (f"import json, sys, {imports}; "
                f"print(json.dumps(sorted(m for m in sys.modules if m in {names!r})))")
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        return json.loads(run.stdout)

    assert loaded("audiokit.lessons, audiokit.plots", ("audiokit.widgets", "ipywidgets")) == []
    assert loaded("audiokit.signals", ("audiokit.features", "torch")) == []


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


def test_augmentation_explorer_redraws():
    y = signals.harmonics(220, duration=0.5, sr=16000)
    ex = widgets.augmentation_explorer(y, sr=16000, name="noise", strength=0.2)
    assert "audiokit-explorer" in ex._dom_classes
    before = ex.png()
    ex.update(name="reverb", strength=1.0)
    assert ex.png() != before and ex.result["options"]["rt60"][0] == pytest.approx(1.55)
