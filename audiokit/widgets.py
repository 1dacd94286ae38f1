"""Interactive explorers: thin ipywidgets layers over plain functions.

Each explorer has two halves:

- a *demo* function (``sampling_demo``, ``resampling_demo``, ``stft_demo``, ``mel_demo``) that
  takes plain numbers and returns a dict of arrays and numbers. All the logic lives there (or in
  :mod:`audiokit.signals`, :mod:`audiokit.io` and :mod:`audiokit.features`), so tests call it
  directly;
- a *plot* function (``plot_sampling`` ...) that draws the dict with :mod:`audiokit.plots` and
  returns ``(fig, axes)``.

``xxx_explorer()`` wires sliders to those two functions and returns an :class:`Explorer`, an
``ipywidgets.VBox`` with the controls on top and an ``ipywidgets.Output`` below that shows the
figure (as a PNG image) and, where it makes sense, an audio player. Drive it from code with
``explorer.update(n_fft=1024)``; the last figure, result dict and PNG bytes are in
``explorer.figure``, ``explorer.result`` and ``explorer.png()``. Every explorer carries the CSS
class ``audiokit-explorer`` (and ``audiokit-<name>-explorer``).

Notebook: 01_digital_audio, 02_reading_and_resampling, 03_fourier_and_stft, 04_mel_mfcc_fbank
"""

from __future__ import annotations

import io as _io
import time
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from audiokit import plots, signals

__all__ = [
    "alias_frequency",
    "chirp_and_clicks",
    "mel_demo",
    "mel_explorer",
    "plot_mel",
    "plot_resampling",
    "plot_sampling",
    "plot_stft",
    "resampling_demo",
    "resampling_explorer",
    "sampling_demo",
    "sampling_explorer",
    "stft_demo",
    "stft_explorer",
    "theoretical_snr",
]

#: Resampling methods offered by :func:`resampling_demo`.
RESAMPLING_METHODS = ("kaiser_best", "kaiser_fast", "naive")
#: Windows offered by :func:`stft_demo`.
STFT_WINDOWS = ("hann", "hamming", "blackman", "boxcar")


# ---------------------------------------------------------------------------------------------
# Sampling and quantisation
# ---------------------------------------------------------------------------------------------


def alias_frequency(freq_hz: float, sr: int) -> float:
    """The frequency in Hz at which a tone of ``freq_hz`` is heard after sampling at ``sr`` Hz.

    Sampling cannot tell ``f`` from ``f + k * sr`` or ``k * sr - f``: the spectrum folds at the
    Nyquist frequency ``sr / 2``. The result is in ``[0, sr / 2]``.

    Examples
    --------
    >>> alias_frequency(7000, 8000)
    1000.0

    Notebook: 01_digital_audio
    """
    if sr <= 0:
        raise ValueError(f"sr must be positive, got {sr}")
    f = abs(float(freq_hz)) % sr
    return float(min(f, sr - f))


def theoretical_snr(bits: int, amplitude: float = 1.0) -> float:
    """Quantisation SNR in dB of a sine of peak ``amplitude`` (full scale = 1):
    ``6.02 * bits + 1.76 + 20 log10(amplitude)``.

    Notebook: 01_digital_audio
    """
    return float(6.02 * bits + 1.76 + 20 * np.log10(amplitude))


