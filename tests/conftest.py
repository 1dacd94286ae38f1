"""Shared test setup: a non-interactive matplotlib backend and small deterministic signals."""

import csv
import os
import subprocess
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def cli(capsys):
    """`audiokit ARGS` in this process (fast): a CompletedProcess (returncode, stdout, stderr)."""
    from audiokit.cli import main

    def run(*args):
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors / --version
            code = exc.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


#: kit -> source family of the fake shipped drum set (two families hold several kits).
KITS = {"kitA": "hydrogen", "kitB": "hydrogen", "kitC": "avldrums", "kitD": "avldrums",
        "kitE": "fluidr3", "kitF": "opl3"}
#: a class-specific tone, so a tiny model has something to learn
TONE_HZ = {"kick": 100, "snare": 600, "hihat": 5000, "tom": 250, "cymbal": 3500}


@pytest.fixture()
def fake_drums(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny shipped-style drum set (6 kits, 4 families, 3 takes per class) as ``AUDIOKIT_DATA``."""
    from audiokit import datasets as D

    folder = tmp_path / "drum_hits"
    rows = []
    rng = np.random.default_rng(0)
    t = np.arange(3200) / 16000
    for k, (kit, family) in enumerate(KITS.items()):
        for label in D.CLASSES["drum_hits"]:
            for take in range(3):
                rel = f"audio/{label}/{kit}_{take}.wav"
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                y = 0.3 * np.sin(2 * np.pi * TONE_HZ[label] * (1 + 0.02 * k) * t)
                sf.write(folder / rel, (y + 0.01 * rng.standard_normal(t.size)).astype(np.float32), 16000)
                rows.append([rel, label, "train" if k < 4 else "test", kit, "fake", "CC0-1.0",
                             family, kit])
    with open(folder / "metadata.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "label", "split", "group", "source", "license", "family", "kit"])
        w.writerows(rows)
    monkeypatch.setenv("AUDIOKIT_DATA", str(tmp_path))
    return folder
