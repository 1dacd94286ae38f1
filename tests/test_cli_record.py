"""``audiokit record`` / ``audiokit listen`` with the device layer replaced by chunks cut from a
file, and their one-line errors without sounddevice or PortAudio."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from audiokit import cli, io, mic


def tone(f_hz: float, seconds: float, sr: int = 16000) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


def file_chunks(path, chunk_s: float = 0.1):
    """What the device layer would yield: successive float32 chunks of the file."""
    y, sr = io.load(path)
    n = round(chunk_s * sr)
    for i in range(0, len(y), n):
        yield y[i: i + n]


@pytest.fixture
def fake_device(monkeypatch, tmp_path):
    """mic.input_chunks plays a 2 s file (0.5 s silence, 1 s of 400 Hz, 0.5 s silence)."""
    y = np.concatenate([np.zeros(8000, np.float32), tone(400, 1.0), np.zeros(8000, np.float32)])
    src = io.save(tmp_path / "mic.wav", y, 16000, subtype="FLOAT")
    opened = []

    def input_chunks(sample_rate, chunk_s=0.1, device=None):
        opened.append((sample_rate, device))
        return file_chunks(src, chunk_s)

    monkeypatch.setattr(mic, "input_chunks", input_chunks)
    monkeypatch.setattr(mic, "check_input", lambda device=None: None)
    return y, opened


def test_record_writes_the_requested_seconds(fake_device, tmp_path, capsys):
    y, opened = fake_device
    out = tmp_path / "me.wav"
    assert cli.main(["record", str(out), "--seconds", "1.25", "--input", "3"]) == 0
    got, sr = io.load(out)
    assert sr == 16000 and len(got) == 20000 and opened == [(16000, 3)]
    # 16-bit PCM of the first 1.25 s of the file: within one quantisation step
    assert np.abs(got - y[:20000]).max() < 1 / 32768 + 1e-6
    assert "recorded 1.25 s at 16000 Hz" in capsys.readouterr().out


def test_record_says_when_the_input_ends_early(fake_device, tmp_path, capsys):
    assert cli.main(["record", str(tmp_path / "x.wav"), "--seconds", "5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["audiokit record: error: the input ended after 2.00 s of 5.0 s"]


def test_listen_prints_one_line_per_hop_from_predictor_stream(fake_device, tmp_path, capsys):
    from test_train import make_tones, tiny_config

    from audiokit import train
    from audiokit.predict import Predictor

    run = train.fit(tiny_config(make_tones(tmp_path / "tones"), tmp_path / "run", epochs=2,
                                augment={}), progress=False)
    assert cli.main(["listen", str(run.best_checkpoint), "--window", "0.5", "--hop", "0.25",
                     "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("listening (0.5 s window every 0.25 s)")
    pred = Predictor(run.best_checkpoint, device="cpu", window_s=0.5, hop_s=0.25)
    expected = [mic.describe(r) for r in pred.stream(file_chunks(tmp_path / "mic.wav"), 16000)]
    assert lines[1:] == expected and len(expected) == 8  # 2 s / 0.25 s
    assert "(silence)" in lines[1] and "(silence)" not in lines[4]


def test_describe_formats_a_window():
    from audiokit.streaming import StreamResult

    assert mic.describe(StreamResult(1.5, silent=True)) == "  1.50 s  (silence)"
    r = StreamResult(2.0, [("seven", 0.934), ("one", 0.05)], np.zeros(2))
    assert mic.describe(r) == "  2.00 s  seven 0.93  (one 0.05)"


class _Refuse:
    """A meta-path finder that makes ``import sounddevice`` fail the way it does in the wild."""

    def __init__(self, exc):
        self.exc = exc

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise self.exc


@pytest.mark.parametrize("exc, says", [
    (OSError("PortAudio library not found"), "PortAudio is not installed"),
    (ImportError("No module named 'sounddevice'"), "pip install 'audiokit[mic]'"),
])
@pytest.mark.parametrize("argv", [["record", "x.wav"], ["listen", "ckpt.pt"]])
def test_one_line_error_without_portaudio_or_sounddevice(argv, exc, says, monkeypatch, capsys,
                                                         tmp_path):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Refuse(exc)] + sys.meta_path)
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"audiokit {argv[0]}: error: ") and says in err[0]
    assert not (tmp_path / "x.wav").exists()


def test_no_input_device_is_one_line(monkeypatch, capsys):
    class FakeSD:
        class PortAudioError(Exception):
            pass

        @staticmethod
        def query_devices(device=None, kind=None):
            raise FakeSD.PortAudioError("Error querying device -1")

    monkeypatch.setattr(mic, "_sounddevice", lambda: FakeSD)
    assert cli.main(["record", "x.wav"]) == 1
    assert capsys.readouterr().err.strip() == (
        "audiokit record: error: no input device (microphone) found")
