"""Exercises of notebook 09: CNN6 against CNN10, SpecAugment on drums, pooling over time.

Solutions that train use the notebook's sweep sizes; ``tiny=True`` trains one epoch on a few
dozen clips (seconds; the numbers then only show that the code runs).

Notebook: 09_panns
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _cnn6_vs_cnn10(tiny: bool) -> dict[str, dict[str, float]]:
    """Best validation accuracy (mean and std over seeds) of CNN6 and CNN10, tiny presets, on
    the drum_hits recipe.

    Notebook: 09_panns
    """
    import tempfile

    import numpy as np

    from audiokit.train import fit, recipe

    names, seeds, epochs, clips = ("panns_cnn6", "panns_cnn10"), (0, 1), 8, 0  # 0: all clips
    if tiny:  # CI: one short run of the first setting shows that the code works
        names, seeds, epochs, clips = names[:1], seeds[:1], 1, 32
    result = {}
    for name in names:
        accs = []
        for seed in seeds:
            cfg = recipe("drum_hits", model__name=name, model__preset="tiny", epochs=epochs,
                         seed=seed, data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                         device="cpu" if tiny else "auto",
                         out_dir=tempfile.mkdtemp(prefix="ex09_1_"))
            accs.append(max(h["valid_acc"] for h in fit(cfg, progress=False).history))
        result[name] = {"mean": float(np.mean(accs)), "std": float(np.std(accs)), "runs": accs}
    return result


def _specaugment(tiny: bool) -> dict[str, dict[str, float]]:
    """Best validation accuracy (mean and std over seeds) of CNN6 (tiny) on the drums with the
    recipe's SpecAugment, with time masks only, and without.

    Notebook: 09_panns
    """
    import tempfile

    import numpy as np

    from audiokit.train import fit, recipe

    settings = {"SpecAugment": recipe("drum_hits").augment["spec"],
                "time masks only": {"specaugment": {"p": 0.5, "freq_masks": 0}},
                "none": {}}
    seeds, epochs, clips = (0, 1, 2), 8, 0  # 0 clips: the whole training split
    if tiny:  # CI: one short run of one setting shows that the code works
        settings, seeds, epochs, clips = {"time masks only": settings["time masks only"]}, (0,), 1, 32
    result = {}
    for label, spec in settings.items():
        accs = []
        for seed in seeds:
            cfg = recipe("drum_hits", model__name="panns_cnn6", model__preset="tiny",
                         epochs=epochs, seed=seed, augment__spec=spec,
                         data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                         device="cpu" if tiny else "auto",
                         out_dir=tempfile.mkdtemp(prefix="ex09_2_"))
            accs.append(max(h["valid_acc"] for h in fit(cfg, progress=False).history))
        result[label] = {"mean": float(np.mean(accs)), "std": float(np.std(accs))}
    return result


def _frames_at_pooling(tiny: bool) -> int:
    """Time frames that reach CNN6's pooling over time for a 2 s crop of the drum recipe.

    Notebook: 09_panns
    """
    from audiokit import models
    from audiokit.features import FeatureExtractor
    from audiokit.models.summary import summary
    from audiokit.train import recipe

    cfg = recipe("drum_hits", duration=2.0)
    extractor = FeatureExtractor.from_config(cfg.features)
    n_frames = extractor.num_frames(int(cfg.duration * extractor.sample_rate))
    model = models.build("panns_cnn6", 5, n_features=cfg.features["n_mels"], preset="tiny")
    last_block = [row for row in summary(model, n_frames=n_frames) if row.name.startswith("blocks.")][-1]
    print(f"{n_frames} feature frames in; last block's map (batch, channels, frequency, time): "
          f"{last_block.output_shape}")
    return int(last_block.output_shape[-1])


EXERCISES: list[Exercise] = [
    Exercise(
        "09.1",
        question="Train `panns_cnn10` with the same recipe (`model__name=\"panns_cnn10\"`). Is "
                 "the deeper 3 x 3 design better than CNN6 on unheard kits? Run two seeds of "
                 "each before you answer.",
        hint="Change only `model__name` and `seed`; compare the best validation accuracy, and "
             "its spread over the seeds, before you look at a difference of means.",
        solve=_cnn6_vs_cnn10,
        why="Two 3 x 3 convolutions see as far as one 5 x 5 with more non-linearity, but CNN10 "
            "has twice the convolutions to train on a few hundred clips. On held-out kits the "
            "difference is usually within the spread between seeds: the kits, not the "
            "architecture, dominate the score.",
    ),
    Exercise(
        "09.2",
        question="Repeat the SpecAugment experiment with three seeds and report mean and std. "
                 "Then mask time only (`augment__spec={\"specaugment\": {\"p\": 0.5, "
                 "\"freq_masks\": 0}}`, see `audiokit.augment.SpecAugment`): does keeping the "
                 "spectrum intact help the drums?",
        hint="Loop over seeds inside a loop over the three `augment__spec` settings; everything "
             "else stays as in the notebook's experiment.",
        solve=_specaugment,
        why="Frequency masks can erase the band that tells a kick from a tom; time masks only "
            "hide part of a hit's decay. If time-only masking scores at least as well as the "
            "full SpecAugment, the frequency masks were hurting; if the three settings overlap "
            "within their std, the validation kits cannot tell them apart.",
    ),
    Exercise(
        "09.3",
        question="With 2 s crops (`recipe(\"drum_hits\", duration=2.0)`), how many time frames "
                 "reach CNN6's pooling over time (tiny preset)? A hit that fills one of them: "
                 "what share of the mean does it make, and what does the max keep?",
        hint="Feed `FeatureExtractor.num_frames` of a 2 s crop to `summary(model, n_frames=...)` "
             "and read the time axis of the last block; each block halves it.",
        answer=12,
        unit="frames",
        solve=_frames_at_pooling,
        why="Four 2 x 2 poolings divide time by 16 (rounding down each time). A hit in one "
            "frame is 1/12 of the mean, half its share in a 1 s crop, while the max keeps it "
            "whole: that is why PANNs add the max. Mean-only pooling would need the one line "
            "`x.amax(dim=-1) + x.mean(dim=-1)` in `PANNsCNN._embed` changed (there is no "
            "option), and would fade short hits as crops grow.",
    ),
]