def sampling_demo(freq_hz: float = 440.0, sr: int = 8000, bits: int = 16,
                  amplitude: float = 0.5, duration: float = 1.0,
                  view_s: float = 0.004) -> dict[str, Any]:
    """Sample and quantise a tone; return what to plot and hear.

    Parameters
    ----------
    freq_hz : float
        Tone frequency in Hz (may exceed the Nyquist frequency ``sr / 2`` to show aliasing).
    sr : int
        Sample rate in Hz.
    bits : int
        Bit depth of the quantiser (1 to 32).
    amplitude : float
        Peak amplitude (1.0 = full scale).
    duration : float
        Length of the sampled tone in seconds (the spectrum and the sound use all of it).
    view_s : float
        Length of the zoomed time view in seconds.

    Returns
    -------
    dict
        ``t_cont, y_cont``: the "continuous" tone on a dense grid over ``view_s`` (s, amplitude);
        ``t, y, y_q``: sample times (s), samples and quantised samples over ``view_s``;
        ``audio``: the quantised tone, ``duration`` seconds at ``sr``;
        ``freqs, spectrum_db``: magnitude spectrum of ``audio`` (Hz, dB re full scale);
        ``nyquist_hz``, ``alias_hz``, ``aliased`` (bool), ``snr_db`` (measured),
        ``snr_theory_db`` and the input parameters.

    Notebook: 01_digital_audio
    """
    if not 1 <= int(bits) <= 32:
        raise ValueError(f"bits must be between 1 and 32, got {bits}")
    sr, bits = int(sr), int(bits)
    y_full = signals.sine(freq_hz, duration=duration, sr=sr, amplitude=amplitude)
    y_q_full = signals.quantize(y_full, bits)
    n_view = max(2, round(view_s * sr))
    t_cont = np.linspace(0.0, n_view / sr, 4000, endpoint=False)
    window = np.hanning(len(y_q_full))
    spectrum = np.abs(np.fft.rfft(y_q_full * window)) / (window.sum() / 2)
    alias = alias_frequency(freq_hz, sr)
    return {
        "freq_hz": float(freq_hz), "sr": sr, "bits": bits, "amplitude": float(amplitude),
        "t_cont": t_cont,
        "y_cont": amplitude * np.sin(2 * np.pi * freq_hz * t_cont),
        "t": np.arange(n_view) / sr,
        "y": y_full[:n_view],
        "y_q": y_q_full[:n_view],
        "audio": y_q_full,
        "freqs": np.fft.rfftfreq(len(y_q_full), 1.0 / sr),
        "spectrum_db": signals.amplitude_to_db(spectrum, floor_db=-160.0),
        "nyquist_hz": sr / 2,
        "alias_hz": alias,
        "aliased": bool(abs(alias - abs(freq_hz)) > 1e-9),
        "snr_db": signals.quantization_snr(y_full, bits),
        "snr_theory_db": theoretical_snr(bits, amplitude),
    }


def plot_sampling(demo: dict[str, Any]):
    """Draw :func:`sampling_demo`'s result: time view (continuous, sampled, quantised) and the
    spectrum with the Nyquist frequency and the alias marked.

    Returns
    -------
    (Figure, array of Axes)

    Notebook: 01_digital_audio
    """
    fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(11, 3.4), layout="constrained")
    sr = demo["sr"]
    dense_sr = len(demo["t_cont"]) / demo["t_cont"][-1] if len(demo["t_cont"]) > 1 else sr
    plots.plot_waveform(demo["y_cont"], round(dense_sr), ax=ax_t, color="0.6")
    ax_t.lines[-1].set_label(f"tone {demo['freq_hz']:.0f} Hz")
    if demo["aliased"]:
        t = demo["t_cont"]
        ax_t.plot(t, demo["amplitude"] * np.sin(2 * np.pi * demo["alias_hz"] * t
                                                * np.sign(_fold_sign(demo["freq_hz"], sr))),
                  "--", color="tab:red", lw=1, label=f"alias {demo['alias_hz']:.0f} Hz")
    ax_t.plot(demo["t"], demo["y"], "o", ms=4, color="tab:blue", label=f"samples @ {sr} Hz")
    ax_t.step(demo["t"], demo["y_q"], where="post", color="tab:orange", lw=1.2,
              label=f"{demo['bits']}-bit")
    ax_t.set_xlim(0, demo["t_cont"][-1])
    ax_t.legend(loc="upper right", fontsize="x-small")
    ax_t.set_title("time: tone, samples and quantised samples")
    ax_f.plot(demo["freqs"], demo["spectrum_db"], lw=0.8)
    ax_f.axvline(demo["alias_hz"], color="tab:red", ls="--", lw=1,
                 label=f"heard at {demo['alias_hz']:.0f} Hz")
    ax_f.set_xlim(0, demo["nyquist_hz"])
    ax_f.set_ylim(max(-165.0, float(demo["spectrum_db"].min()) - 5), 5)
    ax_f.set_xlabel("frequency (Hz)")
    ax_f.set_ylabel("magnitude (dB re full scale)")
    ax_f.legend(loc="upper right", fontsize="x-small")
    ax_f.set_title(f"spectrum (0 .. Nyquist {demo['nyquist_hz']:.0f} Hz); SNR "
                   f"{demo['snr_db']:.1f} dB, theory {demo['snr_theory_db']:.1f} dB",
                   fontsize="small")
    return fig, np.array([ax_t, ax_f])


