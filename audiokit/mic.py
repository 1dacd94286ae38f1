"""The terminal's microphone (optional extra ``mic``: sounddevice on PortAudio).

:func:`input_chunks` is the device layer: successive float32 mono chunks from the default (or a
chosen) input. Everything above it takes any iterable of chunks, so tests replace the device by
chunks cut from a file: :func:`record` collects ``seconds`` of them, and ``audiokit listen`` feeds
them to :meth:`audiokit.predict.Predictor.stream` and prints :func:`describe` per hop.

Notebook: 18_record_yourself
"""

from __future__ import annotations

import queue
from collections.abc import Iterable, Iterator

import numpy as np

__all__ = ["MicrophoneError", "check_input", "describe", "input_chunks", "record"]


class MicrophoneError(RuntimeError):
    """No way to hear the microphone: sounddevice, PortAudio or an input device is missing."""


def _sounddevice():
    try:
        import sounddevice
    except ImportError as exc:
        raise MicrophoneError("the microphone needs the optional 'mic' extra: "
                              "pip install 'audiokit[mic]' (sounddevice)") from exc
    except OSError as exc:  # sounddevice is installed but cannot find libportaudio
        raise MicrophoneError("PortAudio is not installed: sudo apt install libportaudio2 "
                              "(Debian/Ubuntu) or brew install portaudio (macOS)") from exc
    return sounddevice


def check_input(device=None) -> None:
    """Raise :class:`MicrophoneError` unless sounddevice, PortAudio and the input are there.

    Notebook: 18_record_yourself
    """
    _check_input(_sounddevice(), device)


def _check_input(sd, device) -> None:
    try:
        info = sd.query_devices(device, kind="input")
    except (ValueError, sd.PortAudioError) as exc:
        what = "no input device (microphone) found" if device is None else (
            f"input device {device!r} not found (list them with python -m sounddevice)")
        raise MicrophoneError(what) from exc
    if int(info.get("max_input_channels", 0)) < 1:
        raise MicrophoneError(f"{info.get('name', device)!r} has no input channels")


def input_chunks(sample_rate: int, chunk_s: float = 0.1, device=None) -> Iterator[np.ndarray]:
    """Float32 mono chunks from a microphone, ``chunk_s`` seconds each, until the caller stops.

    Parameters
    ----------
    sample_rate : int
        Capture rate in Hz (PortAudio resamples when the device runs at another one).
    chunk_s : float
        Chunk length in seconds.
    device : int or str, optional
        Input device (index or name); default the system's.

    Raises
    ------
    MicrophoneError
        Without sounddevice, PortAudio or an input device.

    Notebook: 18_record_yourself
    """
    sd = _sounddevice()
    _check_input(sd, device)  # fail here, before the caller starts iterating
    return _stream(sd, sample_rate, max(1, round(chunk_s * sample_rate)), device)


def _stream(sd, sample_rate: int, blocksize: int, device) -> Iterator[np.ndarray]:
    blocks: queue.Queue = queue.Queue()

    def callback(indata, _frames, _time, _status) -> None:
        blocks.put(indata.mean(axis=1).astype(np.float32))

    with sd.InputStream(samplerate=sample_rate, blocksize=blocksize, device=device, channels=1,
                        dtype="float32", callback=callback):
        while True:
            yield blocks.get()


def record(seconds: float, sample_rate: int, chunks: Iterable | None = None) -> np.ndarray:
    """``seconds`` of audio (float32, mono) from ``chunks`` (default: :func:`input_chunks`).

    Notebook: 18_record_yourself
    """
    if not seconds > 0:
        raise ValueError(f"--seconds must be > 0, got {seconds}")
    need = round(seconds * sample_rate)
    source = input_chunks(sample_rate) if chunks is None else chunks
    got, parts = 0, []
    for chunk in source:
        parts.append(np.asarray(chunk, dtype=np.float32).reshape(-1))
        got += len(parts[-1])
        if got >= need:
            break
    if hasattr(source, "close"):
        source.close()  # leaves the InputStream's with-block: the device is released
    if got < need:
        raise MicrophoneError(f"the input ended after {got / sample_rate:.2f} s of {seconds} s")
    return np.concatenate(parts)[:need]


def describe(result) -> str:
    """One line per hop of a stream: ``  1.50 s  seven 0.93  (one 0.03, ...)`` or silence.

    Notebook: 18_record_yourself
    """
    if result.silent:
        return f"{result.time_s:6.2f} s  (silence)"
    (label, p), rest = result.top[0], result.top[1:]
    others = ", ".join(f"{lab} {q:.2f}" for lab, q in rest)
    return f"{result.time_s:6.2f} s  {label} {p:.2f}" + (f"  ({others})" if others else "")
