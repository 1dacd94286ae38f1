#!/usr/bin/env python
"""Build the three small datasets that ship with audiokit (maintainer tool).

The audio this script writes is committed to the repository; users, tests and
notebooks never run it.  It reads only files installed by these Debian packages
(tested with Debian 12 "bookworm"):

    sudo apt-get install espeak-ng asterisk-core-sounds-en-wav hydrogen-drumkits

    espeak-ng 1.51                    -> data/spoken_digits/      (synthetic speech)
    asterisk-core-sounds-en-wav       -> data/spoken_digits_real/ (one human speaker)
    hydrogen-drumkits                 -> data/drum_hits/          (recorded drum hits)

Exact command (from the repository root):

    .venv/bin/python data/make_datasets.py --out data/
    .venv/bin/python data/make_datasets.py --out data/ --only drum_hits

Python needs numpy, soundfile, resampy and librosa.  Every random choice comes
from a fixed seed, files are written as 16 kHz mono 16-bit FLAC with a fixed
compression level and no tags, and each dataset's ``audio/`` folder is rebuilt
from scratch, so running the script twice gives byte-identical files (with the
same package and library versions).  Each dataset folder gets ``metadata.csv``
(path,label,split,group,source,license) and a generated ``README.md``.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import resampy
import soundfile as sf

SAMPLE_RATE = 16000  # Hz, every shipped clip
SEED = 20240531
FLAC_COMPRESSION = 0.5  # soundfile's 0..1 scale, fixed for reproducibility
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
DRUM_CLASSES = ["kick", "snare", "hihat", "tom", "cymbal"]
SPLITS = ["train", "valid", "test"]
DATASETS = ["spoken_digits", "spoken_digits_real", "drum_hits"]

ESPEAK = "espeak-ng"
ESPEAK_VARIANT_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
ASTERISK_DIGIT_DIRS = [
    Path("/usr/share/asterisk/sounds/en_US_f_Allison/digits"),
    Path("/usr/share/asterisk/sounds/en/digits"),
]
HYDROGEN_KITS = Path("/usr/share/hydrogen/data/drumkits")
GPL2_TEXT = Path("/usr/share/common-licenses/GPL-2")


@dataclass
class Clip:
    """One row of a dataset's metadata.csv (``path`` relative to the dataset folder)."""

    path: str
    label: str
    split: str
    group: str
    source: str
    license: str