def _fold_sign(freq_hz: float, sr: int) -> float:
    """+1 if the alias keeps the tone's phase direction, -1 if folding mirrors it."""
    f = abs(float(freq_hz)) % sr
    return 1.0 if f <= sr / 2 else -1.0


# ---------------------------------------------------------------------------------------------
# Resampling
# ---------------------------------------------------------------------------------------------


def _sweep(sr: int, duration: float) -> np.ndarray:
    """A linear chirp from 100 Hz to 0.45 * sr: it crosses every lower Nyquist frequency."""
    return signals.chirp(100.0, 0.45 * sr, duration=duration, sr=sr, amplitude=0.5)


def resampling_demo(orig_sr: int = 48000, target_sr: int = 16000, method: str = "kaiser_best",
                    duration: float = 1.0, y: np.ndarray | None = None,
                    n_fft: int = 512) -> dict[str, Any]:
    """Resample a signal (default: a chirp up to ``0.45 * orig_sr``) and measure the result.

    Parameters
    ----------
    orig_sr, target_sr : int
        Sample rates in Hz.
    method : {"kaiser_best", "kaiser_fast", "naive"}
        resampy's filters (:func:`audiokit.io.resample`), or ``naive`` decimation that keeps
        every ``round(orig_sr / target_sr)``-th sample with no low-pass filter
        (:func:`audiokit.signals.decimate_naive`); its rate is ``orig_sr / factor``.
    duration : float
        Length of the default chirp in seconds.
    y : np.ndarray, optional
        Your own signal at ``orig_sr`` instead of the chirp.
    n_fft : int
        FFT size of the output spectrogram (hop ``n_fft // 4``).

    Returns
    -------
    dict
        ``y_in``, ``y_out``, ``sr_out`` (Hz), ``seconds`` (time spent resampling),
        ``S_db`` (output spectrogram in dB), ``n_fft``, ``hop_length``, ``method``, ``orig_sr``.

    Notebook: 02_reading_and_resampling
    """
    from audiokit import io as aio
    from audiokit.features import stft

    if method not in RESAMPLING_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(RESAMPLING_METHODS)}")
    orig_sr, target_sr = int(orig_sr), int(target_sr)
    y_in = _sweep(orig_sr, duration) if y is None else np.asarray(y, dtype=np.float32)
    start = time.perf_counter()
    if method == "naive":
        factor = max(1, round(orig_sr / target_sr))
        y_out = signals.decimate_naive(y_in, factor)
        sr_out = round(orig_sr / factor)
    else:
        y_out = aio.resample(y_in, orig_sr, target_sr, res_type=method)
        sr_out = target_sr
    seconds = time.perf_counter() - start
    hop = n_fft // 4
    # |X| / (sum(hann) / 2) = peak amplitude of a sinusoid, so 0 dB is a full-scale tone
    X = np.abs(stft(y_out, n_fft=n_fft, hop_length=hop, win_length=n_fft)) / (n_fft / 4)
    return {
        "orig_sr": orig_sr, "target_sr": target_sr, "method": method,
        "y_in": y_in, "y_out": y_out, "sr_out": sr_out, "seconds": seconds,
        "S_db": signals.amplitude_to_db(X), "n_fft": n_fft, "hop_length": hop,
    }


def plot_resampling(demo: dict[str, Any]):
    """Spectrogram of :func:`resampling_demo`'s output (aliases show as mirrored sweeps).

    Notebook: 02_reading_and_resampling
    """
    fig, ax = plots.plot_spectrogram(
        demo["S_db"], demo["sr_out"], demo["hop_length"], vmin=-100, vmax=0,
        title=(f"{demo['method']}: {demo['orig_sr']} Hz -> {demo['sr_out']} Hz "
               f"({1000 * demo['seconds']:.2f} ms)"))
    fig.set_size_inches(8, 3.2)
    return fig, ax


