"""Exercises of notebook 05: leakage on the drums, real background noise, which transforms
commute, and the band edge of natural speech.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _drum_leakage(tiny: bool) -> dict[str, float]:
    """1-nearest-neighbour accuracy on clip statistics (mean and std of log-mel) of the drum
    hits, split 80/20 at random and by kit.

    Notebook: 05_datasets_and_augmentation
    """
    import numpy as np
    import torch
    from sklearn.neighbors import KNeighborsClassifier

    from audiokit import datasets
    from audiokit.features import FeatureExtractor

    full = datasets.load_builtin("drum_hits")
    if tiny:
        full = full.subset(list(range(0, len(full), 12)))
    fe = FeatureExtractor("log_mel", n_mels=64)

    def stats(ds):
        waves, labels, lengths = datasets.Collate(mode="full")([ds[i] for i in range(len(ds))])
        with torch.no_grad():
            feats, frames = fe(waves, lengths), fe.frame_lengths(lengths)
        valid = (torch.arange(feats.shape[1])[None, :] < frames[:, None]).float()[..., None]
        mean = (feats * valid).sum(1) / valid.sum(1)
        std = (((feats - mean[:, None]) ** 2 * valid).sum(1) / valid.sum(1)).sqrt()
        return torch.cat([mean, std], 1).numpy(), labels.numpy()

    perm = np.random.default_rng(0).permutation(len(full))
    cut = int(0.8 * len(full))
    splits = {"random": (full.subset(perm[:cut]), full.subset(perm[cut:])),
              "by kit": datasets.split_by_group(full, fractions=(0.8, 0.2), seed=0)}
    scores = {}
    for name, (train, test) in splits.items():
        (xa, ya), (xb, yb) = stats(train), stats(test)
        scores[name] = round(float(KNeighborsClassifier(1).fit(xa, ya).score(xb, yb)), 3)
    return scores


def _noise_from_drums(tiny: bool) -> float:
    """SNR in dB of a digit mixed with drum hits by ``AddNoise(kind=folder)`` at 5 dB.

    Notebook: 05_datasets_and_augmentation
    """
    import tempfile
    from pathlib import Path

    import numpy as np
    import torch

    from audiokit import augment, datasets, io

    folder = Path(tempfile.mkdtemp(prefix="drum_noise_"))
    drums = datasets.load_builtin("drum_hits", "test")
    for i in range(0, 15, 5):
        io.save(folder / f"hit{i}.wav", drums[i][0].numpy(), 16000)
    digit = datasets.load_builtin("spoken_digits", "test")[0][0][None]
    n = torch.tensor([digit.shape[1]])
    noisy, _ = augment.AddNoise((5.0, 5.0), kind=folder, p=1.0, seed=0)(digit, n)
    noise = (noisy - digit).numpy()[0]
    return round(float(10 * np.log10(np.mean(digit.numpy() ** 2) / np.mean(noise ** 2))), 2)


def _gain_and_speed_commute(tiny: bool) -> str:
    """Gain then SpeedPerturb vs SpeedPerturb then Gain on one batch, same seeds: "yes" if the
    outputs agree to float32 rounding.

    Notebook: 05_datasets_and_augmentation
    """
    import torch

    from audiokit import augment, datasets

    x = datasets.load_builtin("spoken_digits", "test")[0][0][None]
    n = torch.tensor([x.shape[1]])

    def chain(order: str) -> torch.Tensor:
        gain = augment.Gain(-12, -12, p=1.0, seed=1)
        speed = augment.SpeedPerturb((1.2,), p=1.0, seed=2)
        steps = [gain, speed] if order == "gain first" else [speed, gain]
        return augment.Compose(steps)(x, n)[0]

    diff = float((chain("gain first") - chain("speed first")).abs().max())
    print(f"largest difference: {diff:.2e} (the clip's peak: {float(x.abs().max()):.2f})")
    return "yes" if diff < 1e-6 else "no"


def _band_edge(tiny: bool) -> str:
    """The engine whose clips hold the least power above 4.1 kHz (lessons.voices_demo).

    Notebook: 05_datasets_and_augmentation
    """
    from audiokit import lessons

    demo = lessons.voices_demo("seven", per_engine=4 if tiny else 20)
    for engine, db in demo["above_4k_db"].items():
        print(f"{engine:10s} power above 4.1 kHz: {db:6.1f} dB of the total")
    return min(demo["above_4k_db"], key=demo["above_4k_db"].get)


EXERCISES: list[Exercise] = [
    Exercise(
        "05.1",
        question="Repeat the leakage experiment on `drum_hits` with the kit as the group. Is the "
                 "gap between the random and the grouped split larger or smaller than for the "
                 "spoken digits, and why?",
        hint="Reuse `clip_statistics` and the 1-nearest-neighbour classifier; the groups of "
             "`load_builtin(\"drum_hits\")` are the kits, so `split_by_group` needs no `groups=`.",
        solve=_drum_leakage,
        why="Hits from one kit are near-copies of each other (the same sample played at other "
            "velocities, or the same synthesis patch): a random split puts a near-twin of almost "
            "every test hit in training, so the random score is flattered at least as much as "
            "with voices.",
    ),
    Exercise(
        "05.2",
        question="Save three drum hits into a temporary folder and give it to `AddNoise` as "
                 "`kind=`, at a pinned 5 dB SNR. Measure the SNR of the result (the clip's power "
                 "over the power of what was added). How many dB is it?",
        hint="The added part is `noisy - clean`; the SNR is 10 log10 of the ratio of mean "
             "squares.",
        answer=5.0, unit="dB", tolerance=0.1,
        solve=_noise_from_drums,
        why="AddNoise scales each excerpt so that the SNR over the clip's true samples is the one "
            "drawn; 0.1 dB covers float32 rounding. Listen to it: at 5 dB the word is still "
            "clear, and drums are a background a model can learn to ignore.",
    ),
    Exercise(
        "05.3",
        question="Put `Gain` before `SpeedPerturb` in a `Compose`, then after it, with the same "
                 "seeds. Is the output the same (yes or no)?",
        hint="Each transform has its own seeded generator; ask whether scaling commutes with "
             "interpolating between samples.",
        answer="yes", choices=("yes", "no"),
        solve=_gain_and_speed_commute,
        why="Both are linear: resampling by linear interpolation of a scaled clip is the scaled "
            "resampled clip. NoiseFloor and Gain do not commute (the floor is an absolute level "
            "that gain would scale), nor do placement and reverb (the tail needs the silence).",
    ),
    Exercise(
        "05.4",
        question="Which engine of `spoken_digits` (espeak-ng, flite, festival or human) holds "
                 "the least power above 4 kHz, and what does that mean for a model?",
        hint="`lessons.voices_demo` returns `above_4k_db` per engine; think about the rate the "
             "recordings were made at.",
        answer="human", choices=("espeak-ng", "flite", "festival", "human"),
        solve=_band_edge,
        why="The FSDD speakers were recorded at 8 kHz, so nothing above 4 kHz exists: a model "
            "that sees the full band can learn 'empty top band = a person' instead of the word. "
            "The default recipe's features stop below 4 kHz, as telephone speech does.",
    ),
]
