"""Metrics from counts and evaluate() on a trained checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from audiokit import metrics as M
from audiokit.evaluate import evaluate, result_from_predictions

sys.path.insert(0, str(Path(__file__).parent))
from test_train import make_tones, tiny_config


def test_metrics_on_a_known_confusion():
    # true:      a a a a b b c c c c   (4 a, 2 b, 4 c)
    # predicted: a a a b b a c c c b
    t = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
    p = [0, 0, 0, 1, 1, 0, 2, 2, 2, 1]
    cm = M.confusion_matrix(t, p, 3)
    assert cm.tolist() == [[3, 1, 0], [1, 1, 0], [0, 1, 3]]
    assert M.accuracy(cm) == pytest.approx(7 / 10)
    prec, rec, f1, sup = M.precision_recall_f1(cm)
    assert prec == pytest.approx([3 / 4, 1 / 3, 1.0])
    assert rec == pytest.approx([3 / 4, 1 / 2, 3 / 4])
    assert f1[1] == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))
    assert sup.tolist() == [4, 2, 4]
    assert M.macro_f1(cm) == pytest.approx(f1.mean())


def test_sample_weighted_not_batch_averaged():
    # a batch of 9 all right + a batch of 1 wrong: 0.9, not (1.0 + 0.0) / 2
    import torch

    cm = torch.zeros(2, 2, dtype=torch.int64)
    M.update_confusion(cm, torch.zeros(9, dtype=torch.int64), torch.zeros(9, dtype=torch.int64))
    M.update_confusion(cm, torch.tensor([1]), torch.tensor([0]))
    assert M.accuracy(cm.numpy()) == pytest.approx(0.9)


def test_result_lists_misclassified_and_normalises_rows():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    res = result_from_predictions([0, 1, 1], probs, ["a", "b"], paths=["x.wav", "y.wav", "z.wav"])
    assert res.accuracy == pytest.approx(2 / 3)
    assert res.misclassified == [{"path": "z.wav", "true": "b", "predicted": "a", "prob": pytest.approx(0.7)}]
    assert res.confusion_normalized.tolist() == [[1.0, 0.0], [0.5, 0.5]]
    _, ax = res.plot_confusion(normalize=True)
    assert ax is not None
    assert "accuracy" in res.report()


def test_evaluate_checkpoint_full_length(tmp_path):
    from audiokit import datasets as D
    from audiokit import train

    tones = make_tones(tmp_path / "tones")
    run = train.fit(tiny_config(tones, tmp_path / "run", epochs=3, augment={}), progress=False)
    ds = D.from_folder(tones)
    res = evaluate(run.best_checkpoint, ds, batch_size=5, device="cpu")
    assert res.count == len(ds) == 24
    assert res.confusion.sum() == 24 and res.accuracy >= 0.9
    assert len(res.misclassified) == 24 - int(np.trace(res.confusion))
    # same numbers from a spec string
    res2 = evaluate(run.best_checkpoint, f"folder:{tones}", device="cpu")
    assert res2.accuracy == pytest.approx(res.accuracy)


def test_embeddings_match_model_embed_and_ignore_padding():
    """evaluate.embeddings gives model.embed of each clip at its own length (padding masked)."""
    import torch

    from audiokit import datasets, models
    from audiokit.evaluate import embeddings
    from audiokit.features import FeatureExtractor

    torch.manual_seed(0)
    model = models.build("tdnn", num_classes=10, n_features=40, preset="tiny").eval()
    fe = FeatureExtractor("log_mel", n_mels=40)
    ds = datasets.load_builtin("spoken_digits_real")
    emb, labels = embeddings((model, fe, ds.classes), ds, batch_size=4, device="cpu")
    assert emb.shape == (len(ds), model.embedding_dim) and labels.tolist() == ds.labels
    wave, _ = ds[3]
    with torch.no_grad():
        alone = model.embed(fe(wave[None]))[0].numpy()
    assert abs(emb[3] - alone).max() < 1e-4
