"""Natural speech for `spoken_digits`: four speakers of the Free Spoken Digit Dataset (FSDD).

FSDD (Zohar Jackson and contributors, CC-BY-SA-4.0) is people saying "zero".."nine" into
ordinary microphones, 8 kHz 16-bit mono, 50 takes of each digit per speaker, named
``{digit}_{speaker}_{take}.wav`` in the repository's ``recordings/`` folder. The builder reads
that folder (the original ``.wav`` files or a lossless ``.flac`` copy), resamples to 16 kHz,
trims by the shipped rule and gives each clip a seeded peak level like every other digit clip,
so neither the level nor the file format tells a natural voice from a synthetic one (the
missing band above 4 kHz still does: the training recipe has to deal with that, notebook 05).

Only :data:`SPEAKERS` are used: the dataset's other speakers are kept for independent evaluation
and never enter the shipped data.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from .common import DIGITS, SEED, Clip

#: The FSDD speakers shipped (the dataset's own metadata: all male; accents in the README).
SPEAKERS = ["jackson", "lucas", "nicolas", "yweweler"]
ACCENTS = {"jackson": "USA/neutral", "lucas": "German", "nicolas": "Belgian/French",
           "yweweler": "German"}
TAKES = 50                   # per speaker and digit: every take FSDD has
RATE = 8000                  # Hz, every FSDD recording
COMMIT = "26eb9aa"           # the FSDD repository commit the recordings come from
LICENSE = "CC-BY-SA-4.0"
CREDIT = "Free Spoken Digit Dataset (FSDD), Zohar Jackson and contributors"
REPOSITORY = "https://github.com/Jakobovski/free-spoken-digit-dataset"
#: Speaker -> split. One speaker is held out whole for test, drawn with the builders' seed
#: (lucas); the other three train. No FSDD speaker is in valid: with four people, each one moved
#: out of training costs more on new voices than a natural validation voice gives (the recipe's
#: epochs are fixed, and ``audiokit train --cross-validate speaker`` holds each one out in turn).
TEST_SPEAKER = str(np.random.default_rng(SEED + 20).permutation(SPEAKERS)[0])
SPLIT = {s: "test" if s == TEST_SPEAKER else "train" for s in SPEAKERS}
FAMILY = "fsdd"
ENGINE = "human"
EXTENSIONS = (".wav", ".flac")
#: Where the recordings are looked for by default: the workspace's shared copy beside the clone.
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "shared" / "speech" / "fsdd"


def recordings_dir(folder: Path) -> Path:
    """The folder holding the recordings: ``folder`` itself or its ``recordings/`` sub-folder."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SystemExit(f"make_datasets: FSDD folder {folder} does not exist (give --fsdd PATH: a "
                         f"clone of {REPOSITORY}, or its recordings/ folder)")
    sub = folder / "recordings"
    return sub if sub.is_dir() else folder


def find_recordings(folder: Path) -> dict[tuple[str, str, int], Path]:
    """``(speaker, digit word, take) -> file`` for every expected recording, or exit naming the missing.

    Raises
    ------
    SystemExit
        The folder does not exist, or expected files are missing (the first ten are named, with
        the total), or a file that should be 8 kHz mono is not.
    """
    rec = recordings_dir(folder)
    found, missing = {}, []
    for speaker in SPEAKERS:
        for d, word in enumerate(DIGITS):
            for take in range(TAKES):
                stem = f"{d}_{speaker}_{take}"
                path = next((rec / (stem + e) for e in EXTENSIONS if (rec / (stem + e)).is_file()),
                            None)
                if path is None:
                    missing.append(stem)
                else:
                    found[(speaker, word, take)] = path
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise SystemExit(f"make_datasets: {rec}: {len(missing)} of {len(SPEAKERS) * 10 * TAKES} "
                         f"FSDD recordings missing (expected DIGIT_SPEAKER_TAKE.wav or .flac for "
                         f"speakers {', '.join(SPEAKERS)}, takes 0-{TAKES - 1}): {shown}")
    return found


def read_recording(path: Path) -> np.ndarray:
    """One FSDD file as float64 samples; exits naming the file if it is not 8 kHz mono."""
    y, sr = sf.read(path, dtype="float64", always_2d=True)
    if sr != RATE or y.shape[1] != 1:
        raise SystemExit(f"make_datasets: {path}: expected {RATE} Hz mono (an FSDD recording), "
                         f"got {sr} Hz with {y.shape[1]} channels")
    return y[:, 0]


def jobs(folder: Path, rng: np.random.Generator, peak_range: tuple[float, float]) -> list[dict]:
    """One job per recording, in a fixed order, each with its seeded peak level in dBFS."""
    files = find_recordings(folder)
    return [{"speaker": s, "word": w, "take": t, "path": files[(s, w, t)],
             "peak_db": round(float(rng.uniform(*peak_range)), 2)}
            for (s, w, t) in sorted(files, key=lambda k: (SPEAKERS.index(k[0]),
                                                          DIGITS.index(k[1]), k[2]))]


def clip_of(job: dict) -> Clip:
    """The metadata row of one job (``finish`` writes the audio)."""
    s, w, t = job["speaker"], job["word"], job["take"]
    name = f"{w}_fsdd_{s}_{t}.flac"
    original = f"recordings/{DIGITS.index(w)}_{s}_{t}.wav"
    src = (f"FSDD {COMMIT}: {original} (8 kHz; {CREDIT}); resampled to 16 kHz; "
           f"peak {job['peak_db']} dBFS")
    return Clip(f"audio/{w}/{name}", w, SPLIT[s], s, src, LICENSE,
                {"speaker": s, "engine": ENGINE, "family": FAMILY})
