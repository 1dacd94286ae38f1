"""Reading, writing and resampling audio: the only module that touches codecs.

Every path a user gives is checked here, and every failure is an :class:`AudioError`
whose message names the file and says what is wrong in plain words.

Notebook: 02_reading_and_resampling
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from audiokit.signals import strip_zero_ends

__all__ = ["AUDIO_EXTENSIONS", "AudioError", "AudioInfo", "fix_length", "info", "load",
           "normalize_loudness", "resample", "save", "to_mono", "trim_silence"]

#: File extensions the kit recognises as audio (all decoded by libsndfile through soundfile).
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".opus", ".mp3")

#: Resampling filters offered by resampy.
RES_TYPES: tuple[str, ...] = ("kaiser_best", "kaiser_fast")

# Bits per sample of the PCM subtypes; float and compressed subtypes have no fixed bit depth
# in the sense of a quantisation grid, except the float ones which we report as 32 / 64.
_BIT_DEPTHS = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
    "ULAW": 8,
    "ALAW": 8,
}


class AudioError(Exception):
    """An audio file could not be read or written; the message names the file and the problem."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, without decoding the samples.

    Attributes
    ----------
    sample_rate : int
        Samples per second per channel (Hz).
    channels : int
        Number of channels.
    frames : int
        Samples per channel.
    duration : float
        Length in seconds (``frames / sample_rate``).
    format : str
        Container, e.g. ``"WAV"``, ``"FLAC"``, ``"OGG"``, ``"MP3"``.
    subtype : str
        Sample encoding, e.g. ``"PCM_16"``, ``"FLOAT"``, ``"VORBIS"``.
    bit_depth : int or None
        Bits per sample for PCM and float encodings; ``None`` for lossy codecs.
    """

    sample_rate: int
    channels: int
    frames: int
    duration: float
    format: str
    subtype: str
    bit_depth: int | None


def _check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise AudioError(f"{p}: is a directory, not an audio file")
    if p.stat().st_size == 0:
        raise AudioError(f"{p}: the file is empty (0 bytes)")
    return p


def _explain(p: Path, err: Exception) -> AudioError:
    """Turn a libsndfile error into a sentence a person can act on."""
    ext = p.suffix.lower()
    if ext not in AUDIO_EXTENSIONS:
        return AudioError(
            f"{p}: unsupported format {ext or '(no extension)'!r}; "
            f"readable formats: {', '.join(AUDIO_EXTENSIONS)}"
        )
    # libsndfile's own text is often misleading (e.g. "not a regular file" for a bad MP3);
    # keep it as a detail after the plain explanation.
    detail = str(err).split(":", 1)[-1].strip() if str(err) else type(err).__name__
    return AudioError(
        f"{p}: not a valid {ext[1:].upper()} file (corrupt, truncated, or not audio at all; "
        f"decoder said: {detail})"
    )


# libsndfile reads a truncated WAV without complaint (it shortens the data chunk to what is
# there) and only notes it in its log ("data : 32000 (should be 15978)"). We read that log to
# refuse such files instead of returning a silently shortened signal. Streaming writers put
# 0 or 0xFFFFFFFF in the header on purpose; those are not truncation.
_SHOULD_BE = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
_STREAMING_SIZES = {0, 0xFFFFFFFF, 0xFFFFFFFF - 1}


def _check_complete(p: Path, f: sf.SoundFile) -> None:
    m = _SHOULD_BE.search(f.extra_info or "")
    if m and int(m.group(1)) not in _STREAMING_SIZES and int(m.group(1)) > int(m.group(2)):
        raise AudioError(
            f"{p}: the file is truncated (its header promises {m.group(1)} bytes of audio, "
            f"only {m.group(2)} are there)"
        )


def _open(p: Path) -> sf.SoundFile:
    try:
        f = sf.SoundFile(str(p))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise _explain(p, err) from None
    try:
        _check_complete(p, f)
    except AudioError:
        f.close()
        raise
    return f


def info(path: str | os.PathLike) -> AudioInfo:
    """Read a file's header: sample rate, channels, length, format and bit depth.

    Parameters
    ----------
    path : str or PathLike
        Audio file (WAV, FLAC, OGG/Vorbis, Opus, MP3).

    Returns
    -------
    AudioInfo

    Raises
    ------
    FileNotFoundError
        The path does not exist.
    AudioError
        The path is a directory, empty, corrupt, or not a supported format.

    Notebook: 02_reading_and_resampling
    """
    p = _check_path(path)
    with _open(p) as f:
        return AudioInfo(
            sample_rate=int(f.samplerate),
            channels=int(f.channels),
            frames=int(f.frames),
            duration=float(f.frames) / float(f.samplerate) if f.samplerate else 0.0,
            format=str(f.format),
            subtype=str(f.subtype),
            bit_depth=_BIT_DEPTHS.get(str(f.subtype)),
        )


def load(
    path: str | os.PathLike,
    sr: int | None = None,
    mono: bool = True,
    res_type: str = "kaiser_best",
) -> tuple[np.ndarray, int]:
    """Decode an audio file to float32 samples in [-1, 1].

    Parameters
    ----------
    path : str or PathLike
        Audio file (WAV 8-bit unsigned / 16, 24, 32-bit int / 32, 64-bit float, FLAC,
        OGG/Vorbis, Opus, MP3), any number of channels.
    sr : int, optional
        Target sample rate in Hz. ``None`` keeps the file's rate; otherwise the signal is
        resampled with resampy.
    mono : bool
        ``True`` averages the channels and returns shape ``(n,)``; ``False`` returns
        ``(channels, n)``.
    res_type : {"kaiser_best", "kaiser_fast"}
        resampy filter used when ``sr`` differs from the file's rate.

    Returns
    -------
    y : np.ndarray, float32
        Samples, ``(n,)`` or ``(channels, n)``.
    sr : int
        Sample rate of ``y`` in Hz.

    Raises
    ------
    FileNotFoundError
        The path does not exist.
    AudioError
        Directory, empty file, zero frames, corrupt or truncated data, unsupported format,
        or samples that are NaN/Inf.

    Notebook: 02_reading_and_resampling
    """
    p = _check_path(path)
    with _open(p) as f:
        file_sr = int(f.samplerate)
        try:
            data = f.read(dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
            raise _explain(p, err) from None
    if data.shape[0] == 0:
        raise AudioError(f"{p}: the file holds no audio (0 frames)")
    if not np.isfinite(data).all():
        raise AudioError(f"{p}: the audio contains NaN or infinite sample values")
    y = np.ascontiguousarray(data.T)  # (channels, n)
    if mono:
        y = to_mono(y)
    if sr is not None and int(sr) != int(file_sr):
        y = resample(y, int(file_sr), int(sr), res_type=res_type)
        file_sr = int(sr)
    return y.astype(np.float32, copy=False), int(file_sr)


def save(
    path: str | os.PathLike,
    y: np.ndarray,
    sr: int,
    subtype: str = "PCM_16",
) -> Path:
    """Write audio atomically: to a temporary file first, then renamed into place.

    A crash half-way never leaves a truncated file under ``path``.

    Parameters
    ----------
    path : str or PathLike
        Destination; the format comes from the extension (``.wav``, ``.flac``, ``.ogg``, ...).
    y : np.ndarray
        Samples in [-1, 1], shape ``(n,)`` or ``(channels, n)``.
    sr : int
        Sample rate in Hz.
    subtype : str
        Sample encoding, e.g. ``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"`` (``"VORBIS"`` for OGG).

    Returns
    -------
    pathlib.Path
        The path written.

    Notebook: 02_reading_and_resampling
    """
    p = Path(path)
    y = np.asarray(y)
    if y.ndim not in (1, 2):
        raise AudioError(f"{p}: expected samples of shape (n,) or (channels, n), got {y.shape}")
    if y.size == 0:
        raise AudioError(f"{p}: refusing to write an empty signal")
    if not np.isfinite(y).all():
        raise AudioError(f"{p}: refusing to write NaN or infinite samples")
    fmt = p.suffix.lower().lstrip(".")
    if "." + fmt not in AUDIO_EXTENSIONS:
        raise AudioError(
            f"{p}: unsupported format {p.suffix!r}; writable formats: {', '.join(AUDIO_EXTENSIONS)}"
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=p.suffix, dir=p.parent)
    os.close(fd)
    try:
        data = y.T if y.ndim == 2 else y
        sf.write(tmp, data, int(sr), subtype=subtype, format=_sf_format(fmt))
        os.replace(tmp, p)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise AudioError(f"{p}: could not write ({err})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return p


def _sf_format(ext: str) -> str:
    return {"opus": "OGG", "ogg": "OGG", "mp3": "MP3", "flac": "FLAC", "wav": "WAV"}[ext]


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average the channels of ``(channels, n)`` audio to ``(n,)``; ``(n,)`` is returned as is.

    Notebook: 02_reading_and_resampling
    """
    y = np.asarray(y)
    if y.ndim == 1:
        return y
    if y.ndim != 2:
        raise ValueError(f"to_mono expects (n,) or (channels, n) samples, got shape {y.shape}")
    return y.mean(axis=0, dtype=np.float64).astype(y.dtype, copy=False)


