"""audiokit.models.summary: the layer table notebooks print is the real model's."""

import torch

from audiokit import models
from audiokit.models.summary import summary


def test_summary_rows_shapes_and_total():
    model = models.build("ecapa_tdnn", num_classes=7, n_features=40, preset="tiny")
    table = summary(model, n_frames=50)
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert table[-1].output_shape == (1, 7)  # the classifier comes last, one logit per class
    assert all(r.params >= 0 for r in table)
    text = str(table)
    assert "total" in text and f"{table.total_params:,}" in text
    # Blocks held in a ModuleList are listed one by one, not hidden.
    assert any(r.name.startswith("blocks.") for r in table)


def test_summary_restores_training_mode_and_leaves_no_hooks():
    model = models.build("tdnn", num_classes=3, n_features=40, preset="tiny").train()
    summary(model, n_frames=40, depth=2)
    assert model.training
    assert all(not m._forward_hooks for m in model.modules())
    out = model(torch.randn(2, 40, 40))
    assert out.shape == (2, 3)
