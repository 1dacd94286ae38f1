"""Exercises of notebook 16: your own recordings, how many clips, kit-held-out folds of a folder,
and what a by-file split leaks.

Solutions that train use the notebook's sizes; ``tiny=True`` writes small folders and trains one
epoch on them without augmentation (seconds; the numbers then only show that the code runs).

Notebook: 16_your_own_data
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any

from audiokit.exercises.core import Exercise, budget

__all__ = ["EXERCISES"]

GROUP_BY = "^(.+)__"  # the kit: everything before "__" in the file names to_folder writes


_budget = partial(budget, prefix="ex16_")  # the exercise's own sizes, or CI's tiny ones


def _folder(per_class: int) -> Path:
    """The notebook's training folder: ``per_class`` clips per class of the drum hits' training
    and validation kits, as ``<class>/<kit>__<n>.wav``.

    Notebook: 16_your_own_data
    """
    import tempfile

    from audiokit import datasets

    train, valid = (datasets.load_builtin("drum_hits", split=s) for s in ("train", "valid"))
    pool = datasets.AudioDataset(train.items + valid.items, train.classes,
                                 groups=train.groups + valid.groups)
    return datasets.to_folder(pool, Path(tempfile.mkdtemp(prefix="ex16_")) / "my_drums",
                              per_class=per_class)


def _test_folder(per_class: int = 0) -> Path:
    """The notebook's test folder: the drum hits' test kits (``per_class`` clips per class, 0 all).

    Notebook: 16_your_own_data
    """
    import tempfile

    from audiokit import datasets

    return datasets.to_folder(datasets.load_builtin("drum_hits", split="test"),
                              Path(tempfile.mkdtemp(prefix="ex16_")) / "my_drums_test",
                              per_class=per_class)


def _clips_per_class(tiny: bool) -> dict[int, float]:
    """Accuracy on the test folder's kits of the drum recipe trained on folders of 10, 30 and 60
    clips per class (kits grouped by ``data__group_by``).

    Notebook: 16_your_own_data
    """
    from audiokit.evaluate import evaluate
    from audiokit.train import fit, recipe

    sizes, test = ((4,), _test_folder(4)) if tiny else ((10, 30, 60), _test_folder())
    result = {}
    for n in sizes:
        cfg = recipe("drum_hits", data__spec=f"folder:{_folder(n)}", data__group_by=GROUP_BY,
                     **_budget(tiny, epochs=20))
        run = fit(cfg, progress=False)
        result[n] = round(evaluate(run.best_checkpoint, f"folder:{test}").accuracy, 3)
    return result


def _kit_folds(tiny: bool) -> dict[str, Any]:
    """Kit-held-out k-fold of the notebook's folder: each fold's training clips go to a list file,
    trained with the drum recipe, tested on the fold's held-out kits.

    Notebook: 16_your_own_data
    """
    import tempfile

    import numpy as np

    from audiokit import datasets
    from audiokit.evaluate import evaluate
    from audiokit.train import fit, recipe

    per_class, k = (6, 2) if tiny else (60, 4)
    ds = datasets.from_folder(_folder(per_class))
    accs = []
    for i, (train, test) in enumerate(datasets.kfold_by_group(
            ds, k=k, groups=lambda path: Path(path).stem.split("__")[0])):
        listed = datasets.to_list(train, Path(tempfile.mkdtemp(prefix="ex16_")) / f"fold{i}.tsv")
        cfg = recipe("drum_hits", data__spec=f"list:{listed}", data__group_by=GROUP_BY,
                     **_budget(tiny, epochs=20))
        accs.append(evaluate(fit(cfg, progress=False).best_checkpoint, test).accuracy)
    return {"folds": [round(a, 3) for a in accs], "mean": round(float(np.mean(accs)), 3),
            "std": round(float(np.std(accs, ddof=1)), 3)}


@cache
def _shared_kits() -> int:
    """Kits of fit's validation split that also have clips in its training split, for the
    notebook's folder (60 clips per class) split by file (the default).

    Notebook: 16_your_own_data
    """
    from audiokit.train import build_datasets, recipe

    splits = build_datasets(recipe("drum_hits", data__spec=f"folder:{_folder(60)}").data)
    kits = {s: {Path(p).stem.split("__")[0] for p in splits[s].paths} for s in ("train", "valid")}
    return len(kits["train"] & kits["valid"])


def _leak(tiny: bool) -> int:
    """The number of shared kits; then (tiny: a one-epoch sketch) the best validation and the
    test-folder accuracy of the drum recipe split by file and split by kit.

    Notebook: 16_your_own_data
    """
    from audiokit.evaluate import evaluate
    from audiokit.train import fit, recipe

    shared = _shared_kits()
    root, test = (_folder(6), _test_folder(4)) if tiny else (_folder(60), _test_folder())
    splits = [("by file", ""), ("by kit", GROUP_BY)]
    for name, group_by in splits[:1] if tiny else splits:  # CI: one run shows the code works
        cfg = recipe("drum_hits", data__spec=f"folder:{root}", data__group_by=group_by,
                     **_budget(tiny, epochs=20))
        run = fit(cfg, progress=False)
        print(f"{name}: best validation accuracy {max(h['valid_acc'] for h in run.history):.3f}, "
              f"test folder {evaluate(run.best_checkpoint, f'folder:{test}').accuracy:.3f}")
    return shared


EXERCISES: list[Exercise] = [
    Exercise(
        "16.1",
        question="Record 20 clips each of three sounds of your own and train on the folder: how many "
                 "clips per class do you need before the validation accuracy stops jumping?",
        hint="start from a small number of clips per class and add more, keeping the same sessions "
             "in validation; watch `run.plot_history()`.",
        needs="your own recordings",
    ),
    Exercise(
        "16.2",
        question="Set clips_per_class to 10, 30 and 60 and plot held-out-kit accuracy against the "
                 "number of clips.",
        hint="write one folder per size with `datasets.to_folder(pool, ..., per_class=n)` and train "
             "each with the same recipe, seed and `data__group_by`.",
        solve=_clips_per_class,
        why="More clips per class means more kits and more variety per class, so accuracy on unheard "
            "kits usually rises steeply at first and then flattens. With a few dozen test kits and "
            "one seed each point is noisy: a dip between two sizes is not evidence, the trend over "
            "several sizes is.",
    ),
    Exercise(
        "16.3",
        question="Build four kit-held-out folds of the folder with `datasets.kfold_by_group` and "
                 "report the mean ± standard deviation of the accuracy.",
        hint="write each fold's training clips to a list file (`datasets.to_list`), train on "
             "`\"list:\" + path` with `data__group_by` for its validation kits, and evaluate on the "
             "fold's held-out clips.",
        solve=_kit_folds,
        why="Each fold tests different kits, so the folds' accuracies spread by many points: that "
            "spread is how much one held-out split can mislead. Report the mean with it; compare "
            "with the single test-folder score of the notebook, which is one sample of the same "
            "question.",
    ),
    Exercise(
        "16.4",
        question="With the default by-file split, how many of the kits in fit's validation split "
                 "also have clips in its training split (the folder built with the default "
                 "parameters)?",
        hint="`build_datasets(recipe(\"drum_hits\", data__spec=\"folder:\" + str(root)).data)` gives "
             "the splits without training; compare the kit sets of `\"train\"` and `\"valid\"`.",
        answer=_shared_kits,
        unit="kits",
        solve=_leak,
        why="Split by file, nearly every validation kit also trains, so the model is validated on "
            "sounds it has heard and the validation accuracy is optimistic, while the test-folder "
            "accuracy (other kits) does not rise with it. With `data__group_by` no kit is on both "
            "sides and validation measures the same thing as the test folder.",
    ),
]
