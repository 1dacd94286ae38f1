"""Interactive explorers: thin ipywidgets layers over the lessons' plain functions.

Each explorer wires sliders to two functions that live elsewhere:

- a *demo* from :mod:`audiokit.lessons` (``sampling_demo``, ``resampling_demo``, ``stft_demo``,
  ``mel_demo``, ``augmentation_demo``) that takes plain numbers and returns a dict of arrays and
  numbers (all the logic; tests call it directly);
- a *plot* from :mod:`audiokit.plots` (``plot_sampling`` ...) that draws the dict and returns
  ``(fig, axes)``.

``xxx_explorer()`` returns an :class:`Explorer`, an ``ipywidgets.VBox`` with the controls on top
and an ``ipywidgets.Output`` below that shows the figure (as a PNG image) and, where it makes
sense, an audio player. Drive it from code with ``explorer.update(n_fft=1024)``; the last figure,
result dict and PNG bytes are in ``explorer.figure``, ``explorer.result`` and ``explorer.png()``.
Every explorer carries the CSS class ``audiokit-explorer`` (and ``audiokit-<name>-explorer``).

The demos, plots and signal math that used to live here are still importable from this module
(``widgets.sampling_demo``, ``widgets.plot_stft``, ``widgets.alias_frequency`` ...).

The browser microphone (``Recorder``, ``live_classifier``, ``collector``) is re-exported from
:mod:`audiokit.recorder` and :mod:`audiokit.live`.

Notebook: 01_digital_audio, 02_reading_and_resampling, 03_fourier_and_stft, 04_mel_mfcc_fbank,
05_datasets_and_augmentation, 18_record_yourself
"""

from __future__ import annotations

import io as _io
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from audiokit import lessons, plots
from audiokit.lessons import (
    AUGMENT_STRENGTH,
    RESAMPLING_METHODS,
    STFT_WINDOWS,
    augmentation_demo,
    mel_demo,
    resampling_demo,
    sampling_demo,
    stft_demo,
)
from audiokit.plots import (
    plot_augmentation,
    plot_mel,
    plot_resampling,
    plot_sampling,
    plot_stft,
)
from audiokit.signals import alias_frequency, chirp_and_clicks, theoretical_snr

__all__ = [
    "augmentation_explorer",
    "mel_explorer",
    "resampling_explorer",
    "sampling_explorer",
    "stft_explorer",
]
# Re-exported from their homes (see the module docstring).
__all__ += [
    "AUGMENT_STRENGTH",
    "RESAMPLING_METHODS",
    "STFT_WINDOWS",
    "alias_frequency",
    "augmentation_demo",
    "chirp_and_clicks",
    "mel_demo",
    "plot_augmentation",
    "plot_mel",
    "plot_resampling",
    "plot_sampling",
    "plot_stft",
    "resampling_demo",
    "sampling_demo",
    "stft_demo",
    "theoretical_snr",
]

# The browser microphone lives in audiokit.recorder (Recorder) and audiokit.live
# (live_classifier, collector); they load on first use (anywidget, torch), not with the explorers.
_MICROPHONE = {"Recorder": "recorder", "LiveClassifier": "live", "live_classifier": "live",
               "Collector": "live", "collector": "live"}
__all__ += list(_MICROPHONE)


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as err:  # pragma: no cover - ipywidgets is a runtime dependency
        raise ImportError("audiokit.widgets needs ipywidgets: pip install ipywidgets") from err
    return ipywidgets