# --------------------------------------------------------------------------- shared helpers
def peak_normalize(y: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    """Scale ``y`` so that its absolute peak sits at ``peak_db`` dBFS.

    Notebook: 05_datasets_and_augmentation
    """
    peak = float(np.max(np.abs(y)))
    if peak <= 0.0:
        raise ValueError("peak_normalize: the clip is all zeros")
    return (y * (10.0 ** (peak_db / 20.0) / peak)).astype(np.float32)


def trim_silence(y: np.ndarray, top_db: float, margin_s: float = 0.01) -> np.ndarray:
    """Cut leading/trailing audio quieter than ``top_db`` below the peak, keeping ``margin_s`` seconds.

    Notebook: 05_datasets_and_augmentation
    """
    _, (start, end) = librosa.effects.trim(y, top_db=top_db, frame_length=512, hop_length=128)
    margin = int(round(margin_s * SAMPLE_RATE))
    return y[max(0, start - margin): min(len(y), end + margin)]


def to_16k_mono(y: np.ndarray, sr: int) -> np.ndarray:
    """Average channels (``y`` shaped (samples,) or (samples, channels)) and resample ``sr`` Hz -> 16 kHz."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        y = y.mean(axis=1)
    if sr != SAMPLE_RATE:
        y = resampy.resample(y, sr, SAMPLE_RATE, filter="kaiser_best")
    return y.astype(np.float32)


def write_flac(path: Path, y: np.ndarray) -> None:
    """Write ``y`` (float, |y| <= 1) as 16 kHz mono PCM_16 FLAC, quantised here (no dither) for determinism."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.clip(np.round(y.astype(np.float64) * 32767.0), -32768, 32767).astype(np.int16)
    tmp = path.with_suffix(".tmp.flac")
    sf.write(tmp, pcm, SAMPLE_RATE, subtype="PCM_16", format="FLAC",
             compression_level=FLAC_COMPRESSION)
    tmp.replace(path)


def slug(text: str) -> str:
    """File-name-safe version of ``text`` (letters, digits, ``-``)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def reset_audio_dir(root: Path) -> Path:
    """Delete and recreate ``root/audio`` so that no stale clip survives a rebuild."""
    audio = root / "audio"
    if audio.exists():
        shutil.rmtree(audio)
    audio.mkdir(parents=True)
    return audio


def write_metadata(root: Path, clips: list[Clip]) -> None:
    """Write ``root/metadata.csv`` sorted by path, with Unix line endings."""
    clips = sorted(clips, key=lambda c: c.path)
    with open(root / "metadata.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["path", "label", "split", "group", "source", "license"])
        for c in clips:
            w.writerow([c.path, c.label, c.split, c.group, c.source, c.license])


def count_table(clips: list[Clip], classes: list[str]) -> str:
    """Markdown table of clip counts, class x split, with totals."""
    splits = [s for s in SPLITS if any(c.split == s for c in clips)]
    n = Counter((c.label, c.split) for c in clips)
    lines = ["| class | " + " | ".join(splits) + " | total |",
             "|---" * (len(splits) + 2) + "|"]
    for k in classes:
        row = [n[(k, s)] for s in splits]
        lines.append(f"| {k} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    tot = [sum(n[(k, s)] for k in classes) for s in splits]
    lines.append("| **total** | " + " | ".join(map(str, tot)) + f" | {sum(tot)} |")
    groups = [len({c.group for c in clips if c.split == s}) for s in splits]
    lines.append("| groups | " + " | ".join(map(str, groups)) + f" | {len({c.group for c in clips})} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- spoken_digits
ESPEAK_ACCENTS = ["en-gb", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
N_VOICES = 56            # accent+variant combinations, 7 per accent
N_VALID_VOICES = 8
N_TEST_VOICES = 8
RENDITIONS = 3           # clips per voice and digit
SPEED_RANGE = (120, 220)  # words per minute (espeak -s)
PITCH_RANGE = (20, 80)    # espeak -p, 0..99
AMPLITUDE_RANGE = (40, 90)  # espeak -a (100 is the default; lower avoids clipping)
PEAK_DB_RANGE = (-12.0, -1.0)  # final peak level, dBFS (level variation)
ENDINGS = ["", "!", "?"]  # changes espeak's intonation / stress
MAX_DIGIT_S = 1.5


def espeak_variants() -> list[str]:
    """Sorted espeak-ng voice variants (the ``+name`` part of ``-v``)."""
    if not ESPEAK_VARIANT_DIR.is_dir():
        sys.exit(f"make_datasets: {ESPEAK_VARIANT_DIR} not found; apt-get install espeak-ng")
    return sorted(p.name for p in ESPEAK_VARIANT_DIR.iterdir() if p.is_file())


def choose_voices(rng: np.random.Generator) -> list[tuple[str, str]]:
    """Pick N_VOICES distinct (accent, variant) pairs, equal per accent, each variant used once."""
    variants = espeak_variants()
    order = rng.permutation(len(variants))
    per_accent = N_VOICES // len(ESPEAK_ACCENTS)
    voices = []
    for i, idx in enumerate(order[: per_accent * len(ESPEAK_ACCENTS)]):
        voices.append((ESPEAK_ACCENTS[i % len(ESPEAK_ACCENTS)], variants[idx]))
    return voices


def synthesize(voice: str, text: str, speed: int, pitch: int, amplitude: int) -> np.ndarray:
    """Run espeak-ng and return the 16 kHz waveform of ``text`` (float32, untrimmed)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "x.wav"
        cmd = [ESPEAK, "-v", voice, "-s", str(speed), "-p", str(pitch), "-a", str(amplitude),
               "-w", str(wav), text]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0 or not wav.exists():
            raise RuntimeError(f"espeak-ng failed for {cmd}: {res.stderr.strip()}")
        y, sr = sf.read(wav, dtype="float64")
    return to_16k_mono(y, sr)


def build_spoken_digits(out: Path) -> list[Clip]:
    """Synthesise "zero".."nine" with espeak-ng voices; split by voice (train/valid/test)."""
    rng = np.random.default_rng(SEED)
    root = out / "spoken_digits"
    audio = reset_audio_dir(root)
    voices = choose_voices(rng)
    perm = rng.permutation(len(voices))
    split_of = {}
    for rank, idx in enumerate(perm):
        split_of[voices[idx]] = ("test" if rank < N_TEST_VOICES else
                                 "valid" if rank < N_TEST_VOICES + N_VALID_VOICES else "train")
    jobs = []
    for accent, variant in voices:
        for word in DIGITS:
            for k in range(RENDITIONS):
                jobs.append(dict(
                    accent=accent, variant=variant, word=word, k=k,
                    speed=int(rng.integers(SPEED_RANGE[0], SPEED_RANGE[1] + 1)),
                    pitch=int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1)),
                    amp=int(rng.integers(AMPLITUDE_RANGE[0], AMPLITUDE_RANGE[1] + 1)),
                    ending=ENDINGS[int(rng.integers(len(ENDINGS)))],
                    peak_db=round(float(rng.uniform(*PEAK_DB_RANGE)), 2)))

    def render(job: dict) -> Clip | None:
        voice = f"{job['accent']}+{job['variant']}"
        text = job["word"] + job["ending"]
        y = synthesize(voice, text, job["speed"], job["pitch"], job["amp"])
        y = trim_silence(y, top_db=40, margin_s=0.02)
        if len(y) > MAX_DIGIT_S * SAMPLE_RATE or len(y) < 0.1 * SAMPLE_RATE:
            print(f"  skip {voice} {text!r}: {len(y) / SAMPLE_RATE:.2f} s after trimming")
            return None
        y = peak_normalize(y, job["peak_db"])
        name = (f"{job['word']}_{slug(job['accent'])}_{slug(job['variant'])}"
                f"_s{job['speed']}_p{job['pitch']}_{job['k']}.flac")
        write_flac(audio / job["word"] / name, y)
        src = (f"espeak-ng 1.51: -v {voice} -s {job['speed']} -p {job['pitch']} -a {job['amp']} "
               f"'{text}'; peak {job['peak_db']} dBFS")
        return Clip(f"audio/{job['word']}/{name}", job["word"], split_of[(job["accent"], job["variant"])],
                    voice, src, "CC0-1.0")

    with ThreadPoolExecutor(max_workers=4) as pool:
        clips = [c for c in pool.map(render, jobs) if c is not None]
    write_metadata(root, clips)
    write_spoken_digits_readme(root, clips, voices, split_of)
    return clips


