"""Exercises of notebook 11: ResNet-SE's gates (their cost, their effect, their structure) and
cross-validation over kits versus families.

Solutions that train use the notebook's sizes; ``tiny=True`` trains one epoch on 20 clips
without augmentation (seconds; the numbers then only show that the code runs).

Notebook: 11_resnet_se
"""

from __future__ import annotations

from functools import partial
from typing import Any

from audiokit.exercises.core import Exercise, budget

__all__ = ["EXERCISES"]

_RUNS: dict[bool, Any] = {}


_budget = partial(budget, prefix="ex11_")  # the exercise's own sizes, or CI's tiny ones


def _trained(tiny: bool):
    """The notebook's main run (ResNet-SE tiny on the drums, the recipe's epochs), trained once
    per session and shared by the exercises that need a trained model.

    Notebook: 11_resnet_se
    """
    from audiokit.train import fit, recipe

    if tiny not in _RUNS:
        cfg = recipe("drum_hits", model__name="resnet_se", model__preset="tiny", **_budget(tiny))
        _RUNS[tiny] = fit(cfg, progress=False)
    return _RUNS[tiny]


def _se_parameters(reduction: int = 2) -> int:
    """Parameters of all SE gates of the tiny ResNet-SE for the drums with this ``reduction``.

    Notebook: 11_resnet_se
    """
    from audiokit import models
    from audiokit.features import FeatureExtractor
    from audiokit.train import recipe

    n_features = FeatureExtractor(**recipe("drum_hits").features).n_features
    model = models.build("resnet_se", 5, n_features=n_features, preset="tiny", reduction=reduction)
    return sum(models.count_parameters(block.se) for block in model.blocks)


def _gate_cost(tiny: bool) -> int:
    """SE parameters (and their share of the model) for reduction 2, 8 and 32; returns the count
    for reduction 2.

    Notebook: 11_resnet_se
    """
    from audiokit import models
    from audiokit.features import FeatureExtractor
    from audiokit.train import recipe

    n_features = FeatureExtractor(**recipe("drum_hits").features).n_features
    for r in (2, 8, 32):
        model = models.build("resnet_se", 5, n_features=n_features, preset="tiny", reduction=r)
        se = sum(models.count_parameters(block.se) for block in model.blocks)
        total = models.count_parameters(model)
        print(f"reduction {r:2d}: SE gates {se:6,} of {total:,} parameters ({100 * se / total:.1f} %)")
    return _se_parameters(2)


def _gates_off(tiny: bool) -> dict[str, float]:
    """Test accuracy of the trained ResNet-SE with its gates, and with every gate replaced by a
    pass-through (gate = 1), on the held-out kits.

    Notebook: 11_resnet_se
    """
    import copy

    from torch import nn

    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets

    class PassThrough(nn.Module):
        def forward(self, x, lengths=None):
            return x

    run = _trained(tiny)
    test = build_datasets(run.config.data)["test"]
    ungated = copy.deepcopy(run.model)
    for block in ungated.blocks:
        block.se = PassThrough()
    return {"with gates": evaluate((run.model, run.extractor, run.classes), test).accuracy,
            "gates off": evaluate((ungated, run.extractor, run.classes), test).accuracy}


def _untrained_gates(tiny: bool) -> dict[str, dict[int, float]]:
    """Mean spread between classes of the per-class mean gates of the first and the last block,
    for an untrained and for the trained ResNet-SE, on the test kits.

    Notebook: 11_resnet_se
    """
    import numpy as np
    import torch

    from audiokit import models
    from audiokit.evaluate import se_gates
    from audiokit.features import FeatureExtractor
    from audiokit.train import build_datasets

    run = _trained(tiny)
    test = build_datasets(run.config.data)["test"]
    torch.manual_seed(0)
    fe = FeatureExtractor(**run.config.features)
    fresh = models.build("resnet_se", len(run.classes), n_features=fe.n_features, preset="tiny")
    last = len(fresh.blocks) - 1
    result = {}
    for name, source in [("untrained", (fresh, fe, run.classes)), ("trained", run.best_checkpoint)]:
        gates, labels = se_gates(source, test, blocks=(0, last), device="cpu")
        result[name] = {
            i: round(float(np.stack([g[labels == c].mean(0) for c in np.unique(labels)]).std(0).mean()), 4)
            for i, g in gates.items()}
    return result


