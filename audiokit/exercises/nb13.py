"""Exercises of notebook 13: what attentional fusion costs and buys, ERes2Net against V2 over
seeds, and whether time follows FLOPs on longer inputs.

Solutions that train use the notebook's sweep sizes; ``tiny=True`` trains one epoch on 20 clips
without augmentation (seconds; the numbers then only show that the code runs).

Notebook: 13_eres2net
"""

from __future__ import annotations

from functools import cache, partial

from audiokit.exercises.core import Exercise, budget

__all__ = ["EXERCISES"]

NO_FUSION = {"local_fusion": False, "fusion": "none"}


_budget = partial(budget, prefix="ex13_")  # the exercise's own sizes, or CI's tiny ones


def _bands() -> int:
    """Feature bands per frame of the spoken_digits recipe.

    Notebook: 13_eres2net
    """
    from audiokit.features import FeatureExtractor
    from audiokit.train import recipe

    return FeatureExtractor(**recipe("spoken_digits").features).n_features


def _fusion_parameters() -> int:
    """Parameters of the tiny ERes2Net for the digits minus those of the same model without any
    attentional fusion (plain sums in the blocks, no global fusion).

    Notebook: 13_eres2net
    """
    from audiokit import models

    with_fusion = models.build("eres2net", 10, n_features=_bands(), preset="tiny")
    without = models.build("eres2net", 10, n_features=_bands(), preset="tiny", **NO_FUSION)
    return models.count_parameters(with_fusion) - models.count_parameters(without)


def _fusion_cost(tiny: bool) -> int:
    """The parameters of fusion, local and global, and their share of the tiny ERes2Net.

    Notebook: 13_eres2net
    """
    from audiokit import models

    counts = {name: models.count_parameters(models.build("eres2net", 10, n_features=_bands(),
                                                         preset="tiny", **kw))
              for name, kw in [("all fusion", {}), ("no local fusion", {"local_fusion": False}),
                               ("no global fusion", {"fusion": "none"}), ("no fusion", NO_FUSION)]}
    for name, n in counts.items():
        print(f"{name:17s} {n:,} parameters")
    return _fusion_parameters()


@cache
def _experiment(tiny: bool, name: str, fusion: bool = True, seed: int = 0) -> dict[str, float]:
    """One run of the notebook's V1-vs-V2 experiment (2 epochs, 400 clips): best validation
    accuracy and seconds per epoch; each setting is trained once per session.

    Notebook: 13_eres2net
    """
    import numpy as np

    from audiokit.train import fit, recipe

    cfg = recipe("spoken_digits", model__name=name, model__preset="tiny", seed=seed,
                 model__overrides={} if fusion else NO_FUSION,
                 **_budget(tiny, epochs=2, data__max_train_clips=400))
    run = fit(cfg, progress=False)
    return {"valid_acc": max(h["valid_acc"] for h in run.history),
            "s_per_epoch": round(float(np.mean([h["time_s"] for h in run.history])), 1)}


def _fusion_training(tiny: bool) -> dict[str, dict[str, float]]:
    """Best validation accuracy and seconds per epoch of the tiny ERes2Net with and without
    fusion, on the notebook's experiment budget (2 epochs, 400 clips, seed 0).

    Notebook: 13_eres2net
    """
    return {"fusion": _experiment(tiny, "eres2net"),
            "plain sums": _experiment(tiny, "eres2net", fusion=False)}


def _variants_seeds(tiny: bool) -> dict[str, dict[str, float]]:
    """Best validation accuracy (mean and std over seeds 0, 1, 2) of ERes2Net and ERes2NetV2
    (tiny), on the notebook's experiment budget.

    Notebook: 13_eres2net
    """
    import numpy as np

    seeds = (0,) if tiny else (0, 1, 2)
    result = {}
    for name in ("eres2net", "eres2net_v2"):
        accs = [_experiment(tiny, name, seed=seed)["valid_acc"] for seed in seeds]
        result[name] = {"mean": round(float(np.mean(accs)), 3), "std": round(float(np.std(accs)), 3)}
    return result