def write_spoken_digits_readme(root: Path, clips: list[Clip], voices: list[tuple[str, str]],
                               split_of: dict) -> None:
    """Generated README.md for data/spoken_digits."""
    by_split = {s: sorted(f"{a}+{v}" for (a, v) in voices if split_of[(a, v)] == s) for s in SPLITS}
    durs = [sf.info(root / c.path).duration for c in clips]
    text = f"""# spoken_digits — synthetic spoken digits (espeak-ng)

The default audiokit dataset: the English words "zero" … "nine", each clip one word,
synthesised with the formant speech synthesiser **espeak-ng 1.51** across
{len(ESPEAK_ACCENTS)} English accents ({", ".join(ESPEAK_ACCENTS)}) combined with
{len(voices)} different voice variants (`-v ACCENT+VARIANT`, e.g. `en-us+m3`, `en-029+klatt2`).
One accent+variant combination is one **voice** (the `group` column).

- 16 kHz, mono, 16-bit FLAC; silence trimmed (librosa `top_db=40`, 20 ms margin kept),
  every clip <= {MAX_DIGIT_S} s (here {min(durs):.2f}–{max(durs):.2f} s, mean {np.mean(durs):.2f} s).
- Per voice and digit {RENDITIONS} renditions with seeded random speed `-s` {SPEED_RANGE[0]}–{SPEED_RANGE[1]}
  words/min, pitch `-p` {PITCH_RANGE[0]}–{PITCH_RANGE[1]}, amplitude `-a` {AMPLITUDE_RANGE[0]}–{AMPLITUDE_RANGE[1]},
  an ending of "", "!" or "?" (changes intonation), and a final peak level of
  {PEAK_DB_RANGE[0]:g} to {PEAK_DB_RANGE[1]:g} dBFS. The `source` column records every setting.
- **Split by voice** (seeded): the {N_VALID_VOICES} validation and {N_TEST_VOICES} test voices never occur in training.
  The split is stored in `metadata.csv`; loaders must not re-split.

## How it was made

```
sudo apt-get install espeak-ng
.venv/bin/python data/make_datasets.py --out data/ --only spoken_digits
```

## Clips per class and split

{count_table(clips, DIGITS)}

Voices — valid: {", ".join(by_split["valid"])}.

Voices — test: {", ".join(by_split["test"])}.

## Licence

The clips were generated for audiokit and are dedicated to the public domain under
**CC0-1.0** (https://creativecommons.org/publicdomain/zero/1.0/). espeak-ng itself is
GPL-3.0-or-later; it is only the tool that produced the audio and is not shipped.

## Intended lesson

Synthetic voices are cheap, perfectly labelled and balanced, but every voice is a
formant synthesiser: a model that scores well on held-out *synthetic* voices can still
fail on a human speaker. Compare the test accuracy here with `spoken_digits_real`
(the synthetic-to-real domain gap), and compare a random split with the voice split
to see how much grouping matters.
"""
    (root / "README.md").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- spoken_digits_real