def resample(
    y: np.ndarray,
    orig_sr: int,
    target_sr: int,
    res_type: str = "kaiser_best",
) -> np.ndarray:
    """Change the sample rate with a band-limited (anti-aliased) sinc filter from resampy.

    Parameters
    ----------
    y : np.ndarray
        Samples, ``(n,)`` or ``(channels, n)``; resampled along the last axis.
    orig_sr, target_sr : int
        Sample rates in Hz.
    res_type : {"kaiser_best", "kaiser_fast"}
        ``kaiser_best`` has the sharper filter (less aliasing, slower).

    Returns
    -------
    np.ndarray, float32
        ``round(n * target_sr / orig_sr)`` samples per channel.

    Notebook: 02_reading_and_resampling
    """
    if res_type not in RES_TYPES:
        raise ValueError(f"unknown res_type {res_type!r}; choose one of {', '.join(RES_TYPES)}")
    if orig_sr <= 0 or target_sr <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sr} -> {target_sr}")
    y = np.asarray(y, dtype=np.float32)
    if orig_sr == target_sr:
        return y
    import resampy  # imported lazily: its JIT compile costs ~1 s per process

    return resampy.resample(y, orig_sr, target_sr, filter=res_type, axis=-1).astype(np.float32)


def normalize_loudness(y: np.ndarray, target_db: float = -20.0) -> np.ndarray:
    """Scale a signal so its RMS level is ``target_db`` dBFS.

    Apply it before gain augmentation, never after (it would undo the gain).
    Silent input is returned unchanged.

    Notebook: 01_digital_audio
    """
    y = np.asarray(y, dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    if rms <= 1e-10:
        return y
    return (y * (10.0 ** (target_db / 20.0) / rms)).astype(np.float32)


def fix_length(
    y: np.ndarray,
    n: int,
    mode: str = "pad",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Make the last axis exactly ``n`` samples long.

    Parameters
    ----------
    y : np.ndarray
        Samples, ``(..., length)``.
    n : int
        Wanted length in samples.
    mode : {"pad", "crop", "random_crop"}
        ``pad``: zero-pad at the end if shorter, crop the end if longer.
        ``crop``: take the centre ``n`` samples if longer, zero-pad if shorter.
        ``random_crop``: a random window of ``n`` samples (needs ``rng`` for repeatability);
        zero-pad if shorter.
    rng : numpy.random.Generator, optional
        Source of randomness for ``random_crop``.

    Notebook: 05_datasets_and_augmentation
    """
    if n <= 0:
        raise ValueError(f"length must be positive, got {n}")
    y = np.asarray(y)
    length = y.shape[-1]
    if length < n:
        pad = [(0, 0)] * (y.ndim - 1) + [(0, n - length)]
        return np.pad(y, pad)
    if length == n:
        return y
    if mode == "pad":
        start = 0
    elif mode == "crop":
        start = (length - n) // 2
    elif mode == "random_crop":
        rng = rng if rng is not None else np.random.default_rng()
        start = int(rng.integers(0, length - n + 1))
    else:
        raise ValueError(f"unknown mode {mode!r}; choose 'pad', 'crop' or 'random_crop'")
    return y[..., start : start + n]


def trim_silence(y: np.ndarray, sr: int, top_db: float = 40.0, margin_s: float = 0.02,
                 frame_length: int = 512, hop_length: int = 128,
                 precise_start: bool = False, strip_zeros: bool = False) -> np.ndarray:
    """Cut the quiet start and end of a clip, keeping ``margin_s`` seconds around the sound.

    The rule the shipped datasets were built with (``data/make_datasets.py``; margin 0.02 s for
    spoken digits, 0.002 s for drum hits), so inference can treat audio as the training clips
    were made: ``librosa.effects.trim`` keeps the first to the last frame whose RMS is within
    ``top_db`` dB of the loudest frame (centred frames of ``frame_length`` samples, ``hop_length``
    apart), widened by ``round(margin_s * sr)`` samples each side. ``y`` is ``(n,)`` or
    ``(channels, n)``, ``sr`` in Hz. Returns a view; empty or all-quiet input comes back
    unchanged, never emptied.

    ``precise_start=True`` then starts at the first sample (of the first loud frame) within
    ``top_db`` of the peak sample: the frame grid alone leaves up to ``frame_length / 2`` samples
    (~12 ms) before an abrupt onset, and drum clips cut from sources that begin at the hit have
    none. Relative to the peak, not the frame RMS, so a noise floor 60 dB down is not an onset.

    ``strip_zeros=True`` then cuts exact zeros left at either end (digital silence, never room
    noise): around a noisy recording the frame grid and margin keep tens of ms of them
    (README, "What to expect"). An all-zero input comes back unchanged.

    Notebook: 05_datasets_and_augmentation
    """
    import librosa  # lazily: slow to import

    y = np.asarray(y)
    if y.shape[-1] == 0:
        return y
    _, (start, end) = librosa.effects.trim(y, top_db=top_db, frame_length=int(frame_length),
                                           hop_length=int(hop_length))
    if end <= start:
        return y
    if precise_start:  # librosa trims to whole frames only
        mag = np.abs(y) if y.ndim == 1 else np.abs(y).max(axis=0)
        lo = max(0, int(start) - int(frame_length) // 2)
        loud = np.flatnonzero(mag[lo: min(int(end), int(start) + int(frame_length) // 2)]
                              >= mag.max() * 10.0 ** (-top_db / 20.0))
        start = lo + int(loud[0]) if loud.size else start
    margin = round(margin_s * sr)
    y = y[..., max(0, int(start) - margin): min(y.shape[-1], int(end) + margin)]
    return strip_zero_ends(y) if strip_zeros else y