def _kits_or_families(tiny: bool) -> dict[str, dict[str, float]]:
    """Cross-validated test accuracy (mean, std) holding out kits versus holding out families.

    Notebook: 11_resnet_se
    """
    from audiokit.crossval import cross_validate, group_folds
    from audiokit.train import recipe

    result = {}
    for column in ("kit", "family"):
        cfg = recipe("drum_hits", model__name="resnet_se", model__preset="tiny",
                     **_budget(tiny, epochs=10))
        folds = group_folds("drum_hits", column, k=4)[:1] if tiny else None  # CI: one fold
        cv = cross_validate(cfg, column=column, k=4, folds=folds, out_dir=cfg.out_dir + "_cv")
        result[column] = {"mean": round(cv.mean, 3), "std": round(cv.std, 3)}
    return result


EXERCISES: list[Exercise] = [
    Exercise(
        "11.1",
        question="How many parameters do the SE gates of the tiny ResNet-SE for the drums hold with "
                 "reduction=2 (and what share of the model is that, for r = 2, 8, 32)?",
        hint="each gate is two linear layers, C → C/r and C/r → C, with biases; sum "
             "`models.count_parameters(block.se)` over `model.blocks`, with `n_features` from the "
             "drum recipe.",
        answer=_se_parameters,
        unit="parameters",
        solve=_gate_cost,
        why="A gate on C channels costs about 2·C²/r weights, so r sets the price: the last stage, "
            "with the most channels, holds most of it. With r = 2 the gates are a visible share of "
            "the tiny model; with the default 8 or with 32 they are cheap, which is why SE is added "
            "almost everywhere.",
    ),
    Exercise(
        "11.2",
        question="Replace every `block.se` of the trained model by a pass-through and evaluate on the "
                 "test kits again: how much accuracy did the gates carry?",
        hint="work on a copy (`copy.deepcopy(run.model)`), so the trained model keeps its gates; a "
             "gate of exactly 1 is not the same as no training with gates, so think about what this "
             "measures.",
        solve=_gates_off,
        why="The layers after each gate were trained on gated activations (gates near their mean, "
            "often well below 1), so opening every gate changes the scale and the mix of channels "
            "they see and the accuracy usually drops, often to near chance. That measures how much "
            "the trained network relies on its gates, not whether a network trained without SE "
            "would be worse: for that, train one with the gates removed from the start.",
    ),
    Exercise(
        "11.3",
        question="Compare the mean spread between classes of the first and the last block's gates of "
                 "an untrained and of the trained ResNet-SE: which structure did training create?",
        hint="an untrained network already gives different early gates to different classes, because "
             "the inputs differ; look at how the last block changes.",
        solve=_untrained_gates,
        why="Even random weights give the first block class-dependent gates, since a cymbal and a "
            "kick have different spectra. Training mostly changes the last block, whose gates "
            "become class-specific (a larger spread between classes), as Hu et al. found for "
            "images. With a tiny or short run the trained maps stay close to the untrained ones.",
    ),
    Exercise(
        "11.4",
        question="Cross-validate with `column=\"kit\"` instead of `\"family\"`: is the mean higher, "
                 "and why?",
        hint="the kits of one family share samples, recording chains and sound designers; holding "
             "out kits leaves their siblings in training.",
        solve=_kits_or_families,
        why="Holding out kits leaves other kits of the same library in training, and those share "
            "samples, processing and taste: the test kits are then less new than they look and the "
            "mean is usually higher, an optimistic estimate. Holding out whole families is the "
            "honest test of 'a sound source the model never heard'. Compare the spreads too: "
            "fewer, larger family folds vary more.",
    ),
]