ASTERISK_SPEAKER = "allison-smith"
ASTERISK_LICENSE = "CC-BY-SA-3.0"


def asterisk_digit_dir() -> Path:
    """The folder holding the Asterisk English ``0.wav`` .. ``9.wav`` prompts."""
    for d in ASTERISK_DIGIT_DIRS:
        if (d / "0.wav").is_file():
            return d
    sys.exit("make_datasets: Asterisk digit prompts not found; apt-get install asterisk-core-sounds-en-wav")


def build_spoken_digits_real(out: Path) -> list[Clip]:
    """Resample the ten human-recorded Asterisk digit prompts (8 kHz) to 16 kHz; all split=test."""
    root = out / "spoken_digits_real"
    audio = reset_audio_dir(root)
    src_dir = asterisk_digit_dir()
    clips = []
    for i, word in enumerate(DIGITS):
        y, sr = sf.read(src_dir / f"{i}.wav", dtype="float64")
        y = trim_silence(to_16k_mono(y, sr), top_db=40, margin_s=0.02)
        y = peak_normalize(y, -1.0)
        name = f"{word}_{ASTERISK_SPEAKER}.flac"
        write_flac(audio / word / name, y)
        clips.append(Clip(f"audio/{word}/{name}", word, "test", ASTERISK_SPEAKER,
                          f"asterisk-core-sounds-en-wav: {src_dir.parent.name}/digits/{i}.wav (8 kHz; recorded by Allison Smith, Digium, Inc.)",
                          ASTERISK_LICENSE))
    write_metadata(root, clips)
    durs = [sf.info(root / c.path).duration for c in clips]
    text = f"""# spoken_digits_real — one human speaker, telephone quality

The ten English digit prompts "zero" … "nine" recorded by **Allison Smith** for the
Asterisk PBX (Debian package `asterisk-core-sounds-en-wav`, files
`{src_dir}/0.wav` … `9.wav`). One clip per digit, one speaker: a tiny
**evaluation-only** set (`split` is `test` for every clip; never train on it).

- The originals are 8 kHz telephone prompts; they were resampled to 16 kHz (resampy
  `kaiser_best`), so there is **no energy above 4 kHz** — unlike `spoken_digits`.
- Silence trimmed (librosa `top_db=40`, 20 ms margin), peak-normalised to -1 dBFS;
  durations {min(durs):.2f}–{max(durs):.2f} s.
- Left out: `oh.wav` (zero said as "oh"), numbers above nine, ordinals (`h-*`),
  days/months and other words in the same folder: only the clear digit words are kept.

## How it was made

```
sudo apt-get install asterisk-core-sounds-en-wav
.venv/bin/python data/make_datasets.py --out data/ --only spoken_digits_real
```

## Clips per class and split

{count_table(clips, DIGITS)}

## Licence

Asterisk core sound prompts, Copyright 2003-2010 Allison Smith (recorded by Allison Smith,
http://www.theivrvoice.com; financial contributions by Digium, Inc.), licensed under
**Creative Commons Attribution-ShareAlike 3.0** (CC-BY-SA-3.0,
https://creativecommons.org/licenses/by-sa/3.0/). Changes made: resampled from 8 kHz
to 16 kHz, silence trimmed, level normalised, converted to FLAC. These clips (and only
these) are redistributed under the same licence. Licence text as shipped by Debian:
`/usr/share/doc/asterisk-core-sounds-en-wav/copyright`.

## Intended lesson

The real-speech domain gap: train on the synthetic `spoken_digits` voices, then test
here. One real speaker, a different microphone/channel and a 4 kHz bandwidth are
enough to drop accuracy; try band-limiting or augmenting the training data and
measure again. With ten clips, one error is ten percentage points: report counts.
"""
    (root / "README.md").write_text(text, encoding="utf-8")
    return clips