# ---------------------------------------------------------------------------------------------
# STFT
# ---------------------------------------------------------------------------------------------


def chirp_and_clicks(sr: int = 16000, duration: float = 1.0) -> np.ndarray:
    """The STFT test signal: a 200 -> 4000 Hz chirp, two close tones (1000 and 1080 Hz) and a
    click train at 5 Hz. Clicks need short frames, the close tones need long ones.

    Notebook: 03_fourier_and_stft
    """
    y = signals.chirp(200.0, min(4000.0, 0.45 * sr), duration=duration, sr=sr, amplitude=0.3)
    y = y + signals.sine(1000.0, duration, sr, amplitude=0.15)
    y = y + signals.sine(1080.0, duration, sr, amplitude=0.15)
    y = y + signals.click_train(5.0, duration, sr, amplitude=0.8)
    return y.astype(np.float32)


def stft_demo(window: str = "hann", n_fft: int = 512, hop_length: int = 128, sr: int = 16000,
              duration: float = 1.0, y: np.ndarray | None = None) -> dict[str, Any]:
    """Spectrogram of :func:`chirp_and_clicks` (or ``y``) with a window as long as ``n_fft``.

    Parameters
    ----------
    window : str
        Window name (``hann``, ``hamming``, ``blackman``, ``boxcar`` = rectangular).
    n_fft : int
        Frame and FFT length in samples: frequency resolution ``sr / n_fft`` Hz, time extent
        ``n_fft / sr`` seconds.
    hop_length : int
        Samples between frames.

    Returns
    -------
    dict
        ``y``, ``S_db`` ``(n_fft // 2 + 1, frames)``, ``bin_hz`` (Hz per bin), ``frame_s``
        (window length in s), ``hop_s`` (s), ``n_frames`` and the parameters.

    Notebook: 03_fourier_and_stft
    """
    from audiokit.features import stft

    if hop_length <= 0 or n_fft <= 0:
        raise ValueError(f"n_fft and hop_length must be positive, got {n_fft}, {hop_length}")
    y = chirp_and_clicks(sr, duration) if y is None else np.asarray(y, dtype=np.float32)
    X = stft(y, n_fft=int(n_fft), hop_length=int(hop_length), win_length=int(n_fft),
             window=window)
    return {
        "y": y, "sr": int(sr), "window": window, "n_fft": int(n_fft),
        "hop_length": int(hop_length), "S_db": signals.amplitude_to_db(np.abs(X)),
        "bin_hz": sr / n_fft, "frame_s": n_fft / sr, "hop_s": hop_length / sr,
        "n_frames": X.shape[1],
    }


def plot_stft(demo: dict[str, Any], ax=None, f_max: float | None = 5000.0):
    """Draw :func:`stft_demo`'s spectrogram, titled with its resolutions.

    Notebook: 03_fourier_and_stft
    """
    fig, ax = plots.plot_spectrogram(
        demo["S_db"], demo["sr"], demo["hop_length"], ax=ax,
        vmin=float(demo["S_db"].max()) - 80, vmax=float(demo["S_db"].max()),
        title=(f"{demo['window']}, n_fft={demo['n_fft']}, hop={demo['hop_length']}: "
               f"{demo['bin_hz']:.1f} Hz/bin, {1000 * demo['frame_s']:.0f} ms frames"))
    if f_max:
        ax.set_ylim(0, f_max)
    ax.title.set_fontsize("small")
    return fig, ax


# ---------------------------------------------------------------------------------------------
# Mel, MFCC, fbank
# ---------------------------------------------------------------------------------------------


def _vowel_like(sr: int, duration: float) -> np.ndarray:
    """A harmonic tone whose pitch glides 120 -> 240 Hz, then a noise burst: speech-like bands."""
    n = round(duration * sr)
    t = np.arange(n) / sr
    f0 = 120.0 * 2 ** (t / max(duration, 1e-9))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 30) if k * 240.0 < sr / 2)
    y = 0.3 * y / np.abs(y).max()
    env = signals.adsr(n, sr, attack=0.02, decay=0.1, sustain=0.7, release=0.1)
    burst = signals.noise(duration, sr, amplitude=0.05, seed=1)
    burst[: int(0.7 * n)] = 0
    return (y * env + burst).astype(np.float32)


