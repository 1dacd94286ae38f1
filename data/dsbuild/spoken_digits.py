"""The `spoken_digits` dataset: "zero".."nine" from speech synthesisers and real people, split by speaker.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from . import fsdd, tts
from .common import (
    DIGITS,
    SAMPLE_RATE,
    SEED,
    SPLITS,
    Clip,
    count_table,
    package_versions,
    peak_normalize,
    reset_audio_dir,
    slug,
    to_16k_mono,
    trim_silence,
    versions_table,
    write_flac,
    write_metadata,
)

PACKAGES = ["espeak-ng", "flite", "festival", "festvox-kallpc16k", "festvox-kdlpc16k",
            "festvox-us-slt-hts"]
ESPEAK_VARIANT_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
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


# Engine voices built from recordings of real speakers: (engine, voice, speaker, family).
# slt and kal each appear in two engines; the speaker, not the voice, is the group.
ENGINE_VOICES = [
    ("flite", "awb", "awb", "cmu-arctic"), ("flite", "rms", "rms", "cmu-arctic"),
    ("flite", "slt", "slt", "cmu-arctic"), ("flite", "kal", "kal", "diphone"),
    ("festival", "kal_diphone", "kal", "diphone"), ("festival", "ked_diphone", "ked", "diphone"),
    ("festival", "cmu_us_slt_arctic_hts", "slt", "cmu-arctic"),
]
SPEAKER_SPLIT = {"slt": "test", "kal": "valid", "awb": "train", "rms": "train", "ked": "train"}
ENGINE_RENDITIONS = 10        # clips per engine voice and digit
STRETCH_RANGE = (0.8, 1.25)   # duration factor (flite duration_stretch, festival Duration_Stretch / HTS -r)
PITCH_FACTOR_RANGE = (0.85, 1.18)  # pitch (and formant) factor, by playback rate
EXTRA_COLUMNS = ["speaker", "engine", "family"]


def espeak_clips(audio: Path, rng: np.random.Generator, version: str) -> tuple[list[Clip], list, dict]:
    """The espeak-ng part: N_VOICES voices x digits x RENDITIONS, split by voice."""
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
                jobs.append({
                    "accent": accent, "variant": variant, "word": word, "k": k,
                    "speed": int(rng.integers(SPEED_RANGE[0], SPEED_RANGE[1] + 1)),
                    "pitch": int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1)),
                    "amp": int(rng.integers(AMPLITUDE_RANGE[0], AMPLITUDE_RANGE[1] + 1)),
                    "ending": ENDINGS[int(rng.integers(len(ENDINGS)))],
                    "peak_db": round(float(rng.uniform(*PEAK_DB_RANGE)), 2)})

    def render(job: dict) -> Clip | None:
        voice = f"{job['accent']}+{job['variant']}"
        text = job["word"] + job["ending"]
        y = tts.espeak(voice, text, job["speed"], job["pitch"], job["amp"])
        name = (f"{job['word']}_{slug(job['accent'])}_{slug(job['variant'])}"
                f"_s{job['speed']}_p{job['pitch']}_{job['k']}.flac")
        src = (f"espeak-ng {version}: -v {voice} -s {job['speed']} -p {job['pitch']} -a {job['amp']} "
               f"'{text}'; peak {job['peak_db']} dBFS")
        clip = Clip(f"audio/{job['word']}/{name}", job["word"],
                    split_of[(job["accent"], job["variant"])], voice, src, "CC0-1.0",
                    {"speaker": voice, "engine": "espeak-ng", "family": "espeak-ng"})
        return finish(audio, clip, y, job["peak_db"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        clips = [c for c in pool.map(render, jobs) if c is not None]
    return clips, voices, split_of


def finish(audio: Path, clip: Clip, y: np.ndarray, peak_db: float) -> Clip | None:
    """Trim, check the length, normalise and write one digit clip; None if it is too long/short."""
    y = trim_silence(y, top_db=40, margin_s=0.02)
    if len(y) > MAX_DIGIT_S * SAMPLE_RATE or len(y) < 0.1 * SAMPLE_RATE:
        print(f"  skip {clip.source}: {len(y) / SAMPLE_RATE:.2f} s after trimming")
        return None
    write_flac(audio.parent / clip.path, peak_normalize(y, peak_db))
    return clip


def engine_clips(audio: Path, rng: np.random.Generator, versions: dict[str, str]) -> list[Clip]:
    """flite and festival voices x digits x ENGINE_RENDITIONS with seeded speed, pitch, ending, level."""
    jobs = []
    for engine, voice, speaker, family in ENGINE_VOICES:
        for word in DIGITS:
            for k in range(ENGINE_RENDITIONS):
                jobs.append({
                    "engine": engine, "voice": voice, "speaker": speaker, "family": family, "word": word, "k": k,
                    "stretch": round(float(rng.uniform(*STRETCH_RANGE)), 3),
                    "pitch": round(float(rng.uniform(*PITCH_FACTOR_RANGE)), 3),
                    "ending": ENDINGS[int(rng.integers(len(ENDINGS)))],
                    "peak_db": round(float(rng.uniform(*PEAK_DB_RANGE)), 2)})

    def render(job: dict) -> Clip | None:
        text = job["word"] + job["ending"]
        synth = tts.flite if job["engine"] == "flite" else tts.festival
        y, sr = synth(job["voice"], text, job["stretch"] * job["pitch"])
        y = tts.pitch_shift_by_rate(y, sr, job["pitch"])
        name = (f"{job['word']}_{job['engine']}_{slug(job['voice'])}"
                f"_d{job['stretch']:.3f}_f{job['pitch']:.3f}_{job['k']}.flac")
        package = "flite" if job["engine"] == "flite" else "festival"
        src = (f"{job['engine']} {versions[package]}: voice {job['voice']} '{text}', durations x"
               f"{job['stretch'] * job['pitch']:.4f} then played x{job['pitch']:.3f} faster "
               f"(pitch x{job['pitch']:.3f}, net duration x{job['stretch']:.3f}); "
               f"peak {job['peak_db']} dBFS")
        clip = Clip(f"audio/{job['word']}/{name}", job["word"], SPEAKER_SPLIT[job["speaker"]],
                    job["speaker"], src, "CC0-1.0",
                    {"speaker": job["speaker"], "engine": job["engine"], "family": job["family"]})
        return finish(audio, clip, y, job["peak_db"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [c for c in pool.map(render, jobs) if c is not None]


def natural_clips(audio: Path, work: list[dict]) -> list[Clip]:
    """The FSDD recordings (``fsdd.jobs``): 8 kHz -> 16 kHz, trimmed, seeded peak level."""
    def render(job: dict) -> Clip | None:
        y = to_16k_mono(fsdd.read_recording(job["path"]), fsdd.RATE)
        return finish(audio, fsdd.clip_of(job), y, job["peak_db"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [c for c in pool.map(render, work) if c is not None]


def build_spoken_digits(out: Path, fsdd_dir: Path = fsdd.DEFAULT_DIR) -> list[Clip]:
    """Synthesise "zero".."nine" with espeak-ng, flite and festival voices, add the FSDD
    speakers from ``fsdd_dir`` (checked first: a folder without them fails before synthesis);
    split by speaker."""
    versions = package_versions(PACKAGES)
    natural = fsdd.jobs(fsdd_dir, np.random.default_rng(SEED + 30), PEAK_DB_RANGE)
    root = out / "spoken_digits"
    audio = reset_audio_dir(root)
    clips, voices, split_of = espeak_clips(audio, np.random.default_rng(SEED),
                                           versions["espeak-ng"].split("+")[0])
    clips += engine_clips(audio, np.random.default_rng(SEED + 10), versions)
    clips += natural_clips(audio, natural)
    write_metadata(root, clips, EXTRA_COLUMNS)
    write_spoken_digits_readme(root, clips, voices, split_of, versions)
    return clips


def write_spoken_digits_readme(root: Path, clips: list[Clip], voices: list[tuple[str, str]],
                               split_of: dict, versions: dict[str, str]) -> None:
    """Generated README.md for data/spoken_digits."""
    by_split = {s: sorted(f"{a}+{v}" for (a, v) in voices if split_of[(a, v)] == s) for s in SPLITS}
    spk = {s: sorted(k for k, v in SPEAKER_SPLIT.items() if v == s) for s in SPLITS}
    durs = [sf.info(root / c.path).duration for c in clips]
    engine_lines = "\n".join(f"| {e} | `{v}` | {sp} | {fam} | {SPEAKER_SPLIT[sp]} |"
                              for e, v, sp, fam in ENGINE_VOICES)
    natural = [c for c in clips if c.extra["engine"] == fsdd.ENGINE]
    fsdd_split = {s: sorted(k for k, v in fsdd.SPLIT.items() if v == s) for s in SPLITS}
    fsdd_lines = "\n".join(f"| {sp} | {fsdd.ACCENTS[sp]} | {fsdd.SPLIT[sp]} |" for sp in fsdd.SPEAKERS)
    text = f"""# spoken_digits — spoken digits from synthesisers and real people

