"""Predictor (windows, threshold, batching) and export parity (ONNX Runtime)."""

from __future__ import annotations

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
    assert frame_windows(100, 200, 50) == [0]
    assert frame_windows(1000, 400, 200) == [0, 200, 400, 600]
    assert frame_windows(1050, 400, 200) == [0, 200, 400, 600, 650]


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