class _ExplorerMixin:
    """update / png / redraw for :class:`Explorer` (kept apart so the class builds lazily)."""

    def _setup(self, name: str, controls: dict, compute: Callable[..., dict],
               draw: Callable[[dict], Any], sound: Callable[[dict], Any] | None) -> None:
        self.name = name
        self.controls = controls
        self._compute, self._draw, self._sound = compute, draw, sound
        self.figure = None
        self.result: dict[str, Any] | None = None
        self.error: str | None = None
        self._holding = False
        for control in controls.values():
            control.observe(self._on_change, names="value")

    def values(self) -> dict[str, Any]:
        """Current control values, ``{name: value}``."""
        return {k: c.value for k, c in self.controls.items()}

    def update(self, **values) -> dict[str, Any] | None:
        """Set controls by name (unknown names raise ``KeyError``) and redraw once.

        Returns the demo function's result dict (also in ``self.result``).
        """
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise KeyError(f"{self.name}: unknown control(s) {unknown}; "
                           f"controls: {sorted(self.controls)}")
        self._holding = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._holding = False
        return self.redraw()

    def _on_change(self, _change) -> None:
        if not self._holding:
            self.redraw()

    def redraw(self) -> dict[str, Any] | None:
        """Recompute with the current values, draw, and show the figure (and sound).

        The figure is rendered to PNG here and appended to the Output's ``outputs`` directly
        (``append_display_data``), not captured with ``with output:``; that keeps headless runs
        (papermill / nbclient) from waiting on widget capture messages.
        """
        from IPython.display import Image

        try:
            result = self._compute(**self.values())
        except ValueError as err:  # an impossible combination: say so, keep the old result
            self.error = str(err)
            self.output.outputs = ()
            self.output.append_stdout(f"cannot draw these settings: {err}\n")
            return None
        self.error = None
        fig, _ = self._draw(result)
        plt.close(fig)
        self.figure, self.result = fig, result
        self._png = None
        self.output.outputs = ()
        self.output.append_display_data(Image(data=self.png(dpi=90), format="png"))
        if self._sound is not None:
            self.output.append_display_data(self._sound(result))
        return result

    def png(self, dpi: int = 90) -> bytes:
        """The current figure rendered as PNG bytes (what the notebook shows)."""
        if self.figure is None:
            raise RuntimeError(f"{self.name}: nothing drawn yet")
        buf = _io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()


_EXPLORER_CLASS = None


def _explorer_class():
    global _EXPLORER_CLASS
    if _EXPLORER_CLASS is None:
        w = _ipywidgets()

        class Explorer(_ExplorerMixin, w.VBox):
            """A VBox of controls plus an Output showing a figure; see the module docstring."""

        _EXPLORER_CLASS = Explorer
    return _EXPLORER_CLASS


def __getattr__(name: str):
    if name == "Explorer":
        return _explorer_class()
    if name in _MICROPHONE:  # Recorder, live_classifier, collector: loaded on first use
        import importlib

        return getattr(importlib.import_module(f"audiokit.{_MICROPHONE[name]}"), name)
    raise AttributeError(f"module 'audiokit.widgets' has no attribute {name!r}")


def _build(name: str, controls: dict, compute, draw, sound=None, columns: int = 2):
    w = _ipywidgets()
    output = w.Output(layout=w.Layout(min_height="280px"))
    items = list(controls.values())
    rows = [w.HBox(items[i:i + columns]) for i in range(0, len(items), columns)]
    explorer = _explorer_class()(children=[*rows, output])
    explorer.output = output
    explorer._setup(name, controls, compute, draw, sound)
    explorer.add_class("audiokit-explorer")
    explorer.add_class(f"audiokit-{name}-explorer")
    explorer.redraw()
    return explorer


def _slider(kind: str, description: str, value, **kwargs):
    w = _ipywidgets()
    cls = {"int": w.IntSlider, "float": w.FloatSlider, "select": w.SelectionSlider}[kind]
    return cls(value=value, description=description, continuous_update=False,
               style={"description_width": "initial"}, **kwargs)


def sampling_explorer(freq_hz: float = 440.0, sr: int = 8000, bits: int = 8,
                      amplitude: float = 0.5, duration: float = 1.0):
    """Tone frequency, sample rate and bit depth -> time view, spectrum and sound.

    Push the tone above ``sr / 2`` to see (and hear) it fold back; lower the bit depth to see
    the staircase and hear the hiss. Drive it with ``explorer.update(freq_hz=7000)``.

    Notebook: 01_digital_audio
    """
    controls = {
        "freq_hz": _slider("float", "tone frequency (Hz)", float(freq_hz), min=50.0,
                           max=20000.0, step=50.0),
        "sr": _slider("select", "sample rate (Hz)", int(sr),
                      options=[4000, 8000, 11025, 16000, 22050, 32000, 44100, 48000]),
        "bits": _slider("int", "bit depth", int(bits), min=1, max=24),
        "amplitude": _slider("float", "amplitude (peak)", float(amplitude), min=0.05, max=1.0,
                             step=0.05),
    }

    def compute(**v):
        return lessons.sampling_demo(duration=duration, **v)

    def sound(d):
        return plots.audio(d["audio"], d["sr"])

    return _build("sampling", controls, compute, plots.plot_sampling, sound)


