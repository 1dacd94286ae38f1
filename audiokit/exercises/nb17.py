"""Exercises of notebook 17: how many target clips before pretraining stops paying, the options
for large backbones, pretraining on another kind of sound, and what fine-tuning re-initialises.

Solutions that train use the notebook's sizes; ``tiny=True`` pretrains and fine-tunes for one
epoch on a few clips without augmentation (seconds; the numbers then only show that the code
runs).

Notebook: 17_transfer_learning
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]

SOURCE = ["zero", "one", "two", "three", "four"]
TARGET = ["five", "six", "seven", "eight", "nine"]
NO_SPLIT = {"data__valid_fraction": 0.0, "data__test_fraction": 0.0}
_PRETRAINED: dict[tuple[str, bool], Path] = {}


def _work() -> Path:
    """A fresh folder for one solution's list files and runs.

    Notebook: 17_transfer_learning
    """
    import tempfile

    return Path(tempfile.mkdtemp(prefix="ex17_"))


def _pretrained(tiny: bool, task: str = "spoken_digits") -> Path:
    """The last checkpoint of a network pretrained on the source task: the words zero ... four
    (the notebook's pretraining, 8 epochs) or the drum hits (the drum recipe, 8 epochs); trained
    once per session.

    Notebook: 17_transfer_learning
    """
    from audiokit import datasets as D
    from audiokit.train import fit, recipe

    if (task, tiny) not in _PRETRAINED:
        work = _work()
        size = {"epochs": 1, "data__max_train_clips": 20, "augment": {}} if tiny else {"epochs": 8}
        if task == "spoken_digits":
            spec = D.to_list(D.load_builtin("spoken_digits", split="train"), work / "source.tsv",
                             classes=SOURCE)
            cfg = recipe(task, data__spec=f"list:{spec}", out_dir=str(work / "pretrain"),
                         **NO_SPLIT, **size)
        else:
            cfg = recipe(task, out_dir=str(work / "pretrain"), data__max_eval_clips=20 if tiny else 0,
                         **size)
        _PRETRAINED[task, tiny] = fit(cfg, progress=False, device="cpu" if tiny else None).last_checkpoint
    return _PRETRAINED[task, tiny]


def _test_set(tiny: bool):
    """The target test set: the test speakers' five ... nine (5 clips per word when tiny).

    Notebook: 17_transfer_learning
    """
    from audiokit import datasets as D

    return D.from_list(D.to_list(D.load_builtin("spoken_digits", split="test"),
                                 _work() / "target_test.tsv", classes=TARGET,
                                 per_class=5 if tiny else 0))


def _methods(tiny: bool, per_class: int, seed: int, test, only: str = "",
             **finetune: Any) -> dict[str, float]:
    """Test accuracy of training from scratch, fine-tuning (with ``finetune`` options) and the
    linear probe (or ``only`` one of them), on the same ``per_class`` target clips drawn with
    ``seed``.

    Notebook: 17_transfer_learning
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from audiokit import datasets as D
    from audiokit.evaluate import embeddings, evaluate
    from audiokit.train import fit, recipe

    work, pretrained = _work(), _pretrained(tiny)
    listed = D.to_list(D.load_builtin("spoken_digits", split="train"), work / "target.tsv",
                       classes=TARGET, per_class=per_class, seed=seed)
    target = dict(epochs=1 if tiny else 20, batch_size=8, seed=seed, data__spec=f"list:{listed}",
                  augment={}, **NO_SPLIT)
    device, result = ("cpu" if tiny else None), {}
    if only in ("", "from scratch"):
        scratch = fit(recipe("spoken_digits", out_dir=str(work / "scratch"), **target),
                      progress=False, device=device)
        result["from scratch"] = evaluate(scratch.last_checkpoint, test).accuracy
    if only in ("", "fine-tuned"):
        tuned = fit(recipe("spoken_digits", init_from=str(pretrained), out_dir=str(work / "tuned"),
                           **target, **finetune), progress=False, device=device)
        result["fine-tuned"] = evaluate(tuned.last_checkpoint, test).accuracy
    if only in ("", "linear probe"):
        x_train, y_train = embeddings(pretrained, D.from_list(listed), device=device or "auto")
        x_test, y_test = embeddings(pretrained, test, device=device or "auto")
        probe = LogisticRegression(max_iter=2000).fit(x_train, y_train)
        result["linear probe"] = float(np.mean(probe.predict(x_test) == y_test))
    return result


def _clips_curve(tiny: bool) -> dict[int, dict[str, float]]:
    """Mean test accuracy over seeds of the three methods for 1, 3, 10 and 30 clips per word.

    Notebook: 17_transfer_learning
    """
    import numpy as np

    sizes, seeds = ((1,), (0,)) if tiny else ((1, 3, 10, 30), (0, 1, 2))
    test, result = _test_set(tiny), {}
    for n in sizes:
        runs = [_methods(tiny, n, seed, test) for seed in seeds]
        result[n] = {k: round(float(np.mean([r[k] for r in runs])), 3) for k in runs[0]}
    return result


def _large_backbone_options(tiny: bool) -> dict[str, float]:
    """Mean test accuracy over seeds with one clip per word: plain fine-tuning, with the backbone
    frozen for 5 epochs, and with the backbone learning 10 times slower.

    Notebook: 17_transfer_learning
    """
    import numpy as np

    seeds = (0,) if tiny else (0, 1, 2)
    options = {"plain": {}, "freeze_backbone_epochs=5": {"freeze_backbone_epochs": 1 if tiny else 5},
               "backbone_lr_scale=0.1": {"backbone_lr_scale": 0.1}}
    if tiny:  # CI: one option shows that the code runs
        options = {"freeze_backbone_epochs=5": options["freeze_backbone_epochs=5"]}
    test = _test_set(tiny)
    return {name: round(float(np.mean([_methods(tiny, 1, seed, test, only="fine-tuned", **kw)
                                       ["fine-tuned"] for seed in seeds])), 3)
            for name, kw in options.items()}


def _drum_pretraining(tiny: bool) -> dict[str, float]:
    """Linear-probe test accuracy on the target words (2 clips per word, mean over seeds) with the
    embeddings of a network pretrained on the source words and of one pretrained on the drums.

    Notebook: 17_transfer_learning
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from audiokit import datasets as D
    from audiokit.evaluate import embeddings

    seeds, test = ((0,) if tiny else (0, 1, 2)), _test_set(tiny)
    device = "cpu" if tiny else "auto"
    result = {}
    for task in ("spoken_digits", "drum_hits"):
        pretrained, accs = _pretrained(tiny, task), []
        for seed in seeds:
            listed = D.to_list(D.load_builtin("spoken_digits", split="train"), _work() / "t.tsv",
                               classes=TARGET, per_class=2, seed=seed)
            x_train, y_train = embeddings(pretrained, D.from_list(listed), device=device)
            x_test, y_test = embeddings(pretrained, test, device=device)
            probe = LogisticRegression(max_iter=2000).fit(x_train, y_train)
            accs.append(float(np.mean(probe.predict(x_test) == y_test)))
        result[f"pretrained on {task}"] = round(float(np.mean(accs)), 3)
    return result


def _head_share() -> float:
    """Percentage of the tiny TDNN's parameters (5 target words) in its classifier head.

    Notebook: 17_transfer_learning
    """
    from audiokit import models
    from audiokit.features import FeatureExtractor
    from audiokit.train import recipe

    n_features = FeatureExtractor(**recipe("spoken_digits").features).n_features
    model = models.build("tdnn", len(TARGET), n_features=n_features, preset="tiny")
    return 100 * models.count_parameters(model.classifier) / models.count_parameters(model)


def _reinitialised(tiny: bool) -> float:
    """The head's share in %, rounded to two decimals, after a look at which layers a
    fine-tuning run re-initialises.

    Notebook: 17_transfer_learning
    """
    from audiokit import models
    from audiokit.features import FeatureExtractor
    from audiokit.train import recipe

    n_features = FeatureExtractor(**recipe("spoken_digits").features).n_features
    model = models.build("tdnn", len(TARGET), n_features=n_features, preset="tiny")
    print("re-initialised on new classes:", [n for n, _ in model.named_parameters()
                                            if n.startswith("classifier.")])
    print(f"{models.count_parameters(model.classifier):,} of {models.count_parameters(model):,} "
          "parameters")
    return round(_head_share(), 2)


EXERCISES: list[Exercise] = [
    Exercise(
        "17.1",
        question="Vary clips_per_class (1, 3, 10, 30) and plot the three methods' mean accuracy "
                 "against it. Where does training from scratch catch up with fine-tuning?",
        hint="wrap the comparison loop in a loop over `clips_per_class`; keep the seeds, so each "
             "size gives all three methods the same clips.",
        solve=_clips_curve,
        why="With one to a few clips per word, pretraining gives a large head start and the linear "
            "probe is close to fine-tuning. As clips are added, training from scratch learns the "
            "task itself and the gap shrinks; with a few dozen clips per word it is within the "
            "spread over seeds on these easy synthetic words. On harder data the crossover comes "
            "much later.",
    ),
    Exercise(
        "17.2",
        question="Fine-tune with freeze_backbone_epochs=5 and, separately, with "
                 "backbone_lr_scale=0.1, with one clip per class. Which helps more, and why would it "
                 "matter more for CNN14 than for the tiny TDNN?",
        hint="pass each option to `recipe(..., init_from=str(pretrained), ...)` and compare with "
             "plain fine-tuning on the same clips and seeds.",
        solve=_large_backbone_options,
        why="Both protect the pretrained layers from the large, noisy gradients of a freshly "
            "initialised head. With one clip per word and a tiny TDNN the differences are small "
            "and within the spread over seeds. A network as large as CNN14 has far more weights "
            "to overfit five clips with and far more to lose, so keeping the backbone fixed or "
            "slow matters much more there.",
    ),
    Exercise(
        "17.3",
        question="Pretrain on drum_hits instead and transfer to the digits. Does pretraining on a "
                 "different kind of sound still help, or hurt? Compare the linear probes.",
        hint="the drum network has its own features (`init_from` and `embeddings` take them from "
             "its checkpoint); train the probe on the same target clips for both networks.",
        solve=_drum_pretraining,
        why="A network trained to tell drum hits apart learns spectral shape and onsets, not the "
            "formant patterns that separate words, so its embedding separates the target words "
            "far less well than the speech-pretrained one, though usually better than chance: "
            "transfer works best from a related task, which is why AudioSet (every kind of "
            "sound) is the usual source.",
    ),
    Exercise(
        "17.4",
        question="What share of the tiny TDNN's parameters does fine-tuning from the pretrained "
                 "network re-initialise on the target words, in %?",
        hint="fine-tuning keeps every weight except a classifier head whose classes differ; count "
             "the parameters of `model.classifier` and of the whole model.",
        answer=_head_share,
        unit="%",
        tolerance=0.01,
        solve=_reinitialised,
        why="Only the final linear layer (embedding → classes) is new; everything that turns "
            "features into an embedding is kept, which is why a few clips are enough to fit it. "
            "Tolerance 0.01: the share rounded to two decimals.",
    ),
]
