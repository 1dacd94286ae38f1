"""Exercises of notebook 08: ECAPA-TDNN's gates, width, pooling, and the drums.

Solutions that train use the notebook's sweep sizes; ``tiny=True`` trains one epoch on a few
dozen clips (seconds; the numbers then only show that the code runs).

Notebook: 08_ecapa_tdnn
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _se_gates(tiny: bool) -> int:
    """Number of SE gates the first block of the tiny ECAPA-TDNN computes for one clip.

    Notebook: 08_ecapa_tdnn
    """
    import torch

    from audiokit import models

    model = models.build("ecapa_tdnn", 10, n_features=40, preset="tiny").eval()
    se = model.blocks[0].se
    gates = []
    hook = se.register_forward_hook(
        lambda module, args, out: gates.append(torch.sigmoid(module.fc2(torch.relu(
            module.fc1(args[0].mean(dim=-1)))))))
    with torch.no_grad():
        model(torch.randn(1, 100, 40))
    hook.remove()
    return int(gates[0].shape[-1])


def _width_sweep(tiny: bool) -> dict[int, dict[str, float]]:
    """Parameters and validation accuracy of ECAPA-TDNN (tiny preset) with 64, 128 and 256
    channels, trained with the same short recipe.

    Notebook: 08_ecapa_tdnn
    """
    import tempfile

    from audiokit import models
    from audiokit.train import fit, recipe

    widths, epochs, clips = (64, 128, 256), 3, 400
    if tiny:  # CI: one short run of the first setting shows that the code works
        widths, epochs, clips = widths[:1], 1, 32
    result = {}
    for channels in widths:
        cfg = recipe("spoken_digits", model__name="ecapa_tdnn", model__preset="tiny",
                     model__overrides={"channels": channels}, epochs=epochs,
                     data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                     device="cpu" if tiny else "auto", out_dir=tempfile.mkdtemp(prefix="ex08_1_"))
        run = fit(cfg, progress=False)
        result[channels] = {"parameters": models.count_parameters(run.model),
                            "valid_acc": run.history[-1]["valid_acc"]}
    return result


def _pooling(tiny: bool) -> dict[str, float]:
    """Validation accuracy of ECAPA-TDNN (tiny) with attentive (ASP) and plain (TSP) statistics
    pooling, same recipe and seed.

    Notebook: 08_ecapa_tdnn
    """
    import tempfile

    from audiokit.train import fit, recipe

    poolings, epochs, clips = ("tsp", "asp"), 3, 400
    if tiny:  # CI: one short run of the first setting shows that the code works
        poolings, epochs, clips = poolings[:1], 1, 32
    result = {}
    for pooling in poolings:
        cfg = recipe("spoken_digits", model__name="ecapa_tdnn", model__preset="tiny",
                     model__overrides={"pooling": pooling}, epochs=epochs,
                     data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                     device="cpu" if tiny else "auto", out_dir=tempfile.mkdtemp(prefix="ex08_2_"))
        result[pooling] = fit(cfg, progress=False).history[-1]["valid_acc"]
    return result


def _drums(tiny: bool) -> dict[str, dict[str, float]]:
    """ECAPA-TDNN and the TDNN (tiny presets) on the drum hits with the drum_hits recipe:
    validation and test accuracy on unheard kits.

    Notebook: 08_ecapa_tdnn
    """
    import tempfile

    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets, fit, recipe

    names, epochs, clips = ("ecapa_tdnn", "tdnn"), 20, 0  # 0 clips: the whole training split
    if tiny:  # CI: one short run of the first setting shows that the code works
        names, epochs, clips = names[:1], 1, 32
    result = {}
    for name in names:
        cfg = recipe("drum_hits", model__name=name, model__preset="tiny", epochs=epochs,
                     data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                     device="cpu" if tiny else "auto", out_dir=tempfile.mkdtemp(prefix="ex08_3_"))
        run = fit(cfg, progress=False)
        test = evaluate(run.best_checkpoint, build_datasets(cfg.data)["test"])
        result[name] = {"valid_acc": max(h["valid_acc"] for h in run.history),
                        "test_acc": test.accuracy}
    return result


EXERCISES: list[Exercise] = [
    Exercise(
        "08.1",
        question="How many SE gates does the first SE-Res2Block of the tiny ECAPA-TDNN compute "
                 "for one clip?",
        hint="One gate per what? Look at the x axis of the gate plot, or at the output size of "
             "the block's `se.fc2` layer.",
        answer=128,
        unit="gates",
        solve=_se_gates,
        why="Squeeze-excitation computes one gate per channel from the clip's average of that "
            "channel, and the tiny preset's blocks have 128 channels: the whole clip decides "
            "how much of each channel passes, for every frame alike.",
    ),
    Exercise(
        "08.2",
        question="Sweep `model__overrides={\"channels\": ...}` over 64, 128 and 256 (divisible by "
                 "`scale` = 8). Plot validation accuracy against `count_parameters`. Where does "
                 "it stop paying?",
        hint="Change only the channels; keep epochs, clips and seed. Put the parameters on a "
             "log axis.",
        solve=_width_sweep,
        why="Parameters grow roughly with the square of the width, accuracy does not: on the "
            "synthetic digits the tiny width is already near the top, so doubling it mostly "
            "buys compute. Where it stops paying depends on the data; with short runs and one "
            "seed, differences of a few points are noise.",
    ),
    Exercise(
        "08.3",
        question="Replace ASP by TSP (`model__overrides={\"pooling\": \"tsp\"}`). Does the "
                 "attention matter on this data?",
        hint="TSP is the plain mean and standard deviation over frames; train both with the "
             "same recipe, seed and clips and compare on the validation voices.",
        solve=_pooling,
        why="Attention lets the pooling weight the frames where the word is over silence and "
            "noise. The digits are short words that fill most of the crop, so plain statistics "
            "do about as well; expect a gap only on long recordings with much silence or many "
            "speakers. One seed cannot separate a small difference from noise.",
    ),
    Exercise(
        "08.4",
        question="Train ECAPA-TDNN on the drum hits (`recipe(\"drum_hits\", "
                 "model__name=\"ecapa_tdnn\", ...)`) and compare with the TDNN on the same "
                 "recipe. Is the ranking the same as on the digits?",
        hint="Change only `model__name`; compare validation and test accuracy on the unheard "
             "kits, and remember how few kits the test split holds.",
        solve=_drums,
        why="Both are 1-D networks that treat the mel bands as channels; a drum hit is short "
            "and its class lives in its spectral shape, which 2-D CNNs (notebooks 09, 11) see "
            "more naturally. The ranking can flip between tasks, and with a handful of test "
            "kits one run is a rough sample: notebook 14 compares over seeds.",
    ),
]
