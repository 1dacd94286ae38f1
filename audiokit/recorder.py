"""The browser microphone: a Recorder widget, and the one place browser PCM becomes a waveform.

The browser half (``audiokit/static/recorder.js``, an anywidget ESM) captures raw float32 PCM at
the AudioContext's own rate (44.1 kHz in headless Chromium, 48 kHz on most laptops) and sends it
with that rate. Here it becomes a float32 NumPy array at ``sample_rate`` through
:func:`audiokit.io.resample` (the browser's own resampler loses the top of the band and aliases),
and the widget gets back a PNG (waveform + log-mel) and a WAV for its player.

Nothing downstream knows the audio came from a browser: :attr:`Recorder.waveform` is what
:func:`audiokit.io.load` would have given for the same clip.

Notebook: 18_record_yourself
"""

from __future__ import annotations

import io as _bytesio
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from audiokit import io

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Recorder",
    "max_seconds",
    "pcm_from_bytes",
    "recording_figure",
    "to_waveform",
    "wav_bytes",
]

#: Tornado's default websocket limit per message (bytes); Jupyter servers keep it.
WEBSOCKET_LIMIT_BYTES = 10 * 1024 * 1024
#: What one recording may take of it: the rest is the message's JSON header and framing.
MAX_MESSAGE_BYTES = WEBSOCKET_LIMIT_BYTES - 64 * 1024

_STATIC = Path(__file__).parent / "static"


