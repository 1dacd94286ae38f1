"""The `audiokit` command: version, info, predict --json, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).parent))
from test_train import make_tones, tiny_config

ROOT = Path(__file__).resolve().parents[1]


def cli_subprocess(*args: str) -> subprocess.CompletedProcess:
    """The real command (`python -m audiokit`), for exit codes and the absence of tracebacks."""
    return subprocess.run([sys.executable, "-m", "audiokit", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def assert_one_line_error(res: subprocess.CompletedProcess, *words: str) -> None:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from audiokit import train

    tmp = tmp_path_factory.mktemp("cli")
    tones = make_tones(tmp / "tones")
    run = train.fit(tiny_config(tones, tmp / "run", epochs=4, augment={}), progress=False)
    return tmp, tones, run


def test_version_help_and_a_real_subprocess_error(tmp_path):
    from audiokit import __version__

    res = cli_subprocess("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"audiokit {__version__}"
    assert_one_line_error(cli_subprocess("info", tmp_path / "nope.wav"), "nope.wav")


def test_help(cli):
    res = cli()
    assert res.returncode == 2 and "train" in res.stdout


def test_info_prints_header_fields(cli, tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(8000, np.float32), 8000, subtype="PCM_24")
    res = cli("info", tmp_path / "a.wav")
    assert res.returncode == 0
    assert "8000 Hz" in res.stdout and "PCM_24" in res.stdout and "1.000 s" in res.stdout
    assert "24" in res.stdout.split("bit_depth:")[1]


def test_info_and_predict_errors(cli, tmp_path, trained):
    run = trained[2]
    assert_one_line_error(cli("info", tmp_path / "nope.wav"), "nope.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF not really audio")
    assert_one_line_error(cli("info", tmp_path / "junk.wav"), "junk.wav")
    assert_one_line_error(cli("predict", run.best_checkpoint, tmp_path / "nope.wav"), "nope.wav")


def test_train_errors(cli, tmp_path):
    assert_one_line_error(cli("train", "--model", "nosuchnet", "--epochs", "1", "--out",
                              tmp_path / "x", "--device", "cpu"), "nosuchnet", "available")
    assert_one_line_error(cli("train", "--data", f"folder:{tmp_path}/missing", "--out",
                              tmp_path / "y"), "missing", "does not exist")
    assert_one_line_error(cli("train", "--data", "nonsense"), "nonsense")
    assert_one_line_error(cli("train", "--set", "epoch=3", "--out", tmp_path / "z"),
                          "unknown config key 'epoch'")


def test_train_refuses_existing_run(cli, trained):
    _, tones, run = trained
    res = cli("train", "--data", f"folder:{tones}", "--out", run.out_dir, "--device", "cpu")
    assert_one_line_error(res, "already holds a training run", "--resume")


def test_checkpoint_errors(cli, tmp_path, trained):
    _, tones, run = trained
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    assert_one_line_error(cli("evaluate", bad), "bad.pt", "not a readable checkpoint")
    assert_one_line_error(cli("predict", tmp_path / "none.pt", tones / "low" / "low_00.wav"),
                          "none.pt", "not found")
    # a checkpoint whose weights belong to another model
    from audiokit import train

    ck = train.load_checkpoint(run.best_checkpoint)
    ck["model_name"] = "ecapa_tdnn"
    torch.save(ck, tmp_path / "other.pt")
    assert_one_line_error(cli("evaluate", tmp_path / "other.pt", "--data", f"folder:{tones}"),
                          "do not fit model 'ecapa_tdnn'")


def test_predict_json_and_evaluate(cli, trained):
    _, tones, run = trained
    files = [tones / "low" / "low_00.wav", tones / "high" / "high_00.wav"]
    res = cli("predict", run.best_checkpoint, *files, "--json", "--top-k", "2", "--device", "cpu")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.strip().splitlines()]
    assert [r["file"] for r in rows] == [str(f) for f in files]
    assert [r["predictions"][0]["label"] for r in rows] == ["low", "high"]
    assert len(rows[0]["predictions"]) == 2
    res = cli("evaluate", run.best_checkpoint, "--data", f"folder:{tones}", "--json", "--device", "cpu")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["count"] == 24 and 0 <= out["accuracy"] <= 1


def test_models_and_datasets_tables(cli):
    res = cli("models")
    assert res.returncode == 0 and "tdnn" in res.stdout and "M" in res.stdout
    res = cli("datasets")
    assert res.returncode == 0 and "spoken_digits" in res.stdout and "drum_hits" in res.stdout


def test_course_build_renders_executed_copies_and_reports_a_failure(cli, tmp_path):
    """`audiokit course build --executed DIR`: pages from executed copies; a failed notebook gets
    its page, the others too, and the command ends with one error line and exit code 1."""
    pytest.importorskip("nbconvert")
    from course_helpers import executed_notebook, png_b64, write

    from audiokit.course import notebook_dir
    from audiokit.course.notebooks import title_of

    ex = tmp_path / "executed"
    write(executed_notebook("stand-in", plot=png_b64()), ex / "01_digital_audio.ipynb")
    write(executed_notebook("stand-in", error=True), ex / "03_fourier_and_stft.ipynb")
    res = cli("course", "build", "--out", tmp_path / "site", "--only", "01,03", "--executed", ex)
    assert_one_line_error(res, "1 of 2 notebooks failed", "03_fourier_and_stft",
                          "ZeroDivisionError: division by zero")
    assert res.returncode == 1
    assert res.stdout.splitlines()[0].startswith("01_digital_audio: ok")
    site = tmp_path / "site"
    assert sorted(p.name for p in site.glob("*.html")) == [
        "01_digital_audio.html", "03_fourier_and_stft.html", "index.html"]
    title = title_of(json.loads((notebook_dir() / "01_digital_audio.ipynb").read_text()))
    assert title and title in (site / "index.html").read_text()  # titles: the course's own

    ok = cli("course", "build", "--out", tmp_path / "site2", "--only", "01", "--executed", ex)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().splitlines()[-1].endswith((site.parent / "site2" / "index.html")
                                                         .resolve().as_uri())


def test_course_build_usage_errors(cli, tmp_path):
    assert_one_line_error(cli("course", "build", "--out", tmp_path / "x", "--only", "99"),
                          "no notebook '99'", "00, 01, 02")
    assert not (tmp_path / "x").exists()  # nothing written for a wrong selection
    res = cli("course")
    assert res.returncode == 2 and "ACTION" in res.stderr
