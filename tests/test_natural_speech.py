"""The natural speech in the shipped spoken_digits (four FSDD speakers) and its builder.

The shipped rows are checked as data (counts, speaker-disjoint splits, licence and credit); the
builder's FSDD path runs on a fake recordings folder (same names, synthetic audio), so CI checks
its errors and its byte-for-byte determinism without the real recordings.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from dsbuild import fsdd, spoken_digits

from audiokit import datasets as D

DIGITS = D.CLASSES["spoken_digits"]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with open(D.data_dir("spoken_digits") / "metadata.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_fsdd_rows_counts_and_columns(rows):
    human = [r for r in rows if r["engine"] == "human"]
    assert len(rows) == 4380 and len(human) == 2000
    assert Counter(r["speaker"] for r in human) == {s: 500 for s in fsdd.SPEAKERS}
    assert Counter((r["speaker"], r["label"]) for r in human) == {
        (s, d): 50 for s in fsdd.SPEAKERS for d in DIGITS}
    assert {r["family"] for r in human} == {"fsdd"} and all(r["group"] == r["speaker"] for r in human)
    assert {r["engine"] for r in rows} == {"espeak-ng", "flite", "festival", "human"}


def test_fsdd_licence_and_source_rows(rows):
    for r in rows:
        if r["engine"] == "human":
            assert r["license"] == "CC-BY-SA-4.0"
            assert r["source"].startswith(f"FSDD {fsdd.COMMIT}: recordings/")
            assert fsdd.CREDIT in r["source"]
            digit, speaker, take = Path(r["source"].split()[2]).stem.split("_")
            assert (DIGITS[int(digit)], speaker) == (r["label"], r["speaker"])
            assert r["path"] == f"audio/{r['label']}/{r['label']}_fsdd_{speaker}_{take}.flac"
        else:
            assert r["license"] == "CC0-1.0"
    licences = (ROOT / "data" / "LICENSES.md").read_text(encoding="utf-8")
    assert fsdd.CREDIT in licences and "CC-BY-SA-4.0" in licences and fsdd.COMMIT in licences


def test_splits_are_speaker_disjoint_with_a_natural_speaker_in_test(rows):
    splits_of = {}
    for r in rows:
        splits_of.setdefault(r["speaker"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits_of.values())  # no speaker on two sides
    natural = {s: next(iter(splits_of[s])) for s in fsdd.SPEAKERS}
    assert natural == fsdd.SPLIT and list(natural.values()).count("test") >= 1
    ds = D.load_builtin("spoken_digits", "test", cache=None)
    assert Counter(ds.column("engine"))["human"] == 500
    assert set(D.load_builtin("spoken_digits", "valid", cache=None).column("engine")) != {"human"}


def test_shipped_fsdd_clips_are_16k_mono_flac_trimmed(rows):
    root = D.data_dir("spoken_digits")
    for r in rows[:: 37]:
        info = sf.info(root / r["path"])
        assert (info.samplerate, info.channels, info.format, info.subtype) == (
            16000, 1, "FLAC", "PCM_16")
        assert 0.1 <= info.duration <= spoken_digits.MAX_DIGIT_S
    y, sr = sf.read(root / "audio/five/five_fsdd_jackson_3.flac")
    peak_db = 20 * np.log10(np.abs(y).max())
    stated = float(next(r for r in rows if r["path"].endswith("five_fsdd_jackson_3.flac"))
                   ["source"].split("peak ")[1].split()[0])
    assert abs(peak_db - stated) < 0.01  # the level the source column states
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    above = spec[freqs > 4100].max() / spec.max()
    assert above < 1e-2  # 8 kHz recordings: nothing above 4 kHz (resampy's stopband)


def test_two_speakers_six_stops_with_the_word(rows):
    """Notebook 07 ("What a recording does not hold") and the README: nicolas's and yweweler's
    "six" are cut with the word (their FSDD files are that short), jackson's and lucas's are not;
    the two shortest are the two people the README's leave-one-speaker-out table scores lowest."""
    root = D.data_dir("spoken_digits")
    median = {who: float(np.median([sf.info(root / r["path"]).duration for r in rows
                                    if r["speaker"] == who and r["label"] == "six"]))
              for who in fsdd.SPEAKERS}
    # shipped files have fixed sample counts; the values are the medians rounded to 1 ms
    assert median == pytest.approx({"jackson": 0.392, "lucas": 0.496, "nicolas": 0.265,
                                    "yweweler": 0.229}, abs=1e-3)
    assert sorted(median, key=median.get)[:2] == ["yweweler", "nicolas"]


