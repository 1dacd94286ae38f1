"""The kernel side of the browser microphone, without a browser: bytes -> array -> resample,
the widget's state round trip, the live classifier's rolling window on chunks cut from a file,
and the collector's folder."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("anywidget")

from audiokit import io, recorder, widgets
from audiokit.live import Collector, LiveClassifier, probability_bars
from audiokit.recorder import Recorder, max_seconds, pcm_from_bytes, to_waveform


def tone(f_hz: float, seconds: float, sr: int) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


def test_widgets_reexports_the_microphone_names():
    from audiokit import live

    assert widgets.Recorder is recorder.Recorder
    assert widgets.live_classifier is live.live_classifier
    assert widgets.collector is live.collector
    assert {"Recorder", "live_classifier", "collector"} <= set(widgets.__all__)


def test_pcm_from_bytes_reads_little_endian_float32_from_a_memoryview():
    x = np.array([0.0, 0.5, -1.0, 0.25], dtype="<f4")
    y = pcm_from_bytes(memoryview(x.tobytes()))
    assert y.dtype == np.float32 and np.array_equal(y, x)
    with pytest.raises(ValueError, match="4 bytes a sample"):
        pcm_from_bytes(b"\x00" * 6)
    with pytest.raises(ValueError, match="not finite"):
        pcm_from_bytes(np.array([np.nan], "<f4").tobytes())


@pytest.mark.parametrize("browser_sr", [44100, 48000])
def test_to_waveform_resamples_with_the_kit_resampler(browser_sr):
    x = tone(1000.0, 1.0, browser_sr)
    y = to_waveform(x.tobytes(), browser_sr, 16000)
    assert len(y) == 16000 and y.dtype == np.float32
    assert np.array_equal(y, io.resample(x, browser_sr, 16000))  # the same function, no other
    # the tone keeps its frequency: peak of the spectrum at 1000 Hz (1 Hz bins)
    assert abs(np.argmax(np.abs(np.fft.rfft(y))) - 1000) <= 1


def test_max_seconds_matches_the_websocket_limit():
    # 10 MiB - 64 KiB headroom, 4 bytes a sample: 54 s at 48 kHz, 59 s at 44.1 kHz
    assert max_seconds(48000) == 54 and max_seconds(44100) == 59
    assert max_seconds(48000) * 48000 * 4 <= recorder.WEBSOCKET_LIMIT_BYTES


def test_recorder_state_round_trip_as_the_front_end_sends_it(tmp_path):
    rec = Recorder(seconds=1.0, sample_rate=16000)
    assert rec.waveform is None and rec.browser_sample_rate is None
    seen = []
    rec.on_recorded(lambda y, sr: seen.append((len(y), sr)))
    x = tone(440.0, 1.0, 44100)
    # what ipywidgets hands the kernel for a binary buffer: a memoryview
    rec.set_state({"browser_sample_rate": 44100, "pcm": memoryview(x.tobytes())})
    assert seen == [(16000, 16000)]
    assert rec.browser_sample_rate == 44100 and rec.error == ""
    assert np.allclose(rec.waveform, io.resample(x, 44100, 16000))
    assert rec.pcm == b"", "the raw bytes are dropped once converted"
    assert rec.figure[:8] == b"\x89PNG\r\n\x1a\n" and rec.clip[:4] == b"RIFF"
    assert "1.00 s at 16000 Hz (captured at 44100 Hz)" in rec.message
    assert rec.trait_metadata("pcm", "echo_update") is False
    out = rec.save(tmp_path / "clip.wav")
    y, sr = io.load(out)
    # 16-bit PCM: error at most half a step (1/65536) plus rounding
    assert sr == 16000 and np.abs(y - rec.waveform).max() < 2 / 32768


def test_recorder_failures_are_messages_not_exceptions():
    rec = Recorder(seconds=0.5)
    rec.set_state({"browser_sample_rate": 48000, "pcm": memoryview(b"\x00" * 7)})
    assert "could not be read" in rec.error and rec.waveform is None

    def broken(y, sr):
        raise RuntimeError("boom")

    rec.on_recorded(broken)
    rec.set_state({"browser_sample_rate": 48000, "pcm": memoryview(np.zeros(24000, "<f4").tobytes())})
    assert rec.waveform is not None and "broken failed: RuntimeError: boom" in rec.error
    rec2 = Recorder(seconds=0.5, show_figure=False)
    rec2.set_state({"browser_sample_rate": 48000, "pcm": memoryview(np.zeros(24000, "<f4").tobytes())})
    assert "pure silence" in rec2.error
    with pytest.raises(ValueError, match="nothing recorded"):
        Recorder().save("never.wav")


def test_recorder_load_is_the_fallback_without_a_browser(tmp_path):
    x = tone(300.0, 0.5, 22050)
    path = io.save(tmp_path / "c.wav", x, 22050)
    rec = Recorder(show_figure=False)
    y = rec.load(path)
    assert len(y) == 8000 and "(from c.wav)" in rec.message
    y2 = rec.load(x, sr=22050)
    assert len(y2) == 8000


def test_chunks_arrive_as_custom_messages():
    rec = Recorder(listen_button=True)
    got = []
    rec.on_chunk(lambda c, sr: got.append((c.copy(), sr)))
    states = []
    rec.on_listen(states.append)
    rec.set_state({"listening": True})
    x = np.arange(4, dtype="<f4")
    rec._custom_message(rec, {"type": "chunk", "rate": 48000}, [memoryview(x.tobytes())])
    rec.set_state({"listening": False})
    assert states == [True, False] and len(got) == 1
    assert got[0][1] == 48000 and np.array_equal(got[0][0], x)


# -- the live classifier, on a tiny checkpoint -------------------------------------------------


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    from test_train import make_tones, tiny_config

    from audiokit import train
    from audiokit.predict import Predictor

    tmp = tmp_path_factory.mktemp("live")
    run = train.fit(tiny_config(make_tones(tmp / "tones"), tmp / "run", epochs=3, augment={}),
                    progress=False)
    ck = train.load_checkpoint(run.best_checkpoint)
    ck["preprocess"] = {"trim": {"top_db": 40.0, "frame_length": 512, "hop_length": 128}}
    return Predictor(ck, device="cpu", window_s=0.5, hop_s=0.25)


def test_probability_bars_are_readable():
    h = probability_bars([("seven", 0.93), ("one", 0.05)], "recording 1")
    assert 'data-label="seven" data-prob="0.9300"' in h and h.index("seven") < h.index("one")


def test_live_classifier_silence_around_a_word_changes_nothing(predictor):
    live = LiveClassifier(predictor, seconds=1.5)
    sr = 44100  # the browser's rate: resampled by the Predictor
    word = tone(600.0, 0.5, sr)
    padded = np.concatenate([np.zeros(round(0.5 * sr), np.float32), word,
                             np.zeros(round(0.5 * sr), np.float32)])
    alone = dict(live.classify(word, sr))
    around = dict(live.classify(padded, sr))
    assert max(alone, key=alone.get) == max(around, key=around.get)
    assert live.latency_s is not None and 'class="audiokit-probs"' in live.bars.value


def test_listen_uses_predictor_stream_on_chunks_cut_from_a_file(predictor, tmp_path):
    sr = 48000
    y = np.concatenate([np.zeros(sr // 2, np.float32), tone(600.0, 1.0, sr),
                        np.zeros(sr // 2, np.float32)])
    path = io.save(tmp_path / "live.wav", y, sr, subtype="FLOAT")
    x, _ = io.load(path, sr=None)
    chunk = round(0.25 * sr)
    live = LiveClassifier(predictor)
    live.start()
    for i in range(0, len(x), chunk):
        live.feed(x[i: i + chunk], sr)
    live.stop()
    expected = list(predictor.stream([x[i: i + chunk] for i in range(0, len(x), chunk)], sr))
    got = live.stream_results
    assert [r.time_s for r in got] == [r.time_s for r in expected]  # 2 s / 0.25 s hop = 8
    assert len(got) == 8 and got[0].silent
    assert [r.top for r in got] == [r.top for r in expected]


def test_collector_writes_the_folder_layout_from_folder_reads(tmp_path):
    from audiokit.datasets import from_folder

    col = Collector(tmp_path / "mine", ["yes", "no"], clips_per_class=2, seconds=0.5)
    order = []
    for k in range(4):
        order.append(col.add(tone(300 + 100 * k, 0.5, 16000), 16000))
    assert [p.relative_to(tmp_path / "mine").as_posix() for p in order] == [
        "yes/1.wav", "no/1.wav", "yes/2.wav", "no/2.wav"]
    assert col.done and col.progress.value == 4 and "Done" in col.prompt.value
    assert col.add(tone(300, 0.5, 16000), 16000) is None
    assert col.redo() == order[-1] and not order[-1].exists() and col.next_path == order[-1]
    col.add(tone(300, 0.5, 16000), 16000)
    ds = from_folder(tmp_path / "mine")
    assert len(ds) == 4 and sorted(ds.classes) == ["no", "yes"]
    again = Collector(tmp_path / "mine", ["yes", "no", "maybe"], clips_per_class=2)
    assert again.next_path == tmp_path / "mine" / "maybe" / "1.wav"  # continues, never overwrites
    with pytest.raises(ValueError, match="folder names"):
        Collector(tmp_path, ["a/b"])