def mel_demo(kind: str = "log_mel", n_mels: int = 40, n_mfcc: int = 13,
             f_max: float | None = None, sr: int = 16000, duration: float = 1.0,
             y: np.ndarray | None = None, normalize: str | None = None) -> dict[str, Any]:
    """Features of a speech-like test signal (or ``y``) from the package's ``FeatureExtractor``.

    Parameters
    ----------
    kind : {"log_mel", "mfcc", "fbank"}
        Feature kind (see :class:`audiokit.features.FeatureExtractor`).
    n_mels, n_mfcc : int
        Mel bands and cepstral coefficients (``n_mfcc`` is capped at ``n_mels``).
    f_max : float, optional
        Highest filter edge in Hz (None = Nyquist ``sr / 2``).
    normalize : None, "cmn" or "cmvn"
        Per-utterance normalisation.

    Returns
    -------
    dict
        ``features`` ``(frames, n_features)``, ``filterbank`` ``(n_mels, n_bins)`` (weights over
        FFT bins from 0 to ``sr / 2``), ``extractor`` (the module), ``y`` and the parameters.

    Notebook: 04_mel_mfcc_fbank
    """
    import torch

    from audiokit.features import FeatureExtractor

    n_mfcc = min(int(n_mfcc), int(n_mels))
    ext = FeatureExtractor(kind, sample_rate=sr, n_mels=int(n_mels), n_mfcc=n_mfcc,
                           f_max=None if f_max is None else float(f_max), normalize=normalize)
    y = _vowel_like(sr, duration) if y is None else np.asarray(y, dtype=np.float32)
    with torch.no_grad():
        feats, _ = ext(torch.from_numpy(y)[None])
    return {
        "kind": kind, "sr": int(sr), "n_mels": int(n_mels), "n_mfcc": n_mfcc,
        "f_max": sr / 2 if f_max is None else float(f_max), "y": y, "extractor": ext,
        "features": feats[0].numpy(), "filterbank": ext.mel_fb.T.numpy(),
        "hop_length": ext.hop_length,
    }


def plot_mel(demo: dict[str, Any]):
    """Filterbank (left) and features (right) of :func:`mel_demo`.

    Notebook: 04_mel_mfcc_fbank
    """
    fig, (ax_fb, ax_x) = plt.subplots(1, 2, figsize=(11, 3.4), layout="constrained",
                                      gridspec_kw={"width_ratios": [1, 1.4]})
    plots.plot_filterbank(demo["filterbank"], demo["sr"], ax=ax_fb,
                          title=f"{demo['n_mels']} filters up to {demo['f_max']:.0f} Hz")
    plots.plot_features(demo["features"], demo["sr"], demo["hop_length"], ax=ax_x,
                        kind=demo["kind"], vmin=float(np.percentile(demo["features"], 2)),
                        vmax=float(np.percentile(demo["features"], 98)),
                        title=f"{demo['kind']}: {demo['features'].shape[1]} features per frame")
    return fig, np.array([ax_fb, ax_x])


# ---------------------------------------------------------------------------------------------
# The widget layer
# ---------------------------------------------------------------------------------------------


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
        return sampling_demo(duration=duration, **v)

    def sound(d):
        return plots.audio(d["audio"], d["sr"])

    return _build("sampling", controls, compute, plot_sampling, sound)


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
        "method": w.ToggleButtons(options=list(RESAMPLING_METHODS), value=method,
                                  description="method"),
    }

    def compute(**v):
        return resampling_demo(duration=duration, **v)

    def sound(d):
        return plots.audio(d["y_out"], d["sr_out"])

    return _build("resampling", controls, compute, plot_resampling, sound)


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
                                      for n in STFT_WINDOWS],
                             value=window, description="window"),
        "n_fft": _slider("select", "n_fft (samples)", int(n_fft),
                         options=[64, 128, 256, 512, 1024, 2048, 4096]),
        "hop_length": _slider("select", "hop (samples)", int(hop_length),
                              options=[16, 32, 64, 128, 256, 512, 1024]),
    }

    def compute(**v):
        return stft_demo(sr=sr, duration=duration, y=y, **v)

    def draw(d):
        return plot_stft(d)

    return _build("stft", controls, compute, draw, None, columns=3)


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
        return mel_demo(sr=sr, duration=duration, y=y, **v)

    return _build("mel", controls, compute, plot_mel, None)


