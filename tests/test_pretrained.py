"""Official PANNs checkpoints -> audiokit: the parity contract, the errors, tagging.

The reference is an official-layout PANNs module written here from the published facts (front-end
32 kHz 1024/320 or 16 kHz 512/160, periodic Hann, reflect-padded centred STFT, power 2, Slaney mel
64 bins, 10 log10(max(x, 1e-10)); bn0 over the mel bins; conv blocks (conv -> BN -> ReLU) x n,
2x2 average pooling (CNN14's last block none), dropout; mean over frequency, max + mean over time,
fc1 + ReLU = embedding, sigmoid(fc_audioset) = clipwise_output). Its front-end is torchlibrosa
when installed (the official code's own front-end library), else a conv1d DFT written here.
Checkpoints are built in the official file layout, with a NumPy-holding ``sampler`` entry.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import librosa
import numpy as np
import pytest
import torch
from panns_reference import FACTS, OfficialPANNs, clips, official_file, randomised_official

from audiokit import pretrained as P
from audiokit.train import build_from_checkpoint, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "panns" / "official_state_dicts.json"


@pytest.fixture(scope="module")
def cnn6_file(tmp_path_factory) -> tuple[Path, OfficialPANNs]:
    ref = randomised_official("Cnn6")
    return official_file(tmp_path_factory.mktemp("panns") / "Cnn6_mAP=0.343.pth", ref.state_dict()), ref


# -- the contract -------------------------------------------------------------------------------

def test_layout_equals_the_recorded_official_state_dicts():
    """Our key mapping reproduces every official key, shape and order."""
    if not SHARED.exists():
        pytest.skip(f"{SHARED} not present")
    recorded = json.loads(SHARED.read_text())["models"]
    for arch in P.ARCHITECTURES:
        assert list(P.official_layout(arch).items()) == [
            (e["key"], tuple(e["shape"])) for e in recorded[arch]], arch
        assert list(OfficialPANNs(arch).state_dict()) == [e["key"] for e in recorded[arch]], arch


@pytest.mark.parametrize("arch, seconds", [("Cnn6", 10.0), ("Cnn10", 1.0), ("Cnn14", 2.51),
                                           ("Cnn14_16k", 4.37)])
def test_converted_checkpoint_matches_the_official_model(tmp_path, arch, seconds):
    """sigmoid(model(extractor(waves))) = clipwise_output to 1e-4 and embed = embedding.

    1e-4 is the contract; the difference comes only from float32 rounding of two FFT algorithms
    (rfft vs the official conv1d DFT) carried through the network.
    """
    ref = randomised_official(arch)
    src = official_file(tmp_path / f"{arch}.pth", ref.state_dict())
    dst = P.convert(src, tmp_path / f"{arch}.pt")
    model, extractor, classes = build_from_checkpoint(dst)
    assert len(classes) == 527 and classes[0] == "Speech"
    assert model.num_classes == 527 and extractor.sample_rate == FACTS[arch][0]
    waves = clips(FACTS[arch][0], seconds)
    with torch.no_grad():
        want = ref(waves)
        feats = extractor(waves)
        probs, emb = torch.sigmoid(model(feats)), model.embed(feats)
    assert 0.05 < float(want["clipwise_output"].std())  # not saturated: the test can fail
    assert float((probs - want["clipwise_output"]).abs().max()) <= 1e-4
    scale = float(want["embedding"].abs().max())
    assert float((emb - want["embedding"]).abs().max()) <= 1e-4 * max(1.0, scale)


def test_converted_checkpoint_describes_itself(cnn6_file, tmp_path):
    src, _ = cnn6_file
    ck = load_checkpoint(P.convert(src, tmp_path / "cnn6.pt"))
    assert ck["model_name"] == "panns_cnn6" and ck["task"] == "multi_label"
    assert ck["feature_config"]["pad_mode"] == "reflect" and ck["feature_config"]["n_fft"] == 1024
    assert ck["feature_config"]["hop_length"] == 320 and ck["feature_config"]["f_max"] == 14000
    assert ck["feature_config"]["normalize"] is None and ck["feature_config"]["log_floor"] == 1e-10
    assert ck["source"] == {"kind": "panns-official", "architecture": "Cnn6",
                            "file": src.name, "iteration": 123}
    assert not any(k.startswith(("spectrogram_extractor", "logmel_extractor"))
                   for k in ck["model_state"])


def test_numpy_1_pickles_load(cnn6_file, tmp_path):
    """The published files were pickled with NumPy 1.x (numpy.core.multiarray names)."""
    _, ref = cnn6_file
    legacy = tmp_path / "legacy.pth"
    state = {"iteration": 1, "model": ref.state_dict(), "sampler": {"a": np.arange(3)}}
    torch.save(state, legacy, _use_new_zipfile_serialization=False)
    raw = legacy.read_bytes()
    assert b"numpy._core.multiarray" in raw
    legacy.write_bytes(raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    loaded, iteration = P.load_official(legacy)
    assert iteration == 1 and torch.equal(loaded["fc1.weight"], ref.state_dict()["fc1.weight"])


# -- errors --------------------------------------------------------------------------------------

def _error(src: Path, dst: Path) -> str:
    with pytest.raises(P.PretrainedError) as info:
        P.convert(src, dst)
    msg = str(info.value)
    assert "\n" not in msg and str(src) in msg
    return msg


def test_truncated_file_is_a_clear_error(cnn6_file, tmp_path):
    src, _ = cnn6_file
    cut = tmp_path / "cut.pth"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    assert "truncated or corrupt" in _error(cut, tmp_path / "out.pt")
    assert not (tmp_path / "out.pt").exists()


def test_missing_key_and_other_architectures_are_named(cnn6_file, tmp_path):
    _, ref = cnn6_file
    state = ref.state_dict()
    gone = {k: v for k, v in state.items() if k != "bn0.running_var"}
    msg = _error(official_file(tmp_path / "gone.pth", gone), tmp_path / "o.pt")
    assert "Cnn6" in msg and "bn0.running_var" in msg
    other = dict(state, **{"fc_audioset.weight": torch.zeros(10, 512), "fc_audioset.bias": torch.zeros(10)})
    assert "another architecture" in _error(official_file(tmp_path / "ten.pth", other), tmp_path / "o.pt")
    resnet = {"conv1.weight": torch.zeros(64, 1, 7, 7), "fc.weight": torch.zeros(527, 512)}
    assert "missing key" in _error(official_file(tmp_path / "resnet.pth", resnet), tmp_path / "o.pt")
    seven = {**state, "conv_block7.conv1.weight": torch.zeros(1)}
    assert "unsupported PANNs architecture" in _error(official_file(tmp_path / "b7.pth", seven),
                                                      tmp_path / "o.pt")


def test_another_front_end_is_refused(cnn6_file, tmp_path):
    _, ref = cnn6_file
    state = dict(ref.state_dict())
    mel = librosa.filters.mel(sr=32000, n_fft=1024, n_mels=64, fmin=0, fmax=16000)
    state["logmel_extractor.melW"] = torch.tensor(mel.T, dtype=torch.float32)
    assert "front-end" in _error(official_file(tmp_path / "mel.pth", state), tmp_path / "o.pt")


class _Payload:
    def __reduce__(self):
        return (print, ("this ran",))


def test_a_file_with_code_is_refused_and_nothing_runs(tmp_path, capsys):
    bad = tmp_path / "evil.pth"
    torch.save({"model": {"x": torch.zeros(1)}, "sampler": _Payload()}, bad)
    assert "refused to load" in _error(bad, tmp_path / "o.pt")
    assert "this ran" not in capsys.readouterr().out
    not_a_file = tmp_path / "missing.pth"
    assert "not found" in _error(not_a_file, tmp_path / "o.pt")


def test_no_code_path_loads_with_weights_only_false():
    pattern = re.compile(r"weights_only\s*=\s*False")
    hits = [p for p in (ROOT / "audiokit").rglob("*.py") if pattern.search(p.read_text())]
    assert hits == []
    assert pickle  # the payload test above relies on pickle's __reduce__ protocol


# -- downstream: tagging, the command line -------------------------------------------------------

def test_predictor_tags_with_sigmoid_probabilities(cnn6_file, tmp_path, capsys):
    from audiokit import io
    from audiokit.predict import Predictor

    src, ref = cnn6_file
    dst = P.convert(src, tmp_path / "cnn6.pt")
    wave = clips(32000, 3.0, n=1)[0].numpy()
    pred = Predictor(dst, device="cpu", trim=None)
    assert pred.multi_label and pred.window_s == 10.0
    probs = pred.probabilities(wave, sr=32000)
    with torch.no_grad():
        want = ref(torch.from_numpy(wave)[None])["clipwise_output"][0].numpy()
    # one window (the clip is shorter than 10 s): the Predictor's value is the official one
    assert np.abs(probs - want).max() <= 1e-4
    assert abs(float(probs.sum()) - 1.0) > 0.1  # independent tags, not a softmax
    path = tmp_path / "clip.wav"
    io.save(path, wave, 32000)
    from audiokit.cli import main

    assert main(["predict", str(dst), str(path), "--top-k", "2", "--device", "cpu"]) == 0
    line = capsys.readouterr().out.strip()
    top = [P.audioset_labels()[i] for i in np.argsort(-probs)[:2]]
    assert line.startswith(f"{path}: tags {top[0]} ") and top[1] in line


def test_cli_convert_and_its_errors(cnn6_file, tmp_path, capsys):
    from audiokit.cli import main

    src, _ = cnn6_file
    assert main(["convert", str(src), str(tmp_path / "c.pt")]) == 0
    out = capsys.readouterr().out
    assert "Cnn6" in out and "527" in out and str(tmp_path / "c.pt") in out
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    assert main(["convert", str(bad), str(tmp_path / "d.pt")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err


def test_mean_average_precision_equals_scikit_learn_with_ties():
    from sklearn.metrics import average_precision_score

    from audiokit.evaluate import mean_average_precision

    rng = np.random.default_rng(0)
    y = (rng.random((40, 4)) < 0.3).astype(int)
    s = np.round(rng.random((40, 4)), 1)  # rounded: many tied scores
    want = np.mean([average_precision_score(y[:, c], s[:, c]) for c in range(4)])
    assert mean_average_precision(y, s) == pytest.approx(want, abs=1e-12)


def test_evaluate_a_multi_label_checkpoint_reports_sigmoids_and_map(tmp_path):
    from sklearn.metrics import average_precision_score

    from audiokit import io, models
    from audiokit.evaluate import evaluate
    from audiokit.features import FeatureExtractor
    from audiokit.train import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, recipe

    rng = np.random.default_rng(1)
    for label, f0 in (("bark", 300.0), ("siren", 900.0)):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(4):
            t = np.arange(8000) / 16000
            y = 0.3 * np.sin(2 * np.pi * f0 * (1 + 0.05 * i) * t) + 0.01 * rng.standard_normal(8000)
            io.save(tmp_path / "data" / label / f"{i}.wav", y.astype(np.float32), 16000)
    torch.manual_seed(0)
    model = models.build("panns_cnn6", num_classes=2, n_features=40, preset="tiny")
    ck = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "model_name": "panns_cnn6",
          "model_preset": "tiny", "model_overrides": {}, "num_classes": 2, "n_features": 40,
          "feature_config": FeatureExtractor(n_mels=40).config(), "classes": ["bark", "siren"],
          "config": recipe("spoken_digits").to_dict(), "model_state": model.state_dict(),
          "epoch": 0, "task": "multi_label"}
    res = evaluate(ck, f"folder:{tmp_path / 'data'}", device="cpu")
    assert res.multi_label and res.count == 8
    assert np.abs(res.probs.sum(axis=1) - 1.0).max() > 1e-3  # sigmoids, not a softmax
    onehot = np.eye(2)[res.targets]
    want = np.mean([average_precision_score(onehot[:, c], res.probs[:, c]) for c in range(2)])
    assert res.mean_ap == pytest.approx(want, abs=1e-6) and "mAP" in res.report()
    assert res.to_dict()["mAP"] == res.mean_ap


def test_fallback_reference_front_end_equals_torchlibrosa():
    """The conv1d DFT used when torchlibrosa is missing is the same front-end (float32 rounding)."""
    pytest.importorskip("torchlibrosa")
    from panns_reference import _front_end, _LogMel, _Spectrogram

    wave = clips(32000, 1.3)
    spec, logmel = _front_end(32000, 1024, 320, 14000)
    with torch.no_grad():
        ours = _LogMel(32000, 1024, 14000)(_Spectrogram(1024, 320)(wave))
        want = logmel(spec(wave))
    assert ours.shape == want.shape == (3, 1, 131, 64)
    assert float((ours - want).abs().max()) < 1e-3  # dB; float32 sums of 1024 products
