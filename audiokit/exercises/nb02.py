"""Exercises of notebook 02: file formats, resampling and broken files.

Notebook: 02_reading_and_resampling
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _file_sizes(tiny: bool) -> dict[str, dict[str, float]]:
    """Sizes in kB of the notebook's stereo notes and of white noise as 16-bit WAV, 24-bit WAV
    and FLAC.

    Notebook: 02_reading_and_resampling
    """
    import tempfile
    from pathlib import Path

    import numpy as np

    from audiokit import io, signals

    sr, duration = 16000, 1.0
    n = int(duration * sr)
    notes = np.stack([signals.harmonics(220.0, 6, duration, sr, amplitude=0.5) * signals.adsr(n, sr),
                      signals.harmonics(330.0, 6, duration, sr, amplitude=0.5) * signals.adsr(n, sr)])
    noise = np.stack([signals.noise(duration, sr, amplitude=0.2, seed=s) for s in (0, 1)])
    folder = Path(tempfile.mkdtemp(prefix="ex02_1_"))
    sizes = {}
    for name, y in (("notes", notes), ("white noise", noise)):
        sizes[name] = {}
        for file, subtype in (("pcm16.wav", "PCM_16"), ("pcm24.wav", "PCM_24"), ("pcm16.flac", "PCM_16")):
            path = folder / f"{name.replace(' ', '_')}_{file}"
            io.save(path, y, sr, subtype=subtype)
            sizes[name][file] = round(path.stat().st_size / 1024, 1)
    return sizes


def _naive_alias_onset(tiny: bool) -> float:
    """Time (s) at which naive 48 -> 16 kHz decimation of the notebook's sweep starts to alias:
    where the peak of its spectrogram stops rising and folds back down.

    Notebook: 02_reading_and_resampling
    """
    import numpy as np

    from audiokit import lessons, signals
    from audiokit.features import bins_to_hz, frames_to_seconds

    orig_sr, duration = 48000, 1.0
    sweep = signals.chirp(100.0, 0.45 * orig_sr, duration=duration, sr=orig_sr, amplitude=0.5)
    demo = lessons.resampling_demo(orig_sr, 16000, "naive", y=sweep)
    peak_hz = bins_to_hz(demo["S_db"].argmax(axis=0), demo["sr_out"], demo["n_fft"])
    turn = int(np.argmax(peak_hz[: len(peak_hz) // 2]))  # the first fold, at the new Nyquist
    by_formula = (demo["sr_out"] / 2 - 100.0) / (0.45 * orig_sr - 100.0) * duration
    print(f"peak track turns at frame {turn}; the sweep reaches {demo['sr_out'] / 2:.0f} Hz "
          f"at {by_formula:.3f} s")
    return float(frames_to_seconds(turn, demo["sr_out"], demo["hop_length"]))


def _empty_file_error(tiny: bool) -> str:
    """Load a 0-byte ``empty.flac``; return the exception's class name (and print its message).

    Notebook: 02_reading_and_resampling
    """
    import tempfile
    from pathlib import Path

    from audiokit import io

    path = Path(tempfile.mkdtemp(prefix="ex02_3_")) / "empty.flac"
    path.write_bytes(b"")
    try:
        io.load(path)
    except Exception as err:  # noqa: BLE001 - the exercise is to see which one
        print(f"{type(err).__name__}: {err}")
        return type(err).__name__
    raise AssertionError("io.load accepted an empty file")


EXERCISES: list[Exercise] = [
    Exercise(
        "02.1",
        question="Save `stereo` as `PCM_16` and `PCM_24` WAV and as FLAC, then the same for "
                 "white noise (`signals.noise`); compare the file sizes. Why is FLAC smaller "
                 "than WAV for the notes, and not for the noise?",
        hint="`io.save(path, y, sr, subtype=...)`, then `path.stat().st_size`. Ask what a "
             "lossless coder can predict about the next sample.",
        solve=_file_sizes,
        why="FLAC predicts each sample from the previous ones and stores only the prediction "
            "error, which is small for smooth, periodic notes. White noise cannot be predicted: "
            "the error is as large as the signal, so FLAC needs about as many bits as the PCM "
            "samples themselves (plus its framing). A 24-bit WAV is 3/2 of the 16-bit one "
            "whatever it holds.",
    ),
    Exercise(
        "02.2",
        question="Resample the notebook's 48 kHz sweep (100 Hz up to 0.45 * 48 000 Hz in 1 s) to "
                 "16 kHz with the three methods. At which time (in seconds) does the naive "
                 "version start to alias?",
        hint="Aliasing starts when the sweep crosses the new Nyquist frequency; the sweep is "
             "linear, and the naive spectrogram's peak turns round at that moment.",
        answer=0.367,
        unit="s",
        tolerance=0.02,
        solve=_naive_alias_onset,
        why="A linear sweep from 100 Hz to 21 600 Hz in 1 s passes the new Nyquist frequency "
            "of 8000 Hz at (8000 - 100) / 21 500 = 0.367 s; from then on every frequency above "
            "8000 Hz folds back down (and at 16 000 Hz up again). The tolerance is about two "
            "spectrogram hops (8 ms each at 16 kHz), for a time read off the figure.",
    ),
    Exercise(
        "02.3",
        question="Write a 0-byte file called `empty.flac` and load it with `io.load`. Which "
                 "exception class is raised (its name)? Is the message enough to fix the problem?",
        hint="`Path.write_bytes(b\"\")` makes the file; catch the error and print "
             "`type(err).__name__` and the message.",
        answer="AudioError",
        aliases=("io.AudioError", "audiokit.io.AudioError"),
        solve=_empty_file_error,
        why="`io.load` checks the file before handing it to the codec, so the error names the "
            "file and says it is empty: enough to know the download or the copy failed, "
            "instead of a codec's 'format not recognised'.",
    ),
]