#: Strength ``s`` in [0, 1] (0 = barely, 1 = a lot) -> options of each waveform augmentation,
#: so one slider can drive transforms whose options have different names and units.
AUGMENT_STRENGTH: dict[str, Callable[[float], dict]] = {
    "gain": lambda s: {"min_db": -24 * s, "max_db": -24 * s},
    "noise": lambda s: {"snr_db": (30 - 30 * s, 30 - 30 * s), "kind": "pink"},
    "speed": lambda s: {"factors": (1 + 0.5 * s,)},
    "shift": lambda s: {"max_shift_s": 0.3 * s, "mode": "zero"},
    "reverb": lambda s: {"rt60": (0.05 + 1.5 * s, 0.05 + 1.5 * s)},
}


def augmentation_demo(y: np.ndarray, name: str = "noise", strength: float = 0.5, sr: int = 16000,
                      seed: int = 0, extractor=None) -> dict[str, Any]:
    """Apply one waveform augmentation at a ``strength`` in [0, 1] to one clip.

    Returns
    -------
    dict
        ``y`` (original), ``y_aug`` (augmented samples), ``options`` (the transform's keyword
        arguments), ``features`` and ``features_aug`` (``(frames, n_features)``), ``sr``,
        ``hop_length``, ``kind``.

    Notebook: 05_datasets_and_augmentation
    """
    import torch

    from audiokit import augment
    from audiokit.features import FeatureExtractor

    if name not in AUGMENT_STRENGTH:
        raise ValueError(f"unknown augmentation {name!r}; choose from {', '.join(AUGMENT_STRENGTH)}")
    options = AUGMENT_STRENGTH[name](float(strength))
    y = np.asarray(y, dtype=np.float32)
    y_aug = augment.preview(y, sr, name, seed=seed, **options)
    fe = extractor or FeatureExtractor("log_mel", sample_rate=sr, n_mels=64)
    with torch.no_grad():
        feats = fe(torch.from_numpy(y)[None])[0].numpy()
        feats_aug = fe(torch.from_numpy(y_aug)[None])[0].numpy()
    return {"y": y, "y_aug": y_aug, "options": options, "features": feats,
            "features_aug": feats_aug, "sr": sr, "hop_length": fe.hop_length, "kind": fe.kind,
            "name": name, "strength": float(strength)}


def plot_augmentation(demo: dict[str, Any]):
    """Features before and after the augmentation, on one colour scale.

    Notebook: 05_datasets_and_augmentation
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3), layout="constrained", sharey=True)
    vmax = float(demo["features"].max())
    for ax, key, title in ((axes[0], "features", "original"),
                           (axes[1], "features_aug", f"{demo['name']} (strength {demo['strength']:.2f})")):
        plots.plot_features(demo[key], demo["sr"], demo["hop_length"], kind=demo["kind"], ax=ax,
                            title=title, vmin=vmax - 80, vmax=vmax, colorbar=ax is axes[1])
    return fig, axes


def augmentation_explorer(y: np.ndarray, sr: int = 16000, name: str = "noise",
                          strength: float = 0.5, seed: int = 0, extractor=None):
    """Pick a waveform augmentation and a strength; see the features change and hear the clip.

    Drive it with ``explorer.update(name="reverb", strength=1.0)``.

    Notebook: 05_datasets_and_augmentation
    """
    w = _ipywidgets()
    controls = {
        "name": w.Dropdown(options=list(AUGMENT_STRENGTH), value=name, description="augment"),
        "strength": _slider("float", "strength", float(strength), min=0.0, max=1.0, step=0.05),
    }

    def compute(**v):
        return augmentation_demo(y, sr=sr, seed=seed, extractor=extractor, **v)

    def sound(d):
        return plots.audio(d["y_aug"], d["sr"])

    return _build("augmentation", controls, compute, plot_augmentation, sound)
