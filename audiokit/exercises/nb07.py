"""Exercises of notebook 07: pooling over seeds, the paper's width, the context in time, and
what natural voices in training change.

Solutions that train use short runs; ``tiny=True`` trains one epoch on a few dozen clips
(seconds; the numbers then only show that the code runs).

Notebook: 07_tdnn
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _tdnn_run(tiny: bool, seed: int = 0, **changes):
    import tempfile

    from audiokit.train import fit, recipe

    epochs, clips = (1, 32) if tiny else (3, 400)
    cfg = recipe("spoken_digits", model__name="tdnn", model__preset="tiny", epochs=epochs,
                 seed=seed, data__max_train_clips=clips, data__max_eval_clips=clips // 2,
                 device="cpu" if tiny else "auto", out_dir=tempfile.mkdtemp(prefix="ex07_"),
                 **changes)
    return fit(cfg, progress=False)


def _pooling_seeds(tiny: bool) -> dict[str, tuple[float, float]]:
    """Validation accuracy (mean, std over seeds) of each pooling.

    Notebook: 07_tdnn
    """
    import numpy as np

    poolings, seeds = (("tap", "asp"), (0,)) if tiny else (("tap", "tsp", "sap", "asp"), (0, 1, 2))
    out = {}
    for pooling in poolings:
        acc = [_tdnn_run(tiny, seed, model__overrides={"pooling": pooling}).history[-1]["valid_acc"]
               for seed in seeds]
        out[pooling] = (round(float(np.mean(acc)), 3), round(float(np.std(acc)), 3))
        print(f"{pooling}: {out[pooling][0]:.3f} ± {out[pooling][1]:.3f} over seeds {seeds}")
    return out


def _paper_size_ratio() -> float:
    from audiokit import models

    paper = models.count_parameters(models.build("tdnn", 10, n_features=40))
    tiny = models.count_parameters(models.build("tdnn", 10, n_features=40, preset="tiny"))
    return round(paper / tiny, 1)


def _paper_size(tiny: bool) -> float:
    """How many times more parameters the paper's x-vector TDNN has than the tiny preset (40
    mel bands, 10 classes).

    Notebook: 07_tdnn
    """
    from audiokit import models

    for preset in ("tiny", None):
        m = models.build("tdnn", 10, n_features=40, preset=preset)
        print(f"preset {preset}: {models.count_parameters(m):,} parameters")
    return _paper_size_ratio()


def _context_ms(tiny: bool) -> float:
    """The TDNN's context in milliseconds with 20 ms frames (hop 320 samples at 16 kHz).

    Notebook: 07_tdnn
    """
    from audiokit.models.tdnn import TDNN

    frames = TDNN.min_frames  # 1 + sum of dilation x (kernel - 1): the receptive field in frames
    hop_s = 320 / 16000
    print(f"{frames} frames x {1000 * hop_s:.0f} ms")
    return frames * hop_s * 1000


def _natural_data(tiny: bool) -> dict[str, dict[str, float]]:
    """Accuracy per speaker on the held-out natural speaker, of a TDNN trained without any natural
    speech and of one trained with the other natural speakers.

    Notebook: 07_tdnn
    """
    from audiokit import datasets
    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets

    test = datasets.load_builtin("spoken_digits", "test")
    natural = test.subset([i for i, e in enumerate(test.column("engine")) if e == "human"])
    if tiny:
        natural = natural.subset(list(range(0, len(natural), 10)))
    out = {}
    for name, data in (("synthetic only", {"holdout_column": "engine", "test_groups": ["human"]}),
                       ("with natural speech", {})):
        changes = {f"data__{k}": v for k, v in data.items()}
        run = _tdnn_run(tiny, **changes)
        out[name] = {"held-out speaker": round(evaluate(run.last_checkpoint, natural,
                                                        device="cpu").accuracy, 3)}
        train = build_datasets(run.config.data)["train"]
        out[name]["natural clips trained on"] = sum(e == "human" for e in train.column("engine"))
    return out


EXERCISES: list[Exercise] = [
    Exercise(
        "07.1",
        question="Repeat the pooling sweep with three seeds and report mean ± std per pooling. "
                 "Does any pooling stay ahead once the spread is counted?",
        hint="Loop over `seed=` in `cfg.replace`; `np.mean` and `np.std` of the validation "
             "accuracies per pooling.",
        solve=_pooling_seeds,
        why="With short runs the seed moves validation accuracy by a point or more; a pooling "
            "'wins' only if its mean is ahead by more than the spreads. Attentive pooling (ASP) "
            "tends to help most when clips hold silence the attention can ignore.",
    ),
    Exercise(
        "07.2",
        question="How many times more parameters does the paper's x-vector TDNN "
                 "(`model__preset=None`, 512 channels) have than the tiny preset, with 40 mel "
                 "bands and 10 classes? Then train it: is it better on the test voices?",
        hint="`models.count_parameters(models.build(\"tdnn\", 10, n_features=40, preset=...))` "
             "for both presets, and divide.",
        answer=_paper_size_ratio, tolerance=0.1,
        solve=_paper_size,
        why="Width enters squared in every frame-level layer, so 4x the channels is about 10x "
            "the parameters; 0.1 accepts the ratio rounded to one decimal. More parameters also "
            "mean several times slower epochs on a CPU, for at best a point or two on these data.",
    ),
    Exercise(
        "07.3",
        question="The x-vector context is 15 frames. With the features' `hop_length` at 320 "
                 "samples (20 ms frames at 16 kHz), how long is the context in milliseconds?",
        hint="The context in frames does not change; only the time one frame stands for does.",
        answer=300.0, unit="ms", tolerance=0.5,
        solve=_context_ms,
        why="15 frames x 20 ms = 300 ms (0.5 ms accepts rounding): now about a whole short word, "
            "but each frame is coarser; train it to see whether that trade helps.",
    ),
    Exercise(
        "07.4",
        question="Train one TDNN with no natural speech at all (`data__holdout_column=\"engine\"`, "
                 "`data__test_groups=[\"human\"]`) and one with the default split. Compare them on "
                 "the held-out natural speaker: what does natural data change?",
        hint="Score both on the same clips: the test split's rows with engine `human`.",
        solve=_natural_data,
        why="A model of synthetic voices learns what synthesisers do with a word; a person's "
            "timing, coarticulation and microphone are new to it. Three natural speakers in "
            "training close much of that gap for a fourth, as the notebook's table shows.",
    ),
]
