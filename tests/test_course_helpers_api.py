"""Package functions the notebooks' cells used to define themselves: writing datasets back to
the folder / list layouts, decoding a timeline into events, timing and counting a model, the
squeeze-excitation gates of a trained model, and ERes2Net without attentional fusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiokit import datasets, models, profiling
from audiokit.streaming import decode_events


@pytest.fixture()
def small(tmp_path: Path):
    """Two classes (tones), speakers a and b, three clips each: ``src/<class>/<speaker>_<k>.wav``."""
    t = np.arange(1600) / 16000
    for label, hz in (("hi", 3000), ("lo", 300)):
        (tmp_path / "src" / label).mkdir(parents=True)
        for g in ("a", "b"):
            for k in range(3):
                y = (0.2 + 0.05 * k) * np.sin(2 * np.pi * hz * t)
                sf.write(tmp_path / "src" / label / f"{g}_{k}.wav", y, 16000)
    return datasets.from_folder(tmp_path / "src")


def test_to_folder_and_to_list_round_trip(small, tmp_path):
    small.groups = [Path(p).stem.split("_")[0] for p in small.paths]
    out = datasets.to_folder(small, tmp_path / "copy", per_class=2, seed=1)
    back = datasets.from_folder(out)
    assert back.class_counts() == {"hi": 2, "lo": 2}
    assert all(p.name.split("__")[0] in {"a", "b"} for p in back.paths)
    originals = [small[i][0].numpy() for i in range(len(small))]
    for i in range(len(back)):  # each written clip is one of the originals, to 16-bit rounding
        y = back[i][0].numpy()
        assert min(np.abs(y - o).max() for o in originals if len(o) == len(y)) < 1e-4
    lst = datasets.to_list(small, tmp_path / "lists" / "all.txt", classes=["lo"])
    rows = lst.read_text().splitlines()
    assert len(rows) == 6 and all(r.endswith("\tlo") and Path(r.split("\t")[0]).is_absolute() for r in rows)
    assert datasets.from_list(lst).class_counts() == {"lo": 6}
    with pytest.raises(ValueError, match="no class mid"):
        datasets.to_list(small, tmp_path / "x.txt", classes=["mid"])


def test_to_folder_sample_is_seeded(small, tmp_path):
    a = datasets.to_folder(small, tmp_path / "a", per_class=2, seed=3)
    b = datasets.to_folder(small, tmp_path / "b", per_class=2, seed=3)
    files = sorted(p.relative_to(a) for p in a.rglob("*.wav"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.wav")) and len(files) == 4
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes()


def test_decode_events_merges_repeats_and_thresholds():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.45, 0.55], [0.9, 0.1]])
    times = np.arange(5) * 0.25
    assert decode_events(times, probs, ["one", "two"]) == [(0.0, "one"), (0.5, "two"), (1.0, "one")]
    assert decode_events(times, probs, ["one", "two"], threshold=0.7) == [
        (0.0, "one"), (0.5, "-"), (1.0, "one")]


def test_model_cost_and_timers():
    m = models.build("tdnn", num_classes=10, n_features=40, preset="tiny")
    params, gflops = profiling.model_cost(m, n_frames=100, n_features=40)
    assert params == sum(p.numel() for p in m.parameters())
    # conv layers dominate: 2 FLOPs per multiply-add over (100 - 14) output frames of layer 1 ...
    first = 2 * 40 * 128 * 5 * (100 - 4)
    assert first / 1e9 < gflops < 10 * first / 1e9
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m.train()
    assert profiling.forward_time(m, batch=2, n_frames=50, n_features=40, repeats=2) > 0
    assert profiling.train_step_time(m, batch=4, n_frames=50, n_features=40, repeats=1) > 0
    assert m.training and all(torch.equal(before[k], v) for k, v in m.state_dict().items())
    with pytest.raises(ValueError, match="reduce"):
        profiling.time_call(lambda: None, reduce="mean")


def test_eres2net_without_fusion_keeps_the_default():
    base = models.build("eres2net", num_classes=10, n_features=40, preset="tiny")
    again = models.build("eres2net", num_classes=10, n_features=40, preset="tiny", local_fusion=True)
    plain = models.build("eres2net", num_classes=10, n_features=40, preset="tiny",
                         local_fusion=False, fusion="none")
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(base) == count(again) > count(plain)
    x = torch.randn(2, 100, 40)
    assert plain(x).shape == (2, 10)
    with pytest.raises(ValueError, match="fusion must be"):
        models.build("eres2net", num_classes=10, n_features=40, preset="tiny", fusion="some")


def test_se_gates_of_an_untrained_model(small):
    from audiokit.evaluate import se_gates
    from audiokit.features import FeatureExtractor

    model = models.build("resnet_se", num_classes=2, n_features=32, preset="tiny").eval()
    fe = FeatureExtractor("log_mel", n_mels=32)
    gates, labels = se_gates((model, fe, small.classes), small, blocks=(0, -1), device="cpu")
    last = len(model.blocks) - 1
    assert set(gates) == {0, last} and labels.shape == (len(small),)
    assert gates[0].shape[0] == len(small) and ((gates[0] > 0) & (gates[0] < 1)).all()