# --------------------------------------------------------------------------- drum_hits
# Licence of every kit in hydrogen-drumkits, from each drumkit.xml <license> / README and
# /usr/share/doc/hydrogen-drumkits/copyright. None = not redistributed here (reason given).
KIT_LICENSES: dict[str, tuple[str | None, str]] = {
    "BJA_Pacific": ("CC-BY-SA-3.0-US", "Luc Tanguay / Bransin James Anderson"),
    "ColomboAcousticDrumkit": ("GPL-2.0-or-later (with composition exception)",
                               "2006 Marcos Guglielmetti"),
    "ElectricEmpireKit": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs)"),
    "ForzeeStereo": ("GPL-2.0", "Vladimir Sadovnikov, Alexander Belokurov"),
    "Gimme A Hand 1.0": ("GPL-2.0", "Glen MacArthur"),
    "HardElectro1": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs)"),
    "Millo-Drums_v.1": ("GPL-2.0", "Emiliano Grilli (Emillo)"),
    "Millo_MultiLayered2": ("GPL-2.0", "Emiliano Grilli (Emillo)"),
    "Millo_MultiLayered3": ("GPL-2.0", "Emiliano Grilli (Emillo)"),
    "The Black Pearl 1.0": ("GPL-2.0", "Glen MacArthur"),
    "VariBreaks": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs) / Sineshine"),
    "circAfrique v4": ("CC-BY-SA-3.0", "Jim Harney"),
    "rumpf_kit_z01_h2": ("CC-BY-3.0", "Emanuel Rumpf"),
    "Audiophob": (None, "declared CC0 by soundcloud.com/audiophobdubstep, but every sample is a "
                        "renamed freesound.org upload by a different author whose own licence is not "
                        "recorded: provenance unclear, dropped"),
}
# instrument-name words that never count as one of the five classes
DRUM_EXCLUDE = re.compile(r"stick|rim ?click|clap|cowbell|tambourine|agogo|conga|roll|snap|clave|"
                          r"woodblock|maraca|bongo|cajon|whistle|zap|\bfx\b|click|glass|djembe|"
                          r"sangban|dununba|kenkeni|empty", re.I)