def pcm_from_bytes(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Little-endian float32 samples (the browser's ``Float32Array``) -> a float32 array (n,).

    Raises
    ------
    ValueError
        When the byte count is not a multiple of 4, or a sample is NaN or infinite.

    Notebook: 18_record_yourself
    """
    raw = memoryview(data).cast("B")
    if raw.nbytes % 4:
        raise ValueError(f"browser PCM must be float32 (4 bytes a sample); got {raw.nbytes} bytes")
    y = np.frombuffer(raw, dtype="<f4").astype(np.float32)  # a copy: the buffer is not ours
    if not np.isfinite(y).all():
        raise ValueError("the browser sent samples that are not finite numbers")
    return y


def to_waveform(data: bytes | bytearray | memoryview, browser_sr: int, sample_rate: int) -> np.ndarray:
    """Browser PCM bytes captured at ``browser_sr`` Hz -> float32 samples at ``sample_rate`` Hz.

    Resampled with the kit's band-limited resampler (:func:`audiokit.io.resample`).

    Notebook: 18_record_yourself
    """
    if not browser_sr or int(browser_sr) <= 0:
        raise ValueError(f"the browser sent no valid sample rate ({browser_sr!r})")
    return io.resample(pcm_from_bytes(data), int(browser_sr), int(sample_rate))


def max_seconds(browser_sr: int, limit_bytes: int = MAX_MESSAGE_BYTES) -> float:
    """The longest recording (seconds) at ``browser_sr`` Hz that fits one notebook message.

    float32 mono is ``4 * browser_sr`` bytes a second: about 54 s at 48 kHz for 10 MiB.

    Notebook: 18_record_yourself
    """
    return math.floor(limit_bytes / 4 / browser_sr)


def recording_figure(y: np.ndarray, sr: int, title: str | None = None) -> bytes:
    """PNG bytes of a recording: the waveform above its log-mel spectrogram (64 bands, 25/10 ms).

    Notebook: 18_record_yourself
    """
    import librosa
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from audiokit.plots import plot_spectrogram, plot_waveform

    n_fft, hop = round(0.025 * sr), round(0.010 * sr)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=64)
    fig = Figure(figsize=(8, 4), layout="constrained")
    FigureCanvasAgg(fig)
    ax_wave, ax_mel = fig.subplots(2, 1)
    plot_waveform(y, sr, ax=ax_wave, title=title)
    plot_spectrogram(librosa.power_to_db(mel, ref=1.0, top_db=80.0), sr, hop, ax=ax_mel,
                     y_axis="mel", title="log-mel spectrogram")
    buf = _bytesio.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """A 16-bit WAV file in memory (for the widget's player).

    Notebook: 18_record_yourself
    """
    import soundfile as sf

    buf = _bytesio.BytesIO()
    sf.write(buf, np.clip(y, -1.0, 1.0), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _bytes_from_json(value: Any, widget: Any) -> bytes:
    """The kernel receives a ``memoryview`` (or None): a plain Bytes trait would reject it."""
    return b"" if value is None else bytes(value)


class Recorder(anywidget.AnyWidget):
    """Record from the browser's microphone; the kernel gets a float32 waveform.

    Parameters
    ----------
    seconds : float
        Length of each recording in seconds.
    sample_rate : int
        Rate of :attr:`waveform` in Hz (the browser's rate is resampled to it).
    listen_button : bool
        Also show a **Listen** toggle that streams short chunks to :meth:`on_chunk` callbacks.
    chunk_seconds : float
        Length of those chunks in seconds.

    Attributes
    ----------
    waveform : np.ndarray or None
        The last recording, float32 (n,) at ``sample_rate``; None before the first.
    browser_sample_rate : int or None
        The rate (Hz) the browser captured at.
    error : str
        The last failure in plain words (also shown in the widget), "" when none.

    Notebook: 18_record_yourself
    """

    _esm = _STATIC / "recorder.js"

    seconds = traitlets.Float(2.0).tag(sync=True)
    label = traitlets.Unicode("Record").tag(sync=True)
    listen_button = traitlets.Bool(False).tag(sync=True)
    listening = traitlets.Bool(False).tag(sync=True)
    chunk_seconds = traitlets.Float(0.25).tag(sync=True)
    max_message_bytes = traitlets.Int(MAX_MESSAGE_BYTES).tag(sync=True)
    browser_sample_rate = traitlets.Int(None, allow_none=True).tag(sync=True)
    # The recording, browser -> kernel. Not echoed back: that would send the whole clip again.
    pcm = traitlets.Bytes(b"").tag(sync=True, from_json=_bytes_from_json, echo_update=False)
    figure = traitlets.Bytes(b"").tag(sync=True)
    clip = traitlets.Bytes(b"").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, seconds: float = 2.0, sample_rate: int = 16000, listen_button: bool = False,
                 chunk_seconds: float = 0.25, show_figure: bool = True, **kwargs) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds must be > 0, got {seconds}")
        if int(sample_rate) <= 0:
            raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate}")
        super().__init__(seconds=float(seconds), listen_button=listen_button,
                         chunk_seconds=float(chunk_seconds), **kwargs)
        self.sample_rate = int(sample_rate)
        self.show_figure = show_figure
        self.waveform: np.ndarray | None = None
        self.recordings = 0
        self._on_recorded: list[Callable] = []
        self._on_chunk: list[Callable] = []
        self._on_listen: list[Callable] = []
        self.observe(self._pcm_arrived, names="pcm")
        self.observe(self._listen_toggled, names="listening")
        self.on_msg(self._custom_message)

    # -- callbacks ---------------------------------------------------------------------------

    def on_recorded(self, callback: Callable[[np.ndarray, int], Any]) -> None:
        """Run ``callback(waveform, sample_rate)`` after each recording (errors are shown)."""
        self._on_recorded.append(callback)

    def on_chunk(self, callback: Callable[[np.ndarray, int], Any]) -> None:
        """While listening, run ``callback(chunk, browser_sample_rate)`` for each chunk."""
        self._on_chunk.append(callback)

    def on_listen(self, callback: Callable[[bool], Any]) -> None:
        """Run ``callback(listening)`` when the Listen toggle starts (True) or stops (False)."""
        self._on_listen.append(callback)

    def _run(self, callbacks: list[Callable], *args) -> None:
        for cb in callbacks:
            try:
                cb(*args)
            except Exception as exc:  # noqa: BLE001 - shown in the widget, never raised
                self.error = f"{getattr(cb, '__name__', 'callback')} failed: {type(exc).__name__}: {exc}"

    # -- the recording -----------------------------------------------------------------------

    def _pcm_arrived(self, change: dict) -> None:
        data = change["new"]
        if not data:
            return
        try:
            y = to_waveform(data, self.browser_sample_rate, self.sample_rate)
        except ValueError as exc:
            self.error = f"The recording could not be read: {exc}"
            return
        finally:
            self.pcm = b""  # the clip lives in .waveform now: no copy in the widget's state
        note = f" (captured at {self.browser_sample_rate} Hz)"
        self.accept(y, note)

    def load(self, source, sr: int | None = None, note: str = "") -> np.ndarray:
        """Use a file or an array as if it had been recorded (the fallback without a browser).

        Parameters
        ----------
        source : path or np.ndarray
            An audio file, or samples ``(n,)`` / ``(channels, n)`` at ``sr`` Hz.
        sr : int, optional
            Rate of an array source in Hz.

        Returns
        -------
        np.ndarray
            :attr:`waveform`, float32 at :attr:`sample_rate`.

        Notebook: 18_record_yourself
        """
        if isinstance(source, (str, Path)):
            y, _ = io.load(source, sr=self.sample_rate)
            note = note or f" (from {Path(source).name})"
        else:
            if sr is None:
                raise ValueError("an array needs its sample rate: rec.load(y, sr=...)")
            y = np.asarray(source, dtype=np.float32)
            y = io.to_mono(y) if y.ndim == 2 else y
            y = io.resample(y, int(sr), self.sample_rate)
        self.browser_sample_rate = None
        self.accept(np.ascontiguousarray(y, dtype=np.float32), note)
        return self.waveform

    def accept(self, y: np.ndarray, note: str = "") -> None:
        """Take ``y`` (float32 at :attr:`sample_rate`) as the new recording: show it, call back."""
        self.waveform = y
        self.recordings += 1
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        seconds = len(y) / self.sample_rate
        self.error = ""
        self.clip = wav_bytes(y, self.sample_rate)
        level = f"peak {20 * np.log10(peak):.0f} dBFS" if peak > 0 else "silent"
        self.message = f"{seconds:.2f} s at {self.sample_rate} Hz{note}, {level}"
        if peak == 0.0:
            self.error = ("The recording is pure silence: the microphone may be muted, or the "
                          "browser may be using another input.")
        self._run(self._on_recorded, y, self.sample_rate)  # first: answers before pictures
        if self.show_figure:
            self.figure = recording_figure(y, self.sample_rate, f"recording {self.recordings}")

    def save(self, path) -> Path:
        """Write the last recording with :func:`audiokit.io.save` (atomic, 16-bit WAV/FLAC...).

        Notebook: 18_record_yourself
        """
        if self.waveform is None:
            raise ValueError(f"nothing recorded yet: press Record before saving to {path}")
        return io.save(path, self.waveform, self.sample_rate)

    # -- listening ---------------------------------------------------------------------------

    def _custom_message(self, _widget, content: dict, buffers: list) -> None:
        if not isinstance(content, dict) or content.get("type") != "chunk" or not buffers:
            return
        try:
            chunk, rate = pcm_from_bytes(buffers[0]), int(content["rate"])
        except (KeyError, TypeError, ValueError) as exc:
            self.error = f"A chunk from the browser could not be read: {exc}"
            return
        self.browser_sample_rate = rate
        self._run(self._on_chunk, chunk, rate)

    def _listen_toggled(self, change: dict) -> None:
        self._run(self._on_listen, bool(change["new"]))

    def __repr__(self) -> str:
        got = "nothing yet" if self.waveform is None else f"{len(self.waveform)} samples"
        return f"Recorder({self.seconds} s at {self.sample_rate} Hz, {got})"