@cache
def _flops_ratio() -> float:
    """GFLOPs of the tiny ERes2NetV2 divided by those of the tiny ERes2Net on one 400-frame clip.

    Notebook: 13_eres2net
    """
    from audiokit import models
    from audiokit.profiling import model_cost

    gflops = {name: model_cost(models.build(name, 10, n_features=_bands(), preset="tiny"),
                               n_frames=400, n_features=_bands())[1]
              for name in ("eres2net", "eres2net_v2")}
    return gflops["eres2net_v2"] / gflops["eres2net"]


def _time_vs_flops(tiny: bool) -> float:
    """FLOPs ratio (V2 / V1) at 400 frames, printed with the measured forward-time ratio; returns
    the FLOPs ratio rounded to two decimals.

    Notebook: 13_eres2net
    """
    from audiokit import models
    from audiokit.profiling import forward_time

    batch, repeats = (2, 1) if tiny else (8, 5)
    seconds = {name: forward_time(models.build(name, 10, n_features=_bands(), preset="tiny"),
                                  batch=batch, n_frames=400, n_features=_bands(), repeats=repeats)
               for name in ("eres2net", "eres2net_v2")}
    ratio = round(_flops_ratio(), 2)
    print(f"V2 / V1 at 400 frames: GFLOPs {ratio:.2f}×, forward time (batch of {batch}) "
          f"{seconds['eres2net_v2'] / seconds['eres2net']:.2f}×")
    return ratio


EXERCISES: list[Exercise] = [
    Exercise(
        "13.1",
        question="How many parameters does attentional feature fusion (local and global) cost in "
                 "the tiny ERes2Net for the digits?",
        hint="`models.build(\"eres2net\", 10, n_features=..., preset=\"tiny\", local_fusion=False, "
             "fusion=\"none\")`; count both with `models.count_parameters`.",
        answer=_fusion_parameters,
        unit="parameters",
        solve=_fusion_cost,
        why="Local fusion adds one small AFF module per group boundary in stages 3-4; global fusion "
            "adds a stride-2 3×3 convolution and an AFF per fused pair of stages, on the widest "
            "maps: the global part is by far the larger cost.",
    ),
    Exercise(
        "13.2",
        question="Train ERes2Net with and without fusion (`model__overrides={\"local_fusion\": False, "
                 "\"fusion\": \"none\"}`) for the same budget: how much does fusion help here?",
        hint="copy the experiment's loop and change only `model__overrides`; compare the best "
             "validation accuracy, and the seconds per epoch.",
        solve=_fusion_training,
        why="Fusion was designed for short utterances of thousands of speakers; on one-second "
            "synthetic digits both versions learn the task, so the difference after a short run "
            "is usually within seed-to-seed noise, while the fused model is larger and slower per "
            "epoch. One seed cannot separate a small gain from noise: repeat over seeds (13.3).",
    ),
    Exercise(
        "13.3",
        question="Run the V1-vs-V2 experiment with three seeds and report mean ± std. Is the gap "
                 "larger than the spread?",
        hint="add a loop over `seed` (pass `seed=` to `config.replace`) and keep the best validation "
             "accuracy of each run.",
        solve=_variants_seeds,
        why="With two epochs on 400 clips the spread over seeds is a few points, similar to or "
            "larger than the gap between the two variants; only a gap of more than about two "
            "standard deviations would be evidence. V2's saving in parameters and FLOPs is "
            "certain, its accuracy cost here is not shown.",
    ),
    Exercise(
        "13.4",
        question="With 400-frame inputs, what is the ratio of ERes2NetV2's to ERes2Net's GFLOPs "
                 "(tiny, one clip)? Does the ratio of their forward times follow it?",
        hint="`model_cost(model, n_frames=400, n_features=...)` returns (parameters, GFLOPs); divide "
             "V2's by V1's.",
        answer=_flops_ratio,
        tolerance=0.01,
        solve=_time_vs_flops,
        why="FLOPs grow linearly with the frames for both, so the ratio hardly changes from 100 to "
            "400 frames. The time ratio is usually closer to 1 than the FLOPs ratio on a CPU: "
            "memory traffic, the AFF gates' elementwise work and per-layer overheads do not shrink "
            "with the narrower groups. Tolerance 0.01: the ratio rounded to two decimals.",
    ),
]