DRUM_RULES = [  # first match wins; hihat before cymbal ("Sabian Hat" vs "Sabian Crash")
    ("hihat", re.compile(r"hi-?\s?hat|hihat|\bhat\b|\bhh\b|\bchh\b|\bohh\b", re.I)),
    ("kick", re.compile(r"kick|bass ?drum|\bbd\b", re.I)),
    ("tom", re.compile(r"\btom", re.I)),
    ("snare", re.compile(r"snare|\bsd\b|\bredo\b", re.I)),
    ("cymbal", re.compile(r"crash|ride|china|splash|cymbal|paiste|sabian|zildjian", re.I)),
]
MAX_DRUM_S = 1.0
FADE_S = 0.05
DRUM_TEST_SHARE = 0.20   # target share of clips in the test split
DRUM_VALID_SHARE = 0.15


def classify_drum(name: str) -> str | None:
    """Map a Hydrogen instrument name (or sample file name) to a drum class, or None."""
    text = re.sub(r"[_\-.]", " ", name)
    if DRUM_EXCLUDE.search(text):
        return None
    for cls, rx in DRUM_RULES:
        if rx.search(text):
            return cls
    return None


def read_kit(kit_dir: Path) -> list[tuple[str, str, str]]:
    """(instrument name, sample file name, class) for every mapped layer of one kit, deduplicated."""
    root = ET.parse(kit_dir / "drumkit.xml").getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    rows, seen = [], set()
    for inst in root.iter(ns + "instrument"):
        iname = (inst.findtext(ns + "name") or "").strip()
        files = [ly.findtext(ns + "filename") for ly in inst.iter(ns + "layer")]
        if not files and inst.findtext(ns + "filename"):
            files = [inst.findtext(ns + "filename")]
        for fname in files:
            if not fname or fname in seen:
                continue
            cls = classify_drum(iname)
            if cls is None and not DRUM_EXCLUDE.search(iname) and iname:
                cls = classify_drum(Path(fname).stem)  # e.g. "redo super opaco" -> snare-*.flac
            if cls is None:
                continue
            seen.add(fname)
            rows.append((iname, fname, cls))
    return rows


def split_kits(kit_classes: dict[str, Counter], rng: np.random.Generator,
               draws: int = 2000) -> dict[str, str]:
    """Seeded kit-level split: train, valid and test kits each cover every class.

    For each of ``draws`` random kit orders, kits are taken into test until test covers
    every class and holds at least DRUM_TEST_SHARE of the clips, then likewise into valid;
    the rest is train. Of the orders where train also covers every class, the one whose
    test/valid shares are closest to the targets wins (first one on ties).
    """
    kits = sorted(kit_classes)
    size = {k: sum(kit_classes[k].values()) for k in kits}
    total = sum(size.values())
    best, best_cost = None, np.inf
    for _ in range(draws):
        order = [kits[i] for i in rng.permutation(len(kits))]
        assign, pos, shares = {}, 0, {}
        for split, target in (("test", DRUM_TEST_SHARE), ("valid", DRUM_VALID_SHARE)):
            have, n = Counter(), 0
            while pos < len(order) and (set(have) != set(DRUM_CLASSES) or n < target * total):
                have.update(kit_classes[order[pos]])
                n += size[order[pos]]
                assign[order[pos]] = split
                pos += 1
            shares[split] = n / total if set(have) == set(DRUM_CLASSES) else np.inf
        train = Counter()
        for k in order[pos:]:
            assign[k] = "train"
            train.update(kit_classes[k])
        if set(train) != set(DRUM_CLASSES):
            continue
        cost = abs(shares["test"] - DRUM_TEST_SHARE) + abs(shares["valid"] - DRUM_VALID_SHARE)
        if cost < best_cost:
            best, best_cost = assign, cost
    if best is None:
        raise RuntimeError("split_kits: no kit split gives every split every class")
    return best


