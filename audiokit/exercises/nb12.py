"""Exercises of notebook 12: what context-aware masking costs, CAM++ on drums, the growth rate
over seeds, and how the size grows with it.

Solutions that train use the notebook's sizes; ``tiny=True`` trains one epoch on 20 clips
without augmentation (seconds; the numbers then only show that the code runs).

Notebook: 12_campplus
"""

from __future__ import annotations

from functools import partial

from audiokit.exercises.core import Exercise, budget

__all__ = ["EXERCISES"]


_budget = partial(budget, prefix="ex12_")  # the exercise's own sizes, or CI's tiny ones


def _digit_bands() -> int:
    """Feature bands per frame of the spoken_digits recipe.

    Notebook: 12_campplus
    """
    from audiokit.features import FeatureExtractor
    from audiokit.train import recipe

    return FeatureExtractor(**recipe("spoken_digits").features).n_features


def _cam_parameters() -> int:
    """Parameters of the context networks (``context1`` + ``context2``) of every CAM layer of the
    tiny CAM++ for the digits.

    Notebook: 12_campplus
    """
    from audiokit import models
    from audiokit.models.campplus import CAMLayer

    model = models.build("campplus", 10, n_features=_digit_bands(), preset="tiny")
    return sum(models.count_parameters(m.context1) + models.count_parameters(m.context2)
               for m in model.modules() if isinstance(m, CAMLayer))


def _cam_cost(tiny: bool) -> int:
    """The CAM context parameters and their share of the tiny CAM++.

    Notebook: 12_campplus
    """
    from audiokit import models

    total = models.count_parameters(models.build("campplus", 10, n_features=_digit_bands(),
                                                 preset="tiny"))
    cam = _cam_parameters()
    print(f"context-aware masking: {cam:,} of {total:,} parameters ({100 * cam / total:.1f} %)")
    return cam


def _drums(tiny: bool) -> dict[str, float]:
    """Test accuracy on the held-out drum kits of CAM++ and PANNs CNN6 (tiny presets), trained
    with the same drum_hits recipe.

    Notebook: 12_campplus
    """
    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets, fit, recipe

    result = {}
    for name in ("campplus", "panns_cnn6"):
        cfg = recipe("drum_hits", model__name=name, model__preset="tiny", **_budget(tiny))
        run = fit(cfg, progress=False)
        result[name] = round(evaluate(run.best_checkpoint, build_datasets(cfg.data)["test"]).accuracy, 3)
    return result


def _growth_seeds(tiny: bool) -> dict[int, dict[str, float]]:
    """Best validation accuracy (mean and std over seeds) of the tiny CAM++ for growth rates 8,
    16 and 32 (the notebook's sweep: 2 epochs on 400 clips).

    Notebook: 12_campplus
    """
    import numpy as np

    from audiokit.train import fit, recipe

    growths, seeds = ((16,), (0,)) if tiny else ((8, 16, 32), (0, 1, 2))
    result = {}
    for growth in growths:
        accs = []
        for seed in seeds:
            cfg = recipe("spoken_digits", model__name="campplus", model__preset="tiny", seed=seed,
                         model__overrides={"growth_rate": growth},
                         **_budget(tiny, epochs=2, data__max_train_clips=400))
            accs.append(max(h["valid_acc"] for h in fit(cfg, progress=False).history))
        result[growth] = {"mean": round(float(np.mean(accs)), 3), "std": round(float(np.std(accs)), 3)}
    return result


def _growth_ratio() -> float:
    """Parameters of the tiny CAM++ with growth rate 32 divided by those with 16 (the preset's).

    Notebook: 12_campplus
    """
    from audiokit import models

    size = {g: models.count_parameters(models.build("campplus", 10, n_features=_digit_bands(),
                                                    preset="tiny", growth_rate=g)) for g in (16, 32)}
    return size[32] / size[16]


def _growth_ratio_solution(tiny: bool) -> float:
    """The ratio of parameters for growth rate 32 and 16, rounded to two decimals.

    Notebook: 12_campplus
    """
    return round(_growth_ratio(), 2)


EXERCISES: list[Exercise] = [
    Exercise(
        "12.1",
        question="How many parameters do the context networks (context1 + context2) of all CAM "
                 "layers of the tiny CAM++ for the digits hold?",
        hint="find the CAM layers with `[m for m in model.modules() if isinstance(m, CAMLayer)]` "
             "(`from audiokit.models.campplus import CAMLayer`) and count with "
             "`models.count_parameters`.",
        answer=_cam_parameters,
        unit="parameters",
        solve=_cam_cost,
        why="The context network is two 1×1 convolutions per dense layer, a small share of the "
            "model: masking is cheap attention. The simplest way to turn a CAM layer into a plain "
            "dilated convolution is to make the gate 1 (return `self.local(x)` without multiplying "
            "by the sigmoid); train both with the same seeds to see what the gate buys.",
    ),
    Exercise(
        "12.2",
        question="Train CAM++ and PANNs CNN6 on drum_hits with the same recipe. Does CAM++, made for "
                 "speech, do as well on drums as a network made for audio tagging?",
        hint="change only `model__name`; compare the test accuracy on the held-out kits, and "
             "remember how few sources the drum test split holds.",
        solve=_drums,
        why="PANNs keeps a 2-D time-frequency map through all its layers, which suits short, "
            "spectrally defined hits; CAM++ flattens frequency after its small 2-D front-end and "
            "then works like a TDNN over time, which suits speech. Either can come out ahead on "
            "one split and one seed: the drum test split holds few kits, so differences of several "
            "points are within the noise (notebook 11 cross-validates, notebook 14 repeats seeds).",
    ),
    Exercise(
        "12.3",
        question="Repeat the growth-rate sweep with three seeds per value and report mean ± std. "
                 "Which differences survive?",
        hint="loop over `seed` inside the loop over growth rates and pass `seed=` to "
             "`config.replace`; a difference smaller than the spread is not shown.",
        solve=_growth_seeds,
        why="With two epochs on 400 clips the spread over seeds is a few points; a wider network "
            "learns a little faster but the gap between neighbouring growth rates is often within "
            "that spread. Only differences larger than about two standard deviations deserve a "
            "claim; the parameter cost, on the other hand, is certain.",
    ),
    Exercise(
        "12.4",
        question="By what factor does the parameter count of the tiny CAM++ for the digits grow when "
                 "the growth rate doubles from 16 to 32?",
        hint="build both with `models.build(\"campplus\", 10, n_features=..., preset=\"tiny\", "
             "growth_rate=g)` and divide the counts.",
        answer=_growth_ratio,
        tolerance=0.01,
        solve=_growth_ratio_solution,
        why="The dense layers' convolutions scale with (channels × growth rate) and the channels "
            "themselves grow with the growth rate, so most of the network grows with its square; "
            "the FCM front-end, the first TDNN layer and the head do not, so the factor is below 4. "
            "Tolerance 0.01: the answer rounded to two decimals.",
    ),
]
