"""`audiokit train` output and run folders: one line per epoch when stderr is not a terminal or
with --no-progress, and a next free runs/<name>-N when the default folder already holds a run."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_train import make_tones, tiny_config

ROOT = Path(__file__).resolve().parents[1]
EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+) \| train_loss (\d+\.\d{4}) \| train_acc (\d\.\d{4}) \| "
                        r"valid_loss \d+\.\d{4} \| valid_acc \d\.\d{4} \| valid_f1 \d\.\d{4} \| "
                        r"\d+\.\ds$")


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    return make_tones(tmp_path_factory.mktemp("tones"))


@pytest.fixture
def tiny_yaml(tones, tmp_path) -> Path:
    """A 2-epoch config without augmentation whose run folder is tmp_path/run."""
    path = tmp_path / "tiny.yaml"
    tiny_config(tones, tmp_path / "run", epochs=2, augment={}).save(path)
    return path


@pytest.fixture
def cli(cli):
    """The shared in-process CLI runner, as (returncode, stdout, stderr) tuples."""
    def run(*args):
        res = cli(*args)
        return res.returncode, res.stdout, res.stderr

    return run


class _Terminal(io.StringIO):
    """A stand-in stderr that says it is a terminal (as an interactive shell's is)."""

    def isatty(self) -> bool:
        return True


def _history(run_dir: Path) -> list[dict]:
    with open(run_dir / "history.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _assert_one_line_per_epoch(stdout: str, run_dir: Path, epochs: int) -> None:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("epoch ")]
    assert len(lines) == epochs, stdout
    history = _history(run_dir)
    for k, (line, rec) in enumerate(zip(lines, history), start=1):
        m = EPOCH_LINE.match(line)
        assert m, line
        assert (int(m[1]), int(m[2])) == (k, epochs)
        # the line shows the epoch record that history.csv holds, rounded to 4 decimals
        assert float(m[3]) == pytest.approx(float(rec["train_loss"]), abs=5e-5)
        assert float(m[4]) == pytest.approx(float(rec["train_acc"]), abs=5e-5)


def test_stderr_not_a_terminal_gives_one_line_per_epoch(tiny_yaml, tmp_path):
    """The real command with stderr going to a file (a log, CI): no bar, one line per epoch."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "stderr.txt", "w") as err:
        res = subprocess.run([sys.executable, "-m", "audiokit", "train", "--config", tiny_yaml,
                              "--no-test"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=err, text=True, timeout=300, check=False)
    stderr = (tmp_path / "stderr.txt").read_text()
    assert res.returncode == 0, stderr[-3000:]
    assert "\r" not in stderr and "step/s" not in stderr and "s/step" not in stderr, stderr
    _assert_one_line_per_epoch(res.stdout, tmp_path / "run", epochs=2)
    assert res.stdout.splitlines()[-1] == f"best checkpoint: {tmp_path / 'run' / 'best.pt'}"


def test_no_progress_gives_lines_even_on_a_terminal(cli, tiny_yaml, tmp_path, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code, out, _ = cli("train", "--config", tiny_yaml, "--no-test", "--no-progress")
    assert code == 0
    assert terminal.getvalue() == ""  # no bar at all
    _assert_one_line_per_epoch(out, tmp_path / "run", epochs=2)

    # without the flag the same terminal gets the live bar (redrawn with carriage returns)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code, _, _ = cli("train", "--config", tiny_yaml, "--no-test", "--out", tmp_path / "bar",
                     "--epochs", "1")
    assert code == 0
    assert "\r" in terminal.getvalue() and "epoch 1/1" in terminal.getvalue()


def test_quiet_prints_no_epoch_lines(cli, tiny_yaml):
    code, out, err = cli("train", "--config", tiny_yaml, "--no-test", "--quiet", "--epochs", "1")
    assert code == 0 and err == ""
    assert [ln for ln in out.splitlines() if ln.startswith("epoch")] == []


def test_default_run_folder_moves_to_next_free_name(cli, tones, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ("train", "--data", f"folder:{tones}", "--epochs", "1", "--device", "cpu",
            "--no-augment", "--no-test", "--quiet", "--set", "features.n_mels=16")
    code, out, _ = cli(*args)
    assert code == 0 and (tmp_path / "runs/folder/last.pt").exists()
    assert "already holds a run" not in out

    code, out, _ = cli(*args)
    assert code == 0
    notes = [ln for ln in out.splitlines() if "already holds a run" in ln]
    assert notes == [("runs/folder already holds a run; this one goes to runs/folder-2 "
                      "(--resume --out runs/folder continues that one)")]
    assert (tmp_path / "runs/folder-2/last.pt").exists()
    assert out.splitlines()[-1] == "best checkpoint: runs/folder-2/best.pt"

    code, out, _ = cli(*args)
    assert code == 0 and "this one goes to runs/folder-3" in out

    # --resume without --out continues the default folder itself, not a new -N
    code, out, _ = cli(*args[:4], "2", *args[5:], "--resume")
    assert code == 0 and "already holds" not in out
    assert [int(r["epoch"]) for r in _history(tmp_path / "runs/folder")] == [1, 2]
    assert not (tmp_path / "runs/folder-4").exists()


def test_a_folder_the_user_named_still_refuses(cli, tones, tiny_yaml, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("train", "--config", tiny_yaml, "--no-test", "--quiet")[0] == 0
    for extra in (("--out", tmp_path / "run"), ()):  # --out, and out_dir set in the config file
        code, _, err = cli("train", "--config", tiny_yaml, "--no-test", "--quiet", *extra)
        assert code == 1
        assert "already holds a training run" in err and "--resume" in err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run-2").exists()


def test_set_reads_a_float_written_with_an_exponent():
    """PyYAML reads ``1e-6`` as a string; ``--set`` reads values as config files do."""
    from audiokit.cli.parser import build_parser
    from audiokit.cli.train import _train_config

    args = build_parser().parse_args(
        ["train", "--set", "features.log_floor=1e-6", "--set", "lr=2E-3",
         "--set", "model.preset=1e5x", "--set", "augment.waveform.edge_cut=null"])
    cfg = _train_config(args)
    assert cfg.features["log_floor"] == 1e-6 and cfg.lr == 2e-3
    assert cfg.model.preset == "1e5x"  # not a number: left a string
    assert cfg.augment["waveform"]["edge_cut"] is None


def test_set_reaches_the_front_end():
    """``--set features.top_db=60`` builds the extractor the run trains with; a bad value is
    refused naming the key."""
    from audiokit.cli.parser import build_parser
    from audiokit.cli.train import _train_config
    from audiokit.features import FeatureExtractor

    cfg = _train_config(build_parser().parse_args(["train", "--set", "features.top_db=60"]))
    assert FeatureExtractor(**cfg.features).top_db == 60.0
    bad = _train_config(build_parser().parse_args(["train", "--set", "features.top_db=0"]))
    with pytest.raises(ValueError, match="top_db must be"):
        FeatureExtractor(**bad.features)
