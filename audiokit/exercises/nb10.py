"""Exercises of notebook 10: Res2Net's scale at fixed width, pooling, and longer crops.

Solutions that train use the notebook's sweep sizes; ``tiny=True`` trains one epoch on a few
dozen clips (seconds; the numbers then only show that the code runs).

Notebook: 10_res2net
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _fixed_width_scales(tiny: bool) -> dict[int, dict[str, float]]:
    """Validation accuracy and parameters of Res2Net (tiny) for scale 1, 2, 4 with
    ``base_width`` 64, 32, 16, so that ``scale * base_width`` (the total width) stays 64.

    Notebook: 10_res2net
    """
    import tempfile

    from audiokit import models
    from audiokit.train import fit, recipe

    settings, epochs, clips = ((1, 64), (2, 32), (4, 16)), 3, 600
    if tiny:  # CI: one short run of the first setting shows that the code works
        settings, epochs, clips = settings[:1], 1, 32
    result = {}
    for scale, base_width in settings:
        cfg = recipe("spoken_digits", model__name="res2net", model__preset="tiny",
                     model__overrides={"scale": scale, "base_width": base_width}, epochs=epochs,
                     data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                     device="cpu" if tiny else "auto", out_dir=tempfile.mkdtemp(prefix="ex10_1_"))
        run = fit(cfg, progress=False)
        result[scale] = {"base_width": base_width, "parameters": models.count_parameters(run.model),
                         "valid_acc": run.history[-1]["valid_acc"]}
    return result


def _pooling_seeds(tiny: bool) -> dict[str, dict[str, float]]:
    """Validation accuracy (mean and std over seeds) of Res2Net (tiny) with TAP, TSP and ASP.

    Notebook: 10_res2net
    """
    import tempfile

    import numpy as np

    from audiokit.train import fit, recipe

    poolings, seeds, epochs, clips = ("tap", "tsp", "asp"), (0, 1, 2), 3, 600
    if tiny:  # CI: one short run of the first setting shows that the code works
        poolings, seeds, epochs, clips = poolings[:1], seeds[:1], 1, 32
    result = {}
    for pooling in poolings:
        accs = []
        for seed in seeds:
            cfg = recipe("spoken_digits", model__name="res2net", model__preset="tiny",
                         model__overrides={"pooling": pooling}, epochs=epochs, seed=seed,
                         data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                         device="cpu" if tiny else "auto",
                         out_dir=tempfile.mkdtemp(prefix="ex10_2_"))
            accs.append(fit(cfg, progress=False).history[-1]["valid_acc"])
        result[pooling] = {"mean": float(np.mean(accs)), "std": float(np.std(accs))}
    return result


def _frames_at_pooling(tiny: bool) -> int:
    """Frames that reach Res2Net's pooling for a 2 s crop of the spoken_digits recipe (tiny).

    Notebook: 10_res2net
    """
    from audiokit import models
    from audiokit.features import FeatureExtractor
    from audiokit.models.summary import summary
    from audiokit.train import recipe

    cfg = recipe("spoken_digits", duration=2.0)
    extractor = FeatureExtractor.from_config(cfg.features)
    n_frames = extractor.num_frames(int(cfg.duration * extractor.sample_rate))
    model = models.build("res2net", 10, n_features=cfg.features["n_mels"], preset="tiny")
    last_block = [row for row in summary(model, n_frames=n_frames) if row.name.startswith("blocks.")][-1]
    print(f"{n_frames} feature frames in; last block's map (batch, channels, frequency, time): "
          f"{last_block.output_shape}")
    return int(last_block.output_shape[-1])


def _two_second_crops(tiny: bool) -> dict[str, dict[str, float]]:
    """Validation accuracy and real-digit accuracy of Res2Net (tiny) trained on 1 s and 2 s crops.

    Notebook: 10_res2net
    """
    import tempfile

    from audiokit.evaluate import evaluate
    from audiokit.train import fit, recipe

    durations, epochs, clips = (2.0, 1.0), 6, 0  # 0 clips: the whole training split
    if tiny:  # CI: one short run of the first setting shows that the code works
        durations, epochs, clips = durations[:1], 1, 32
    result = {}
    for duration in durations:
        cfg = recipe("spoken_digits", model__name="res2net", model__preset="tiny",
                     duration=duration, epochs=epochs, data__max_train_clips=clips,
                     data__max_eval_clips=clips // 2, device="cpu" if tiny else "auto",
                     out_dir=tempfile.mkdtemp(prefix="ex10_4_"))
        run = fit(cfg, progress=False)
        real = evaluate(run.best_checkpoint, "spoken_digits_real")
        result[f"{duration:g} s crops"] = {"valid_acc": max(h["valid_acc"] for h in run.history),
                                           "real_acc": real.accuracy, "real_clips": real.count}
    return result


EXERCISES: list[Exercise] = [
    Exercise(
        "10.1",
        question="Repeat the scale sweep keeping the total width fixed (`base_width` 64, 32, 16 "
                 "for `scale` 1, 2, 4): is multi-scale still better when it cannot simply be "
                 "wider?",
        hint="Pass both options at once: `model__overrides={\"scale\": s, \"base_width\": w}`, "
             "and print the parameter counts next to the accuracies.",
        solve=_fixed_width_scales,
        why="With scale * base_width fixed, the split into groups is the only change (more "
            "groups: more, smaller, chained 3 x 3 convolutions, so fewer parameters). If the "
            "scales still order the same way, the gain came from the multi-scale hierarchy; "
            "if they collapse together, the notebook's sweep was measuring width. Short runs "
            "on one seed leave a few points of noise.",
    ),
    Exercise(
        "10.2",
        question="Sweep `pooling` (`\"tap\"`, `\"tsp\"`, `\"asp\"`) with three seeds. With only "
                 "a couple of frames left after the trunk, should attention matter much? Check "
                 "your guess.",
        hint="Attention chooses among frames: count how many frames it has to choose from "
             "(the layer table), then compare mean and std over seeds.",
        solve=_pooling_seeds,
        why="With a couple of output frames there is little for attention to choose, and the "
            "standard deviation of two values is a crude statistic: TAP, TSP and ASP should land "
            "within their seed spread. Attention pays when many frames are left and some are "
            "silence or noise.",
    ),
    Exercise(
        "10.3",
        question="Train with `duration=2.0` (2 s crops): how many frames reach the pooling now "
                 "(tiny preset)?",
        hint="A 2 s crop gives `FeatureExtractor.num_frames(32000)` feature frames; pass that "
             "to `summary(model, n_frames=...)` and read the time axis of the last block.",
        answer=5,
        unit="frames",
        solve=_frames_at_pooling,
        why="The stem (stride 3), the max pooling (stride 2) and three strided stages divide "
            "time by about 48, rounding up at each step: twice the crop gives about twice the "
            "output frames, still very few for attention to weigh.",
    ),
    Exercise(
        "10.4",
        question="Train with 2 s crops and compare with 1 s crops: does the accuracy on the real "
                 "digits (`spoken_digits_real`) change?",
        hint="Change only `duration`; evaluate both best checkpoints on the real digits and "
             "remember how many points one real clip is worth.",
        solve=_two_second_crops,
        why="Longer crops hold the whole word plus more silence around it, at twice the cost per "
            "step. The real recordings are few, so one clip moves the score by several points: "
            "a change of one or two clips is not a finding.",
    ),
]
