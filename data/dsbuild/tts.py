"""Speech-synthesiser front-ends: espeak-ng, flite and festival, each returning a float waveform.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .common import to_16k_mono


def run_to_wav(cmd: list[str], wav: Path, what: str, stdin: str | None = None) -> tuple[np.ndarray, int]:
    """Run a synthesiser command that writes ``wav``; return its samples (float64) and rate."""
    res = subprocess.run(cmd, check=False, capture_output=True, text=True, input=stdin)
    if res.returncode != 0 or not wav.exists():
        raise RuntimeError(f"{what} failed for {cmd}: {res.stderr.strip()[-500:]}")
    y, sr = sf.read(wav, dtype="float64")
    return y, sr


def espeak(voice: str, text: str, speed: int, pitch: int, amplitude: int) -> np.ndarray:
    """Run espeak-ng and return the 16 kHz waveform of ``text`` (float32, untrimmed)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "x.wav"
        cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-a", str(amplitude),
               "-w", str(wav), text]
        y, sr = run_to_wav(cmd, wav, "espeak-ng")
    return to_16k_mono(y, sr)


def flite(voice: str, text: str, stretch: float) -> tuple[np.ndarray, int]:
    """flite ``voice`` saying ``text`` with durations times ``stretch``; (samples, rate in Hz)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "x.wav"
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.4f}",
               "-t", text, "-o", str(wav)]
        return run_to_wav(cmd, wav, "flite")


def festival(voice: str, text: str, stretch: float) -> tuple[np.ndarray, int]:
    """festival (``text2wave``) ``voice`` saying ``text`` with durations times ``stretch``.

    Diphone voices take ``Duration_Stretch``; the HTS voice ignores it and takes the
    hts_engine speed rate ``-r`` (= 1 / stretch) instead.
    """
    if voice.endswith("_hts"):
        speed = f"(set! hts_engine_params (append hts_engine_params (list (list \"-r\" {1.0 / stretch:.4f}))))"
    else:
        speed = f"(Parameter.set 'Duration_Stretch {stretch:.4f})"
    with tempfile.TemporaryDirectory() as tmp:
        wav, txt = Path(tmp) / "x.wav", Path(tmp) / "x.txt"
        txt.write_text(text + "\n", encoding="utf-8")
        cmd = ["text2wave", "-eval", f"(voice_{voice})", "-eval", speed, str(txt), "-o", str(wav)]
        return run_to_wav(cmd, wav, "festival")


def pitch_shift_by_rate(y: np.ndarray, sr: int, factor: float) -> np.ndarray:
    """Play ``y`` (recorded at ``sr`` Hz) ``factor`` times faster, resampled to 16 kHz.

    Pitch and formants rise by ``factor`` and the duration shrinks by it, so synthesise with
    durations stretched by ``factor`` first to keep the intended length. The playback rate is
    rounded to whole Hz.
    """
    return to_16k_mono(y, round(sr * factor))