The default audiokit dataset: the English words "zero" … "nine", each clip one word, from
three speech synthesisers and four real people:

- **espeak-ng {versions["espeak-ng"].split("+")[0]}** (formant synthesis, no recordings behind it):
  {len(ESPEAK_ACCENTS)} English accents ({", ".join(ESPEAK_ACCENTS)}) combined with {len(voices)}
  voice variants (`-v ACCENT+VARIANT`, e.g. `en-us+m3`); one accent+variant is one speaker.
- **flite** and **festival** voices built from recordings of real speakers (CMU ARCTIC
  cluster/HTS voices and diphone voices). The speaker, not the voice, is the `group`:
  `slt` is both flite `slt` and festival `cmu_us_slt_arctic_hts`; `kal` is both flite `kal`
  (8 kHz) and festival `kal_diphone`.
- **natural speech**: {len(natural)} recordings of {len(fsdd.SPEAKERS)} people from the
  [Free Spoken Digit Dataset]({fsdd.REPOSITORY}) (FSDD, commit {fsdd.COMMIT}; {fsdd.CREDIT};
  {fsdd.LICENSE}), {fsdd.TAKES} takes of each digit per speaker, engine `human`, family `fsdd`.
  They were recorded at 8 kHz: **nothing above 4 kHz**, unlike every synthetic voice here
  (notebook 05 shows the band edge; the default recipe's features stop at 4 kHz for that
  reason). The dataset's other two speakers are not shipped (kept for independent evaluation).

