"""`audiokit predict` over many paths: folders, globs, unreadable files, --json, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).parent))
from test_train import make_tones, tiny_config

ROOT = Path(__file__).resolve().parents[1]
SR = 16000


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    from audiokit import train

    tmp = tmp_path_factory.mktemp("cli_predict")
    tones = make_tones(tmp / "tones")
    return train.fit(tiny_config(tones, tmp / "run", epochs=4, augment={}), progress=False).best_checkpoint


def tone(f_hz: float, seconds: float = 0.4) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


@pytest.fixture
def recordings(tmp_path) -> Path:
    """recordings/{b_high.wav, a_low.flac, sub/c_low.wav, sub/deeper/d_high.ogg} plus non-audio
    files and a hidden file that a folder must skip."""
    root = tmp_path / "recordings"
    (root / "sub" / "deeper").mkdir(parents=True)
    sf.write(root / "b_high.wav", tone(2500), SR)
    sf.write(root / "a_low.flac", tone(400), SR)
    sf.write(root / "sub" / "c_low.wav", tone(350), SR)
    sf.write(root / "sub" / "deeper" / "d_high.ogg", tone(2200), SR)
    sf.write(root / ".hidden.wav", tone(400), SR)
    (root / "notes.txt").write_text("not audio")
    return root


def printed(stdout: str) -> dict[str, str]:
    """{path: top label} from the plain output lines 'PATH: label p, label p'."""
    rows = {}
    for line in stdout.strip().splitlines():
        path, _, rest = line.rpartition(": ")
        rows[path] = rest.split()[0]
    return rows


def test_folder_is_recursive_and_sorted(cli, ckpt, recordings):
    res = cli("predict", ckpt, recordings, "--device", "cpu", "--top-k", "1")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    paths = [line.rpartition(": ")[0] for line in res.stdout.strip().splitlines()]
    # sorted like Path objects (component by component), as datasets.from_folder sorts
    assert paths == [str(recordings / p) for p in
                     ("a_low.flac", "b_high.wav", "sub/c_low.wav", "sub/deeper/d_high.ogg")]
    assert list(printed(res.stdout).values()) == ["low", "high", "low", "high"]


def test_folder_holds_the_files_datasets_would_collect(recordings):
    from audiokit import datasets
    from audiokit.sources import expand_inputs

    got = [Path(name) for name, _, err in expand_inputs([recordings]) if err is None]
    # from_folder wants class sub-folders: give it the parent so "recordings" is one class
    ds = datasets.from_folder(recordings.parent, classes=["recordings"])
    assert got == [Path(item[0]) for item in ds.items]


def test_a_corrupt_file_among_good_ones(cli, ckpt, recordings, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunk that is not audio")
    good = [recordings / "a_low.flac", recordings / "b_high.wav"]
    res = cli("predict", ckpt, good[0], broken, good[1], tmp_path / "missing.wav", "--device", "cpu")
    assert res.returncode == 1
    assert printed(res.stdout) == {str(good[0]): "low", str(good[1]): "high"}
    errors = res.stderr.strip().splitlines()
    assert len(errors) == 2, res.stderr
    assert errors[0].startswith("audiokit predict: error: ") and str(broken) in errors[0]
    assert "not a valid WAV file" in errors[0]
    assert str(tmp_path / "missing.wav") in errors[1] and "no such file" in errors[1]


def test_json_lines_carry_errors(cli, ckpt, recordings, tmp_path):
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC but then nothing useful")
    res = cli("predict", ckpt, recordings / "sub", broken, "--json", "--top-k", "2", "--device", "cpu")
    assert res.returncode == 1
    rows = [json.loads(line) for line in res.stdout.strip().splitlines()]
    assert [r["file"] for r in rows] == [str(recordings / "sub" / "c_low.wav"),
                                         str(recordings / "sub" / "deeper" / "d_high.ogg"), str(broken)]
    assert [r["predictions"][0]["label"] for r in rows[:2]] == ["low", "high"]
    assert all(len(r["predictions"]) == 2 and "error" not in r for r in rows[:2])
    assert set(rows[2]) == {"file", "error"} and "not a valid FLAC file" in rows[2]["error"]
    assert len(res.stderr.strip().splitlines()) == 1 and str(broken) in res.stderr


def test_globs_shell_expanded_and_literal(cli, ckpt, recordings):
    expanded = sorted(recordings.glob("*.wav")) + sorted(recordings.glob("*.flac"))  # what a shell passes
    res = cli("predict", ckpt, *expanded, "--device", "cpu")
    assert res.returncode == 0 and list(printed(res.stdout)) == [str(p) for p in expanded]
    # quoted / unmatched in the shell: the pattern itself arrives; ** reaches nested folders
    res = cli("predict", ckpt, f"{recordings}/**/*_low.*", "--device", "cpu")
    assert res.returncode == 0, res.stderr
    assert printed(res.stdout) == {str(recordings / "a_low.flac"): "low",
                                   str(recordings / "sub" / "c_low.wav"): "low"}
    res = cli("predict", ckpt, f"{recordings}/*.mp3", recordings / "b_high.wav", "--device", "cpu")
    assert res.returncode == 1 and printed(res.stdout) == {str(recordings / "b_high.wav"): "high"}
    assert "*.mp3: no file matches this pattern" in res.stderr


def test_a_folder_without_audio_is_an_error(cli, ckpt, tmp_path):
    (tmp_path / "empty").mkdir()
    res = cli("predict", ckpt, tmp_path / "empty", "--device", "cpu")
    assert res.returncode == 1 and res.stdout == ""
    assert f"{tmp_path / 'empty'}: folder holds no audio files" in res.stderr


def test_real_process_exit_code_and_no_traceback(ckpt, recordings, tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"RIFF not really audio")
    res = subprocess.run([sys.executable, "-m", "audiokit", "predict", str(ckpt), str(recordings),
                          str(tmp_path / "junk.wav"), "--device", "cpu"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stdout.strip().splitlines()) == 4
    assert [ln for ln in res.stderr.splitlines() if "error" in ln] == [
        ln for ln in res.stderr.splitlines() if "junk.wav" in ln]