def load_drum(path: Path) -> np.ndarray:
    """Read a drum sample, 16 kHz mono, silence-trimmed, <= 1 s with a 50 ms fade-out, peak -1 dBFS."""
    y, sr = sf.read(path, dtype="float64", always_2d=True)
    y = to_16k_mono(y, sr)
    if np.max(np.abs(y)) < 1e-4:
        raise ValueError(f"{path}: silent sample")
    y = trim_silence(y, top_db=40, margin_s=0.002)
    y = y[: int(MAX_DRUM_S * SAMPLE_RATE)].copy()
    fade = min(int(FADE_S * SAMPLE_RATE), len(y))
    y[len(y) - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return peak_normalize(y, -1.0)


def build_drum_hits(out: Path) -> list[Clip]:
    """One-shot drum hits from the Hydrogen kits with a redistributable licence; split by kit."""
    rng = np.random.default_rng(SEED + 2)
    root = out / "drum_hits"
    audio = reset_audio_dir(root)
    if not HYDROGEN_KITS.is_dir():
        sys.exit(f"make_datasets: {HYDROGEN_KITS} not found; apt-get install hydrogen-drumkits")
    kit_rows, dropped = {}, {}
    for kit_dir in sorted(p for p in HYDROGEN_KITS.iterdir() if (p / "drumkit.xml").is_file()):
        lic, note = KIT_LICENSES.get(kit_dir.name, (None, "licence not reviewed"))
        if lic is None:
            dropped[kit_dir.name] = note
            continue
        rows = read_kit(kit_dir)
        if not rows:
            dropped[kit_dir.name] = f"{lic}; no kick/snare/hihat/tom/cymbal instruments"
            continue
        kit_rows[kit_dir.name] = rows
    kit_classes = {k: Counter(r[2] for r in rows) for k, rows in kit_rows.items()}
    split_of = split_kits(kit_classes, rng)

    def render(item: tuple[str, tuple[str, str, str]]) -> Clip:
        kit, (iname, fname, cls) = item
        y = load_drum(HYDROGEN_KITS / kit / fname)
        name = f"{slug(kit)}__{slug(iname)}__{slug(Path(fname).stem)}.flac"
        write_flac(audio / cls / name, y)
        lic, author = KIT_LICENSES[kit]
        return Clip(f"audio/{cls}/{name}", cls, split_of[kit], kit,
                    f"hydrogen-drumkits: {kit}/{fname} (instrument '{iname}', {author})", lic)

    items = [(k, r) for k in sorted(kit_rows) for r in kit_rows[k]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        clips = list(pool.map(render, items))
    write_metadata(root, clips)
    if GPL2_TEXT.is_file():
        shutil.copyfile(GPL2_TEXT, root / "GPL-2.0.txt")
    write_drum_readme(root, clips, kit_classes, split_of, dropped)
    return clips


def write_drum_readme(root: Path, clips: list[Clip], kit_classes: dict[str, Counter],
                      split_of: dict[str, str], dropped: dict[str, str]) -> None:
    """Generated README.md for data/drum_hits."""
    kit_lines = ["| kit | split | clips | kick | snare | hihat | tom | cymbal | licence | author |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
    for kit in sorted(kit_classes):
        c = kit_classes[kit]
        lic, author = KIT_LICENSES[kit]
        kit_lines.append(f"| {kit} | {split_of[kit]} | {sum(c.values())} | "
                         + " | ".join(str(c[k]) for k in DRUM_CLASSES) + f" | {lic} | {author} |")
    drop_lines = "\n".join(f"- **{k}**: {v}" for k, v in sorted(dropped.items()))
    durs = [sf.info(root / c.path).duration for c in clips]
    text = f"""# drum_hits — recorded one-shot drum hits, split by kit

Single drum hits from the free drum kits of the Hydrogen drum machine (Debian package
`hydrogen-drumkits`, `{HYDROGEN_KITS}/*/`), five classes: {", ".join(DRUM_CLASSES)}.
Every velocity layer of an instrument is a separate clip (soft and hard hits sound
different). `group` is the kit; **test and validation kits never occur in training**.

- 16 kHz mono 16-bit FLAC (stereo samples averaged, resampled with resampy `kaiser_best`),
  leading/trailing silence trimmed (librosa `top_db=40`), cut to <= {MAX_DRUM_S:g} s with a
  {FADE_S * 1000:.0f} ms linear fade-out, peak-normalised to -1 dBFS; durations
  {min(durs):.2f}–{max(durs):.2f} s, mean {np.mean(durs):.2f} s.
- Instrument names were mapped by keywords (`classify_drum` in `data/make_datasets.py`):
  kick / bass drum / BD -> kick; snare (incl. rimshots, "redo" = Spanish *redoblante*) -> snare;
  hi-hat / hat / HH (closed, open, pedal, choke) -> hihat; tom (incl. floor tom) -> tom;
  crash / ride (incl. ride bell) / china / splash / cymbal -> cymbal. Not used: side stick,
  rim click, snare roll (not a one-shot), clap, cowbell, tambourine, agogo, conga, bongo,
  cajon, percussion, FX and unnamed slots — too few per kit for their own class.
  When two instruments share a sample file, it is used once.
- Split seeded at kit level so that train, valid and test each contain every class.
  Electronic kits (ElectricEmpireKit, HardElectro1, VariBreaks) have no toms/cymbals.

## How it was made

```
sudo apt-get install hydrogen-drumkits
.venv/bin/python data/make_datasets.py --out data/ --only drum_hits
```

## Clips per class and split

{count_table(clips, DRUM_CLASSES)}

## Kits used and their licences

{chr(10).join(kit_lines)}

Kits not used:

{drop_lines}

Licences: GPL-2.0 (text in `GPL-2.0.txt` next to this file; the unmodified source samples
are in the Debian package `hydrogen-drumkits` and its upstream
http://www.hydrogen-music.org/), CC-BY-3.0 (https://creativecommons.org/licenses/by/3.0/),
CC-BY-SA-3.0 / CC-BY-SA-3.0-US (https://creativecommons.org/licenses/by-sa/3.0/,
https://creativecommons.org/licenses/by-sa/3.0/us/). Changes made to every sample:
mixed to mono, resampled to 16 kHz, trimmed, faded out, level normalised, converted to
FLAC. Each clip keeps the licence of its kit (`license` column); the per-kit attribution
is in the `source` column and the table above. Debian's summary:
`/usr/share/doc/hydrogen-drumkits/copyright`.

## Intended lesson

Kit-held-out evaluation: hits of one kit share microphones, room and drum heads, so a
random clip-level split leaks the kit and overestimates accuracy. Compare a random split
with this kit split; look at which classes get confused (hihat vs cymbal, tom vs kick)
and how the electronic kits differ from the acoustic ones.
"""
    (root / "README.md").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- main
BUILDERS = {
    "spoken_digits": build_spoken_digits,
    "spoken_digits_real": build_spoken_digits_real,
    "drum_hits": build_drum_hits,
}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build all datasets, or one with ``--only``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                    help="output folder holding one sub-folder per dataset (default: data/)")
    ap.add_argument("--only", choices=DATASETS, help="build just this dataset")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in [args.only] if args.only else DATASETS:
        print(f"building {name} -> {args.out / name}")
        clips = BUILDERS[name](args.out)
        print(f"  {len(clips)} clips; " + ", ".join(
            f"{s}={sum(c.split == s for c in clips)}" for s in SPLITS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