| FSDD speaker (`group`) | accent (FSDD's metadata; all male) | split |
|---|---|---|
{fsdd_lines}

| engine | voice | speaker (`group`) | family | split |
|---|---|---|---|---|
{engine_lines}

- 16 kHz, mono, 16-bit FLAC; silence trimmed (`audiokit.io.trim_silence`, `top_db=40`, 20 ms
  margin kept), every clip <= {MAX_DIGIT_S} s (here {min(durs):.2f}–{max(durs):.2f} s, mean {np.mean(durs):.2f} s).
- espeak-ng: per voice and digit {RENDITIONS} renditions with seeded random speed `-s`
  {SPEED_RANGE[0]}–{SPEED_RANGE[1]} words/min, pitch `-p` {PITCH_RANGE[0]}–{PITCH_RANGE[1]},
  amplitude `-a` {AMPLITUDE_RANGE[0]}–{AMPLITUDE_RANGE[1]}.
- flite / festival: per voice and digit {ENGINE_RENDITIONS} renditions with a seeded duration
  factor {STRETCH_RANGE[0]:g}–{STRETCH_RANGE[1]:g} and pitch factor
  {PITCH_FACTOR_RANGE[0]:g}–{PITCH_FACTOR_RANGE[1]:g}. The voice is synthesised with durations
  stretched by duration x pitch (flite `--setf duration_stretch=`, festival
  `Parameter.set 'Duration_Stretch`, and for the HTS voice, which ignores that parameter,
  hts_engine's speed rate `-r` = 1/stretch), then played `pitch` times faster (resampled from
  rate x pitch to 16 kHz): pitch and formants rise by the pitch factor and the net duration is
  the duration factor. (flite's `int_f0_target_mean` moved the pitch of only some voices when
  measured, so one method serves every voice.)
- Every engine: an ending of "", "!" or "?" (changes intonation) and a final peak level of
  {PEAK_DB_RANGE[0]:g} to {PEAK_DB_RANGE[1]:g} dBFS. The `source` column records every setting.
- FSDD: each original 8 kHz recording resampled to 16 kHz (resampy `kaiser_best`), trimmed by
  the same rule and given a seeded peak level of {PEAK_DB_RANGE[0]:g} to {PEAK_DB_RANGE[1]:g} dBFS
  like the synthetic clips (their own levels range from about -32 to -1 dBFS by speaker, so
  the level would otherwise tell who speaks); the `source` column names the original file.
- Columns: `path,label,split,group,source,license,speaker,engine,family` (`group` = `speaker`;
  `engine`: espeak-ng, flite, festival, human; `family`: espeak-ng, cmu-arctic, diphone, fsdd).
- **Split by speaker**: validation and test speakers never occur in training. espeak-ng:
  {N_VALID_VOICES} validation and {N_TEST_VOICES} test voices (seeded); flite/festival: test
  {", ".join(spk["test"])}, valid {", ".join(spk["valid"])}, train {", ".join(spk["train"])};
  FSDD (one speaker drawn with the seed): test {", ".join(fsdd_split["test"])}, train
  {", ".join(fsdd_split["train"])}.
  The split is stored in `metadata.csv`; loaders must not re-split.

## How it was made

```
sudo apt-get install {" ".join(PACKAGES)}
git clone {fsdd.REPOSITORY} fsdd && git -C fsdd checkout {fsdd.COMMIT}
.venv/bin/python data/make_datasets.py --out data/ --only spoken_digits --fsdd fsdd/recordings
```

{versions_table(versions)}

## Clips per class and split

{count_table(clips, DIGITS)}

## Clips per class and engine

{count_table(clips, DIGITS, key="engine")}

espeak-ng voices — valid: {", ".join(by_split["valid"])}.

espeak-ng voices — test: {", ".join(by_split["test"])}.

## Licence

Per clip (`license` column). The FSDD clips: **{fsdd.LICENSE}**
(https://creativecommons.org/licenses/by-sa/4.0/), credit "{fsdd.CREDIT}" ({fsdd.REPOSITORY});
changes made: resampled from 8 kHz to 16 kHz, silence trimmed, level changed, converted to
FLAC; they may only be redistributed under the same licence.

The synthetic clips were generated for audiokit and are dedicated to the public domain under
**CC0-1.0** (https://creativecommons.org/publicdomain/zero/1.0/). The tools are not shipped:
espeak-ng (GPL-3.0-or-later), flite (BSD-style CMU licence; voices awb, rms, slt, kal
© Carnegie Mellon University), festival (X11-style licence, © University of Edinburgh and
CMU) with the festvox voices kal_diphone, ked_diphone (BSD-style, © CMU / OGI) and
cmu_us_slt_arctic_hts (© 2003 Carnegie Mellon University, EST-2003 licence, HTS parts
BSD-3-clause); all allow free use of their output.

## Intended lesson

Synthetic voices are cheap, perfectly labelled and balanced; people are not, and a model that
has heard only synthesisers fails most of them (notebooks 06 and 07 measure it per engine and
speaker). espeak-ng is a formant
synthesiser; flite and festival reproduce recordings of a few real speakers, which is why
the split is by *speaker* across engines (a model that heard flite `slt` has heard the test
speaker even if festival's `slt` is held out). Compare the test accuracy per engine and speaker
(`audiokit evaluate CKPT --by speaker`), with `spoken_digits_real`, and with the natural
speakers held out one at a time (`audiokit train --cross-validate speaker`); compare a random
split with the speaker split to see how much grouping matters.
"""
    (root / "README.md").write_text(text, encoding="utf-8")
