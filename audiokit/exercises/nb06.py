"""Exercises of notebook 06: counting accuracy, what augmentation buys, your own voice, and the
perturbation that still costs the most.

Solutions that train use short runs; ``tiny=True`` trains one epoch on a few dozen clips
(seconds; the numbers then only show that the code runs).

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _short(tiny: bool, **changes):
    """A short run of the spoken_digits recipe (tiny: one epoch, 32 clips)."""
    import tempfile

    from audiokit.train import fit, recipe

    epochs, clips = (1, 32) if tiny else (3, 600)
    cfg = recipe("spoken_digits", epochs=epochs, data__max_train_clips=clips,
                 data__max_eval_clips=clips // 2, device="cpu" if tiny else "auto",
                 out_dir=tempfile.mkdtemp(prefix="ex06_"), **changes)
    return fit(cfg, progress=False)


def _clip_vs_batch_accuracy(tiny: bool) -> dict[str, float]:
    """Validation accuracy counted over clips, and as the mean of per-batch accuracies (batches
    of 64: the last batch is smaller).

    Notebook: 06_pipeline_and_training_loop
    """
    import torch

    from audiokit import datasets
    from audiokit.train import build_datasets, build_from_checkpoint

    run = _short(tiny)
    model, fe, _ = build_from_checkpoint(run.best_checkpoint, device="cpu")
    valid = build_datasets(run.config.data)["valid"]
    correct, total, batch_acc = 0, 0, []
    with torch.no_grad():
        for waves, labels, lengths in datasets.make_loader(valid, batch_size=64, train=False,
                                                           duration=None):
            pred = model(fe(waves, lengths), fe.frame_lengths(lengths)).argmax(1)
            correct += int((pred == labels).sum())
            total += len(labels)
            batch_acc.append(float((pred == labels).float().mean()))
    return {"clips": total, "last batch": len(valid) % 64 or 64,
            "accuracy over clips": correct / total,
            "mean of batch accuracies": sum(batch_acc) / len(batch_acc)}


def _augmentation(tiny: bool) -> dict[str, dict[str, float]]:
    """Accuracy on the test split, per engine, and on the real recordings, with and without
    the recipe's augmentation.

    Notebook: 06_pipeline_and_training_loop
    """
    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets

    out = {}
    for name, changes in (("recipe", {}), ("no augmentation", {"augment": {}})):
        run = _short(tiny, **changes)
        test = build_datasets(run.config.data)["test"]
        res = evaluate(run.last_checkpoint, test, device="cpu", by="engine")
        real = evaluate(run.last_checkpoint, "spoken_digits_real", device="cpu")
        out[name] = {**{f"test {g}": round(a, 3) for g, a in res.groups.accuracy.items()},
                     "real recordings": round(real.accuracy, 3)}
    return out


def _worst_perturbation(tiny: bool) -> dict[str, float]:
    """Change in points of every default perturbation against the clean clips, worst first.

    Notebook: 06_pipeline_and_training_loop
    """
    from audiokit.robustness import robustness

    run = _short(tiny)
    rep = robustness(run.last_checkpoint, max_clips=40 if tiny else 300, device="cpu")
    return dict(sorted(((r.name, round(r.change, 1)) for r in rep.rows[1:]), key=lambda kv: kv[1]))


EXERCISES: list[Exercise] = [
    Exercise(
        "06.1",
        question="Score the validation split once by counting correct clips and once as the mean "
                 "of per-batch accuracies (batches of 64). By how much do the two differ, and why?",
        hint="Count the clips in the last batch; a mean of batch accuracies gives it the weight "
             "of a full one.",
        solve=_clip_vs_batch_accuracy,
        why="The mean of batch accuracies weights the last, smaller batch like a full one, so it "
            "moves with whatever clips happen to fall last; counting clips weights every clip "
            "once. The difference is small when the last batch is nearly full, large when it "
            "holds a handful of clips.",
    ),
    Exercise(
        "06.2",
        question="Train with `augment={}` and with the recipe's augmentation, same seed and "
                 "epochs. What does augmentation buy on the synthetic test voices, on the natural "
                 "test speaker and on the real recordings?",
        hint="`evaluate(..., by=\"engine\")` splits the test accuracy by engine; engine `human` "
             "is the speaker no run has heard.",
        solve=_augmentation,
        why="Synthetic voices are clean and regular, so augmentation buys little on them; on "
            "people, recorded with other microphones, pitches and rooms, it is most of the "
            "accuracy. Short runs on one seed are noisy: compare full runs for a verdict.",
    ),
    Exercise(
        "06.3",
        question="Record yourself saying three digits, upload them and note what the model "
                 "answers. Does speaking slower or louder change the answer?",
        hint="Use the upload widget of the notebook (or `Predictor.predict(path)`); say each "
             "digit once normally, once slowly, once loudly.",
        needs="your microphone",
    ),
    Exercise(
        "06.4",
        question="Run `robustness.robustness(run.best_checkpoint)` with every default "
                 "perturbation. Which one still costs the most, and which augmentation of "
                 "notebook 05 would you add against it?",
        hint="Sort the rows by their change against clean (`row.change`, points).",
        solve=_worst_perturbation,
        why="White noise at 10 dB SNR and the room (reverb) are usually the costliest: the recipe "
            "adds noise at 5-30 dB SNR half of the time and a room a fifth of the time; raising "
            "their probability, or adding background recordings (`AddNoise(kind=folder)`), is "
            "the direct answer. Measure it: one perturbation's gain may cost clean accuracy.",
    ),
]