# -- the builder on a fake FSDD folder ---------------------------------------------------------


def fake_fsdd(folder: Path, speakers=fsdd.SPEAKERS, takes=fsdd.TAKES, skip=()) -> Path:
    """FSDD-named 8 kHz mono WAVs (a tone per digit), as the public repository's recordings/."""
    rec = folder / "recordings"
    rec.mkdir(parents=True)
    t = np.arange(2400) / fsdd.RATE
    for s, speaker in enumerate(speakers):
        for d in range(10):
            for take in range(takes):
                stem = f"{d}_{speaker}_{take}"
                if stem in skip:
                    continue
                tone = np.sin(2 * np.pi * (200 + 40 * d + 5 * s + take) * t) * np.hanning(t.size)
                sf.write(rec / f"{stem}.wav", (0.3 * tone).astype(np.float32), fsdd.RATE,
                         subtype="PCM_16")
    return folder


def test_digits_are_served_at_the_middle_of_their_built_levels(rows):
    """The builder gives each clip a seeded peak level; served clips are scaled to its middle."""
    lo, hi = spoken_digits.PEAK_DB_RANGE
    served = D.TRIM_RULES["spoken_digits"]["peak_dbfs"]
    assert served == (lo + hi) / 2 == -6.5
    peaks = np.array([float(re.search(r"peak (-?[\d.]+) dBFS", r["source"]).group(1))
                      for r in rows])
    assert len(peaks) == 4380 and lo <= peaks.min() and peaks.max() <= hi
    # 4380 uniform draws: their median lies within 0.3 dB of the middle (its std is ~0.08 dB)
    assert abs(np.median(peaks) - served) < 0.3
    for engine in ("human", "espeak-ng", "festival", "flite"):  # every source, not one
        mine = [p for p, r in zip(peaks, rows) if r["engine"] == engine]
        assert abs(np.median(mine) - served) < 1.0, engine


def test_missing_recordings_are_named(tmp_path):
    folder = fake_fsdd(tmp_path / "fsdd", takes=2)
    with pytest.raises(SystemExit, match=r"1920 of 2000 FSDD recordings missing.*0_jackson_2"):
        fsdd.find_recordings(folder)
    with pytest.raises(SystemExit, match="does not exist"):
        fsdd.find_recordings(tmp_path / "nowhere")
    sf.write(tmp_path / "x.wav", np.zeros((100, 2), np.float32), 8000)
    with pytest.raises(SystemExit, match="x.wav: expected 8000 Hz mono"):
        fsdd.read_recording(tmp_path / "x.wav")


def test_natural_clips_are_byte_for_byte_deterministic(tmp_path, monkeypatch):
    monkeypatch.setattr(fsdd, "TAKES", 1)
    folder = fake_fsdd(tmp_path / "fsdd", takes=1)
    built = []
    for run in ("a", "b"):
        jobs = fsdd.jobs(folder / "recordings", np.random.default_rng(1), (-12.0, -1.0))
        clips = spoken_digits.natural_clips(tmp_path / run / "audio", jobs)
        built.append({c.path: (tmp_path / run / c.path).read_bytes() for c in clips})
    assert len(built[0]) == 40 and built[0] == built[1]
    info = sf.info(tmp_path / "a" / clips[0].path)
    assert (info.samplerate, info.channels) == (16000, 1)
    assert {c.split for c in clips} == set(fsdd.SPLIT.values())
