"""The `spoken_digits_real` dataset: digit words recorded by real speakers (test only).

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from .common import (
    DIGITS,
    Clip,
    count_table,
    package_versions,
    peak_normalize,
    reset_audio_dir,
    to_16k_mono,
    trim_silence,
    versions_table,
    write_flac,
    write_metadata,
)

ASTERISK_DIGIT_DIRS = [
    Path("/usr/share/asterisk/sounds/en_US_f_Allison/digits"),
    Path("/usr/share/asterisk/sounds/en/digits"),
]
ASTERISK_SPEAKER = "allison-smith"
ASTERISK_LICENSE = "CC-BY-SA-3.0"


def asterisk_digit_dir() -> Path:
    """The folder holding the Asterisk English ``0.wav`` .. ``9.wav`` prompts."""
    for d in ASTERISK_DIGIT_DIRS:
        if (d / "0.wav").is_file():
            return d
    sys.exit("make_datasets: Asterisk digit prompts not found; apt-get install asterisk-core-sounds-en-wav")


SAYTIME_DIR = Path("/usr/share/saytime")
SAYTIME_SPEAKER = "david-dawson"
SAYTIME_LICENSE = "GPL-1.0-or-later"  # "the GNU General Public Licence", no version named
SAYTIME_RATE = 8000  # Hz; headerless 8-bit mu-law, mono
PACKAGES = ["asterisk-core-sounds-en-wav", "saytime"]


def read_saytime(path: Path) -> tuple[np.ndarray, int]:
    """A saytime ``.au`` file: headerless (despite the name) 8 kHz mono mu-law; (samples, rate)."""
    if not path.is_file():
        sys.exit(f"make_datasets: {path} not found; apt-get install saytime")
    y, sr = sf.read(path, format="RAW", subtype="ULAW", samplerate=SAYTIME_RATE, channels=1,
                    dtype="float64")
    return y, sr


def real_clip(audio: Path, word: str, speaker: str, y: np.ndarray, sr: int, source: str,
              lic: str) -> Clip:
    """16 kHz, trimmed (40 dB, 20 ms margin), peak -1 dBFS; written under audio/<word>/."""
    y = trim_silence(to_16k_mono(y, sr), top_db=40, margin_s=0.02)
    name = f"{word}_{speaker}.flac"
    write_flac(audio / word / name, peak_normalize(y, -1.0))
    return Clip(f"audio/{word}/{name}", word, "test", speaker, source, lic, {"speaker": speaker})


def build_spoken_digits_real(out: Path) -> list[Clip]:
    """Asterisk (Allison Smith) and saytime (David C Dawson) digit words, 8 kHz -> 16 kHz; all test."""
    versions = package_versions(PACKAGES)
    root = out / "spoken_digits_real"
    audio = reset_audio_dir(root)
    src_dir = asterisk_digit_dir()
    clips = []
    for i, word in enumerate(DIGITS):
        y, sr = sf.read(src_dir / f"{i}.wav", dtype="float64")
        clips.append(real_clip(
            audio, word, ASTERISK_SPEAKER, y, sr,
            f"asterisk-core-sounds-en-wav: {src_dir.parent.name}/digits/{i}.wav (8 kHz; recorded by Allison Smith, Digium, Inc.)",
            ASTERISK_LICENSE))
        y, sr = read_saytime(SAYTIME_DIR / f"{i}.au")
        clips.append(real_clip(
            audio, word, SAYTIME_SPEAKER, y, sr,
            f"saytime: {SAYTIME_DIR}/{i}.au (headerless 8 kHz mu-law; recorded by David C Dawson, 2004)",
            SAYTIME_LICENSE))
    write_metadata(root, clips, ["speaker"])
    write_real_readme(root, clips, src_dir, versions)
    return clips


def write_real_readme(root: Path, clips: list[Clip], src_dir: Path, versions: dict[str, str]) -> None:
    """Generated README.md for data/spoken_digits_real."""
    durs = [sf.info(root / c.path).duration for c in clips]
    text = f"""# spoken_digits_real — two human speakers, telephone quality

The English digit words "zero" … "nine" recorded by two real speakers, one clip per digit
and speaker: a tiny **evaluation-only** set (`split` is `test` for every clip; never train
on it). `group` and `speaker` name the speaker.

- **allison-smith**: the Asterisk PBX prompts (Debian package `asterisk-core-sounds-en-wav`,
  `{src_dir}/0.wav` … `9.wav`, 8 kHz WAV). Left out: `oh.wav` (zero said as "oh"), numbers
  above nine, ordinals (`h-*`), days/months and other words.
- **david-dawson**: the talking-clock words of `saytime` (`{SAYTIME_DIR}/0.au` … `9.au`). The
  `.au` files have **no header**: raw 8 kHz mono 8-bit mu-law, read as such (soundfile
  `format="RAW", subtype="ULAW"`). The folder holds 0–20, 30, 40, 50, "oh", "am", "pm",
  "and", "exactly", "hour(s)", "minute(s)", "second(s)", "o'clock", "the time is"; only the
  ten digit words `0.au` … `9.au` are used (`0.au`, 0.57 s, is "zero"; the separate `oh.au`,
  0.15 s, is "oh" and is left out).
- Both originals are 8 kHz; they were resampled to 16 kHz (resampy `kaiser_best`), so there
  is **no energy above 4 kHz** — unlike `spoken_digits`.
- Silence trimmed (`audiokit.io.trim_silence`, `top_db=40`, 20 ms margin), peak-normalised to
  -1 dBFS; durations {min(durs):.2f}–{max(durs):.2f} s.

## How it was made

```
sudo apt-get install {" ".join(PACKAGES)}
.venv/bin/python data/make_datasets.py --out data/ --only spoken_digits_real
```

{versions_table(versions)}

## Clips per class and split

{count_table(clips, DIGITS)}

## Licence

Per clip (`license` column):

- allison-smith: Asterisk core sound prompts, Copyright 2003-2010 Allison Smith (recorded by
  Allison Smith, http://www.theivrvoice.com; financial contributions by Digium, Inc.),
  **Creative Commons Attribution-ShareAlike 3.0** (CC-BY-SA-3.0,
  https://creativecommons.org/licenses/by-sa/3.0/); Debian: `/usr/share/doc/asterisk-core-sounds-en-wav/copyright`.
- david-dawson: saytime sound files, copyright 2004-09-05 David C Dawson
  <beagle7@pacificcoast.net>, "may be distributed under the GNU General Public Licence"
  (no version named, hence GPL-1.0-or-later; text: `GPL-2.0.txt` in `data/drum_hits/`, or any
  later version); Debian: `/usr/share/doc/saytime/copyright`.

Changes made: resampled from 8 kHz to 16 kHz, silence trimmed, level normalised, converted
to FLAC. These clips are redistributed under their own licences.

## Intended lesson

The real-speech domain gap: train on the synthetic `spoken_digits` voices, then test here.
Real speakers, a different microphone/channel and a 4 kHz bandwidth are enough to drop
accuracy; try band-limiting or augmenting the training data and measure again. With ten
clips per speaker, one error is ten percentage points: report counts, per speaker.
"""
    (root / "README.md").write_text(text, encoding="utf-8")
