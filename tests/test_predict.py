"""Predictor (windows, threshold, batching) and export parity (ONNX Runtime)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiokit import train
from audiokit.predict import Predictor, WaveformClassifier, export, frame_windows

sys.path.insert(0, str(Path(__file__).parent))
from test_train import make_tones, tiny_config


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("pred")
    tones = make_tones(tmp / "tones")
    run = train.fit(tiny_config(tones, tmp / "run", epochs=3, augment={}), progress=False)
    return run.best_checkpoint


def tone(f_hz: float, seconds: float, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


def test_frame_windows_cover_the_clip():
    assert frame_windows(100, 200, 50) == [(0, 100)]
    assert frame_windows(1000, 400, 200) == [(0, 400), (200, 600), (400, 800), (600, 1000)]
    # a rest of more than half a hop gets a window aligned to the end ...
    assert frame_windows(1150, 400, 200)[-2:] == [(600, 1000), (750, 1150)]
    # ... a shorter one widens the last window: no near-copy with its start cut off
    assert frame_windows(1050, 400, 200) == [(0, 400), (200, 600), (400, 800), (600, 1050)]
    assert frame_windows(16192, 16000, 8000) == [(0, 16192)]  # a trimmed 1 s hit, used whole
    for n in range(1, 3000, 7):
        spans = frame_windows(n, 400, 200)
        assert spans[0][0] == 0 and spans[-1][1] == n
        assert all(b - a <= 500 and b2 > b for (a, b), (_, b2) in itertools.pairwise(spans))


def test_predict_array_file_and_many(ckpt, tmp_path):
    p = Predictor(ckpt, device="cpu", batch_size=4)
    assert p.window_s == pytest.approx(0.3) and p.hop_s == pytest.approx(0.15)
    top = p.predict(tone(2500, 0.4), sr=16000, top_k=2)
    assert [lab for lab, _ in top] == ["high", "low"] and sum(q for _, q in top) == pytest.approx(1, abs=1e-5)
    # an array at 8 kHz is resampled
    assert p.predict(tone(400, 0.5, 8000), sr=8000)[0][0] == "low"
    files = []
    for i, f in enumerate([400, 2500, 450, 2200, 350]):
        path = tmp_path / f"{i}.wav"
        sf.write(path, tone(f, 0.3 + 0.2 * i), 16000)
        files.append(path)
    many = p.predict_many(files, top_k=1)
    assert [r[0][0] for r in many] == ["low", "high", "low", "high", "low"]
    for got, one in zip(many, [p.predict(f, top_k=1) for f in files]):
        assert got[0][0] == one[0][0] and got[0][1] == pytest.approx(one[0][1], abs=1e-5)


def test_long_file_timeline_and_mean_aggregation(ckpt):
    p = Predictor(ckpt, device="cpu", window_s=0.3, hop_s=0.1)
    y = np.concatenate([tone(400, 1.0), tone(2500, 1.0)])
    times, probs = p.timeline(y, sr=16000)
    assert probs.shape == (len(frame_windows(len(y), 4800, 1600)), 2)
    assert times[0] == pytest.approx(0.15) and np.all(np.diff(times) > 0)
    low, high = p.classes.index("low"), p.classes.index("high")
    assert probs[0, low] > 0.5 and probs[-1, high] > 0.5
    assert p.probabilities(y, sr=16000) == pytest.approx(probs.mean(axis=0), abs=1e-6)


def test_threshold_returns_unknown(ckpt):
    sure = Predictor(ckpt, device="cpu", threshold=0.0)
    assert sure.predict(tone(2500, 0.3), sr=16000)[0][0] == "high"
    never = Predictor(ckpt, device="cpu", threshold=1.0)
    res = never.predict(tone(2500, 0.3), sr=16000, top_k=1)
    assert res[0][0] == "unknown" and res[1][0] == "high"
    with pytest.raises(ValueError, match="threshold"):
        Predictor(ckpt, device="cpu", threshold=2.0)
    with pytest.raises(ValueError, match="sample rate"):
        sure.predict(tone(2500, 0.3))


def test_onnx_export_parity(ckpt, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    out = export(ckpt, tmp_path / "model.onnx")
    model, extractor, _ = train.build_from_checkpoint(ckpt)
    wrapper = WaveformClassifier(extractor, model).eval()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    worst = 0.0
    for b, n in [(1, 4800), (3, 8000)]:  # other batch and length than the trace
        x = torch.randn(b, n, generator=torch.Generator().manual_seed(n)) * 0.2
        with torch.inference_mode():
            ref = wrapper(x).numpy()
        got = sess.run(None, {sess.get_inputs()[0].name: x.numpy()})[0]
        worst = max(worst, float(np.abs(got - ref).max()))
    print(f"ONNX max abs diff on logits: {worst:.2e}")
    assert worst <= 1e-3


def test_pt2_export_runs(ckpt, tmp_path):
    out = export(ckpt, tmp_path / "model.pt2")
    ep = torch.export.load(str(out))
    model, extractor, _ = train.build_from_checkpoint(ckpt)
    x = torch.randn(2, 6400) * 0.2
    with torch.inference_mode():
        ref = WaveformClassifier(extractor, model).eval()(x)
    assert torch.allclose(ep.module()(x), ref, atol=1e-4)


# -- many files, errors ----------------------------------------------------------------------

TRIM = {"top_db": 40.0, "margin_s": 0.02, "frame_length": 512, "hop_length": 128,
        "precise_start": False}
RULE = {**TRIM, "strip_zeros": False, "peak_dbfs": None}  # the rule in force: io.trim_silence's arguments + the level


@pytest.fixture(scope="module")
def ck_trim(ckpt) -> dict:
    """The fixture checkpoint with the trimming rule of the spoken digits in "preprocess" (set
    here in case the training side does not write it yet)."""
    ck = train.load_checkpoint(ckpt)
    ck["preprocess"] = {"trim": dict(TRIM)}
    return ck


def silence(seconds: float, sr: int = 16000) -> np.ndarray:
    return np.zeros(round(seconds * sr), np.float32)


def test_predict_many_raise_and_skip(ckpt, tmp_path):
    from audiokit.io import AudioError
    from audiokit.predict import Prediction

    p = Predictor(ckpt, device="cpu", batch_size=3)
    (tmp_path / "dir" / "deep").mkdir(parents=True)
    sf.write(tmp_path / "dir" / "b.wav", tone(2500, 0.5), 16000)
    sf.write(tmp_path / "dir" / "deep" / "a.wav", tone(400, 0.5), 16000)
    sf.write(tmp_path / "good.wav", tone(450, 0.7), 16000)
    (tmp_path / "broken.wav").write_bytes(b"RIFF....WAVEfmt nonsense")
    inputs = [tmp_path / "good.wav", tmp_path / "broken.wav", tmp_path / "dir",
              tone(2200, 0.4), tmp_path / "gone.flac", np.zeros((2, 3, 4))]
    with pytest.raises(AudioError, match="broken.wav"):
        p.predict_many(inputs, sr=16000)
    res = p.predict_many(inputs, sr=16000, top_k=1, on_error="skip")
    assert all(isinstance(r, Prediction) for r in res)
    assert [r.path for r in res] == [str(tmp_path / "good.wav"), str(tmp_path / "broken.wav"),
                                     str(tmp_path / "dir" / "b.wav"),
                                     str(tmp_path / "dir" / "deep" / "a.wav"), None,
                                     str(tmp_path / "gone.flac"), None]
    assert [r.top[0][0] if r.ok else "ERR" for r in res] == ["low", "ERR", "high", "low", "high",
                                                             "ERR", "ERR"]
    errors = [(r.path, r.error) for r in res if not r.ok]
    assert "broken.wav: not a valid WAV file" in errors[0][1]
    assert errors[1][1] == f"{tmp_path / 'gone.flac'}: no such file or folder"
    assert errors[2][1].startswith("item #6: expected a mono waveform")
    for r in res:  # each good result is what predict() says for that input alone
        if r.ok and r.path is not None:
            one = p.probabilities(r.path)
            np.testing.assert_allclose(r.probs, one, atol=1e-5)  # batch vs alone: float op order
            assert r[0] == r.top[0] and len(r) == 1  # a Prediction is also its top-k list
    assert res[1].to_dict() == {"file": str(tmp_path / "broken.wav"), "error": res[1].error}
    with pytest.raises(ValueError, match="on_error"):
        p.predict_many([], on_error="ignore")


# -- trimming --------------------------------------------------------------------------------


def test_trim_rule_comes_from_the_checkpoint(ckpt, ck_trim):
    old = {k: v for k, v in ck_trim.items() if k != "preprocess"}
    assert Predictor(old, device="cpu").trim is None  # old checkpoints: no trimming
    assert Predictor(ck_trim, device="cpu").trim == RULE
    assert Predictor(ck_trim, device="cpu", trim=None).trim is None
    assert Predictor(ck_trim, device="cpu", trim=False).trim is None
    assert Predictor({**ck_trim, "preprocess": {"trim": None}}, device="cpu").trim is None
    assert Predictor(ck_trim, device="cpu", trim={"margin_s": 0.002}).trim == {**RULE, "margin_s": 0.002}
    assert "trim {'top_db': 40.0" in repr(Predictor(ck_trim, device="cpu"))
    four_keys = {k: v for k, v in TRIM.items() if k != "precise_start"}  # saved before it existed
    assert Predictor({**ck_trim, "preprocess": {"trim": four_keys}}, device="cpu").trim == RULE
    assert Predictor(ck_trim, device="cpu", trim={"precise_start": True}).trim["precise_start"]
    with pytest.raises(ValueError, match="precise_start must be true or false"):
        Predictor(ck_trim, device="cpu", trim={"precise_start": "yes"})
    with pytest.raises(ValueError, match="strip_zeros must be true or false"):
        Predictor(ck_trim, device="cpu", trim={"strip_zeros": 1})
    with pytest.raises(ValueError, match=r"peak_dbfs must be None or in \[-120, 0\]"):
        Predictor(ck_trim, device="cpu", trim={"peak_dbfs": 3.0})
    with pytest.raises(ValueError, match="unknown key.*top_dB"):
        Predictor(ck_trim, device="cpu", trim={"top_dB": 30})
    with pytest.raises(ValueError, match="trim='yes'"):
        Predictor(ck_trim, device="cpu", trim="yes")


@pytest.mark.parametrize("f_hz", [2500, 400])
def test_trimmed_prediction_ignores_the_silence_around_a_clip(ck_trim, f_hz):
    from audiokit import io

    sr, hop = 16000, TRIM["hop_length"]
    clip = np.concatenate([silence(0.05), tone(f_hz, 0.4), silence(0.05)])  # as a recording has
    p = Predictor(ck_trim, device="cpu")
    p_none = Predictor(ck_trim, device="cpu", trim=None)

    # Pads that are whole hops (31 and 63 hops, 0.248 s and 0.504 s): trimming is translation
    # invariant for shifts by whole hops, so the trimmed inputs are the same samples and the
    # probabilities are the same numbers.
    whole = np.concatenate([silence(31 * hop / sr), clip, silence(63 * hop / sr)])
    np.testing.assert_array_equal(io.trim_silence(whole, sr, **TRIM), io.trim_silence(clip, sr, **TRIM))
    np.testing.assert_array_equal(p.probabilities(whole, sr), p.probabilities(clip, sr))

    # 0.25 s before and 0.5 s after: 4000 samples = 31 hops + 32 samples. The frame grid starts
    # at the input's first sample, so the cut lands 32 samples later relative to the sound at
    # both ends: the trimmed input has the same length and is the clip's trimmed input shifted
    # by 32 zeros (2 ms) -- the frame-hop quantisation, nothing else.
    padded = np.concatenate([silence(0.25), clip, silence(0.5)])
    shift = round(0.25 * sr) % hop
    assert shift == 32
    a, b = io.trim_silence(clip, sr, **TRIM), io.trim_silence(padded, sr, **TRIM)
    assert len(a) == len(b)
    np.testing.assert_array_equal(b[shift:], a[:-shift])
    assert not b[:shift].any() and not a[-shift:].any()
    # so the padded clip scores exactly as the clip delayed by 2 ms ...
    delayed = np.concatenate([np.zeros(shift, np.float32), clip[:-shift]])
    np.testing.assert_array_equal(p.probabilities(padded, sr), p.probabilities(delayed, sr))
    # ... which moves the sound 2 ms against the 10 ms feature frames: a small change of the
    # log-mel frames, while without trimming 0.75 s of zeros enter the pooled statistics. How
    # small depends on the tiny model the CPU trained (measured with trim 4e-5 .. 1.4e-3 on one
    # machine, 6.6e-4 .. 5.8e-3 on an AMD EPYC; without 5e-2 .. 3.7e-1): the bound is the ratio,
    # at least 10x, with 2e-2 as a ceiling for "small".
    diff_trim = np.abs(p.probabilities(padded, sr) - p.probabilities(clip, sr)).max()
    diff_none = np.abs(p_none.probabilities(padded, sr) - p_none.probabilities(clip, sr)).max()
    print(f"{f_hz} Hz: |dp| with trim {diff_trim:.1e}, without {diff_none:.1e}")
    assert diff_trim < 2e-2 and diff_none > 10 * diff_trim and diff_none > 2e-2


def test_peak_rule_serves_every_level_as_the_training_level(ck_trim):
    from audiokit.preprocess import apply_trim, set_peak

    clip = np.concatenate([silence(0.2), tone(2500, 0.3) * np.linspace(1, 0.2, 4800,
                                                                       dtype=np.float32),
                           silence(0.3)])
    rule = {**RULE, "peak_dbfs": -1.0}
    cut = apply_trim(clip, 16000, rule)
    assert np.abs(cut).max() == pytest.approx(10 ** (-1 / 20), rel=1e-6)
    assert set_peak(np.zeros(10, np.float32), -1.0).max() == 0.0  # silence stays silence
    leveled = Predictor({**ck_trim, "preprocess": {"trim": rule}}, device="cpu")
    plain = Predictor(ck_trim, device="cpu")
    # 20 dB quieter and 6 dB louder: the same input once scaled, the same probabilities
    for gain in (0.1, 2.0):
        np.testing.assert_allclose(leveled.probabilities(clip * gain, 16000),
                                   leveled.probabilities(clip, 16000), atol=1e-5)
    # without the level rule the model hears the gain (the fixture's features are not normalised)
    diff = np.abs(plain.probabilities(clip * 0.1, 16000) - plain.probabilities(clip, 16000)).max()
    assert diff > 1e-3
    # the timeline still counts from the untrimmed input
    assert leveled.timeline(clip * 0.1, 16000)[0][0] == pytest.approx(
        plain.timeline(clip, 16000)[0][0])


def test_timeline_times_are_in_the_untrimmed_input(ck_trim):
    from audiokit import io

    y = np.concatenate([silence(0.5), tone(400, 1.0), tone(2500, 1.0), silence(0.5)])
    p = Predictor(ck_trim, device="cpu", window_s=0.3, hop_s=0.1)
    t = io.trim_silence(y, 16000, **TRIM)
    offset = (t.ctypes.data - y.ctypes.data) // y.itemsize
    assert 0.45 * 16000 < offset < 0.5 * 16000
    times, probs = p.timeline(y, sr=16000)
    assert probs.shape == (len(frame_windows(len(t), 4800, 1600)), 2)
    assert times[0] == pytest.approx(offset / 16000 + 0.15)
    assert times[-1] == pytest.approx((offset + len(t) - 2400) / 16000)


def test_evaluate_and_embeddings_apply_the_same_trim(ck_trim, tmp_path):
    from audiokit import datasets as D
    from audiokit import io
    from audiokit.evaluate import embeddings, evaluate

    for label, freqs in {"high": (2500, 2100), "low": (400, 330)}.items():
        (tmp_path / label).mkdir()
        for i, f in enumerate(freqs):
            y = np.concatenate([silence(0.25 + 0.1 * i), tone(f, 0.4), silence(0.5)])
            sf.write(tmp_path / label / f"{i}.wav", y, 16000, subtype="FLOAT")
    ds = D.from_folder(tmp_path)
    one = Predictor(ck_trim, device="cpu", window_s=10.0)  # one window: the whole trimmed clip
    want = np.stack([one.probabilities(path) for path, _ in ds.items])
    got = evaluate(ck_trim, ds, batch_size=1, device="cpu")
    # same samples, same front-end and model, one clip per batch: only float op order differs
    np.testing.assert_allclose(got.probs, want, atol=1e-6)
    untrimmed = evaluate(ck_trim, ds, batch_size=1, device="cpu", trim=None)
    assert np.abs(untrimmed.probs - want).max() > 1e-2
    emb, _ = embeddings(ck_trim, ds, batch_size=4, device="cpu")
    wave = io.trim_silence(ds[0][0].numpy(), 16000, **TRIM)
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(wave))[None]
        alone = one.model.embed(one.extractor(x, None), None)[0].numpy()
    np.testing.assert_allclose(emb[0], alone, atol=1e-4)  # batch of 4 (padding masked) vs alone
    emb_none, _ = embeddings(ck_trim, ds, batch_size=4, device="cpu", trim=None)
    assert np.abs(emb_none[0] - alone).max() > 1e-2


# -- live stream -----------------------------------------------------------------------------


@pytest.mark.parametrize("f_hz,label", [(2500, "high"), (400, "low")])
def test_stream_finds_a_clip_in_silence(ck_trim, f_hz, label):
    sr = 16000
    rng = np.random.default_rng(1)
    y = np.concatenate([silence(0.5), tone(f_hz, 0.4), silence(0.5)])
    y += (1e-4 * rng.standard_normal(len(y))).astype(np.float32)  # room noise at -80 dBFS
    p = Predictor(ck_trim, device="cpu", window_s=0.3, hop_s=0.15)
    res = list(p.stream((y[i: i + 1600] for i in range(0, len(y), 1600)), sr))  # 0.1 s chunks
    assert [round(r.time_s, 3) for r in res] == [0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.05, 1.2, 1.35]
    # windows (end - 0.3 s, end] that overlap the clip (0.5 .. 0.9 s) end at 0.6 .. 1.05 s
    has_clip = [0.5 < r.time_s < 1.2 - 1e-9 for r in res]
    assert [not r.silent for r in res] == has_clip
    assert all(r.top[0][0] == label and r.probs is not None for r in res if not r.silent)
    assert all(r.top == [] and r.probs is None for r in res if r.silent)
    # chunk sizes do not matter: windows are cut at exact multiples of the hop
    sizes = rng.integers(1, 9000, size=200)
    cuts = np.cumsum(sizes)[np.cumsum(sizes) < len(y)]
    res2 = list(p.stream(np.split(y, cuts), sr))
    assert [r.time_s for r in res2] == [r.time_s for r in res]
    for r, r2 in zip(res, res2):
        assert r.silent == r2.silent
        if not r.silent:
            np.testing.assert_allclose(r.probs, r2.probs, atol=1e-6)  # same samples
    # a 0.5 s window alone (silent padding trimmed away) is the clip's own prediction
    whole = Predictor(ck_trim, device="cpu", window_s=1.4, hop_s=1.4)
    last = list(whole.stream([y], sr))
    assert len(last) == 1 and not last[0].silent and last[0].top[0][0] == label


def test_stream_other_rate_and_no_trim(ck_trim):
    from audiokit import io

    y16 = np.concatenate([silence(0.5), tone(2500, 0.4), silence(0.5)])
    y8 = io.resample(y16, 16000, 8000)
    p = Predictor(ck_trim, device="cpu", window_s=0.3, hop_s=0.15)
    res = list(p.stream((y8[i: i + 800] for i in range(0, len(y8), 800)), 8000))
    assert res[0].time_s == pytest.approx(0.15) and res[0].silent
    assert all(r.top[0][0] == "high" for r in res if 0.5 < r.time_s < 1.2 - 1e-9)
    raw = Predictor(ck_trim, device="cpu", window_s=0.3, hop_s=0.15, trim=None)
    assert [r.silent for r in raw.stream([y16], 16000)] == [r.silent for r in p.stream([y16], 16000)]