def resampling_explorer(orig_sr: int = 48000, target_sr: int = 8000,
                        method: str = "kaiser_best", duration: float = 1.0):
    """Original rate, target rate and method -> spectrogram of the resampled chirp and sound.

    With ``naive`` decimation the part of the sweep above the new Nyquist frequency folds back
    as a falling line; resampy's filters remove it. Drive it with
    ``explorer.update(method="naive")``.

    Notebook: 02_reading_and_resampling
    """
    w = _ipywidgets()
    rates = [8000, 11025, 16000, 22050, 32000, 44100, 48000]
    controls = {
        "orig_sr": _slider("select", "original rate (Hz)", int(orig_sr), options=rates),
        "target_sr": _slider("select", "target rate (Hz)", int(target_sr), options=rates),
        "method": w.ToggleButtons(options=list(lessons.RESAMPLING_METHODS), value=method,
                                  description="method"),
    }

    def compute(**v):
        return lessons.resampling_demo(duration=duration, **v)

    def sound(d):
        return plots.audio(d["y_out"], d["sr_out"])

    return _build("resampling", controls, compute, plots.plot_resampling, sound)


def stft_explorer(window: str = "hann", n_fft: int = 512, hop_length: int = 128,
                  sr: int = 16000, duration: float = 1.0, y: np.ndarray | None = None):
    """Window, n_fft and hop -> spectrogram of the chirp + close tones + clicks signal.

    Long frames separate the 1000/1080 Hz tones but smear the clicks; short frames do the
    opposite. Drive it with ``explorer.update(n_fft=2048)``.

    Notebook: 03_fourier_and_stft
    """
    w = _ipywidgets()
    controls = {
        "window": w.Dropdown(options=[("rectangular" if n == "boxcar" else n, n)
                                      for n in lessons.STFT_WINDOWS],
                             value=window, description="window"),
        "n_fft": _slider("select", "n_fft (samples)", int(n_fft),
                         options=[64, 128, 256, 512, 1024, 2048, 4096]),
        "hop_length": _slider("select", "hop (samples)", int(hop_length),
                              options=[16, 32, 64, 128, 256, 512, 1024]),
    }

    def compute(**v):
        return lessons.stft_demo(sr=sr, duration=duration, y=y, **v)

    return _build("stft", controls, compute, plots.plot_stft, None, columns=3)


def mel_explorer(kind: str = "log_mel", n_mels: int = 40, n_mfcc: int = 13,
                 f_max: float = 8000.0, sr: int = 16000, duration: float = 1.0,
                 y: np.ndarray | None = None):
    """n_mels, n_mfcc, f_max and kind -> the filterbank and the features of
    ``FeatureExtractor``. Drive it with ``explorer.update(kind="mfcc", n_mfcc=20)``.

    Notebook: 04_mel_mfcc_fbank
    """
    w = _ipywidgets()
    controls = {
        "kind": w.ToggleButtons(options=["log_mel", "mfcc", "fbank"], value=kind,
                                description="kind"),
        "n_mels": _slider("int", "n_mels", int(n_mels), min=8, max=128, step=4),
        "n_mfcc": _slider("int", "n_mfcc", int(n_mfcc), min=4, max=40),
        "f_max": _slider("float", "f_max (Hz)", float(f_max), min=1000.0, max=sr / 2,
                         step=500.0),
    }

    def compute(**v):
        return lessons.mel_demo(sr=sr, duration=duration, y=y, **v)

    return _build("mel", controls, compute, plots.plot_mel, None)


def augmentation_explorer(y: np.ndarray, sr: int = 16000, name: str = "noise",
                          strength: float = 0.5, seed: int = 0, extractor=None):
    """Pick a waveform augmentation and a strength; see the features change and hear the clip.

    Drive it with ``explorer.update(name="reverb", strength=1.0)``.

    Notebook: 05_datasets_and_augmentation
    """
    w = _ipywidgets()
    controls = {
        "name": w.Dropdown(options=list(lessons.AUGMENT_STRENGTH), value=name,
                           description="augment"),
        "strength": _slider("float", "strength", float(strength), min=0.0, max=1.0, step=0.05),
    }

    def compute(**v):
        return lessons.augmentation_demo(y, sr=sr, seed=seed, extractor=extractor, **v)

    def sound(d):
        return plots.audio(d["y_aug"], d["sr"])

    return _build("augmentation", controls, compute, plots.plot_augmentation, sound)
