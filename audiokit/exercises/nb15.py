"""Exercises of notebook 15: how the Predictor cuts windows, window and hop against decoding, a
background class against a threshold, and threads against batch size.

Solutions that train use the notebook's sizes; ``tiny=True`` trains one epoch on 20 clips
without augmentation and times fewer repeats (seconds; the numbers then only show that the code
runs).

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

from functools import partial
from typing import Any

from audiokit.exercises.core import Exercise, budget

__all__ = ["EXERCISES"]

_CHECKPOINTS: dict[bool, Any] = {}


_budget = partial(budget, prefix="ex15_")  # the exercise's own sizes, or CI's tiny ones


def _checkpoint(tiny: bool):
    """The notebook's model to deploy (TDNN tiny on the spoken digits, 8 epochs), trained once per
    session and shared by the exercises.

    Notebook: 15_inference_and_deployment
    """
    from audiokit.train import fit, recipe

    if tiny not in _CHECKPOINTS:
        _CHECKPOINTS[tiny] = fit(recipe("spoken_digits", **_budget(tiny, epochs=8)),
                                 progress=False).best_checkpoint
    return _CHECKPOINTS[tiny]


def _n_windows() -> int:
    """Windows of 1.0 s every 0.25 s that ``frame_windows`` cuts from 10.3 s at 16 kHz.

    Notebook: 15_inference_and_deployment
    """
    from audiokit.predict import frame_windows

    return len(frame_windows(round(10.3 * 16000), 16000, 4000))


def _windows(tiny: bool) -> int:
    """The number of windows by the rule, confirmed with a Predictor's timeline of 10.3 s of
    noise (no trimming, so the whole input is scored).

    Notebook: 15_inference_and_deployment
    """
    from audiokit import signals
    from audiokit.predict import Predictor

    predictor = Predictor(_checkpoint(tiny), device="cpu", window_s=1.0, hop_s=0.25, trim=None)
    times, _ = predictor.timeline(signals.noise(10.3, 16000, amplitude=0.05, seed=0), sr=16000)
    assert len(times) == _n_windows()
    return len(times)


def _long_recording(n_digits: int, seed: int = 0):
    """Held-out digits separated by 0.6-1.2 s of silence, with a little noise: the samples, the
    rate and the true (start s, label) events.

    Notebook: 15_inference_and_deployment
    """
    import numpy as np

    from audiokit import datasets, signals

    test = datasets.load_builtin("spoken_digits", split="test")
    rng = np.random.default_rng(seed)
    sr, pieces, events = test.sample_rate, [], []
    for i in rng.choice(len(test), n_digits, replace=False):
        pieces.append(np.zeros(int(rng.uniform(0.6, 1.2) * sr), np.float32))
        events.append((sum(len(p) for p in pieces) / sr, test.classes[test.labels[int(i)]]))
        pieces.append(test[int(i)][0].numpy())
    y = np.concatenate(pieces + [np.zeros(sr // 2, np.float32)])
    return y + signals.noise(len(y) / sr, sr, amplitude=0.003).astype(np.float32), sr, events


def _window_and_hop(tiny: bool) -> dict[str, list[str]]:
    """The decoded label sequence (repeats merged, below-threshold windows dropped) for each
    window and hop, with the true sequence first.

    Notebook: 15_inference_and_deployment
    """
    from audiokit.predict import Predictor
    from audiokit.streaming import decode_events

    y, sr, events = _long_recording(3 if tiny else 5)
    result = {"true": [label for _, label in events]}
    for window_s, hop_s in [(0.5, 0.1), (0.5, 0.5), (1.0, 0.25), (2.0, 0.1), (2.0, 0.5)]:
        predictor = Predictor(_checkpoint(tiny), device="cpu", window_s=window_s, hop_s=hop_s)
        times, probs = predictor.timeline(y, sr=sr)
        decoded = decode_events(times, probs, predictor.classes, threshold=0.5)
        result[f"window {window_s} s, hop {hop_s} s"] = [name for _, name in decoded if name != "-"]
    return result


def _background_class(tiny: bool) -> dict[str, float]:
    """Share of test drum hits rejected by a threshold on the digit model (kept 95 % of the
    validation digits) and by a model trained with a ``background`` class (noise and training
    drum hits).

    Notebook: 15_inference_and_deployment
    """
    import tempfile
    from pathlib import Path

    import numpy as np

    from audiokit import datasets, io, signals
    from audiokit.predict import Predictor
    from audiokit.train import fit, recipe

    n_digits, n_background, n_scored = (2, 10, 20) if tiny else (60, 300, 0)
    root = datasets.to_folder(datasets.load_builtin("spoken_digits", split="train"),
                              Path(tempfile.mkdtemp(prefix="ex15_bg_")) / "digits_and_background",
                              per_class=n_digits)
    drums_train = datasets.load_builtin("drum_hits", split="train")
    rng = np.random.default_rng(0)
    for n, i in enumerate(rng.permutation(len(drums_train))[: n_background // 2]):
        io.save(root / "background" / f"drum_{n:03d}.wav", drums_train[int(i)][0].numpy(), 16000)
    for n in range(n_background // 2):
        noise = signals.noise(1.0, 16000, amplitude=float(rng.uniform(0.005, 0.2)),
                              color=("white", "pink")[n % 2], seed=n)
        io.save(root / "background" / f"noise_{n:03d}.wav", noise, 16000)
    run = fit(recipe("spoken_digits", data__spec=f"folder:{root}", **_budget(tiny, epochs=8)),
              progress=False)
    drums = datasets.load_builtin("drum_hits", split="test").paths
    drums = drums[:n_scored] if n_scored else drums
    valid = datasets.load_builtin("spoken_digits", split="valid").paths
    digits = Predictor(_checkpoint(tiny), device="cpu")
    top = np.array([p[0][1] for p in digits.predict_many(valid[:n_scored] if n_scored else valid,
                                                         top_k=1)])
    threshold = float(np.quantile(top, 0.05))
    drum_top = np.array([p[0][1] for p in digits.predict_many(drums, top_k=1)])
    with_background = Predictor(run.best_checkpoint, device="cpu")
    labels = [p[0][0] for p in with_background.predict_many(drums, top_k=1)]
    return {"threshold": round(threshold, 3),
            "rejected by the threshold": round(float(np.mean(drum_top < threshold)), 3),
            "called background": round(float(np.mean([lab == "background" for lab in labels])), 3)}


def _threads(tiny: bool) -> dict[str, float]:
    """Milliseconds per call of PyTorch and onnxruntime with one thread and with every core, at
    batch 1 and batch 64 (1-s clips).

    Notebook: 15_inference_and_deployment
    """
    import os
    import tempfile
    from pathlib import Path

    import numpy as np
    import torch

    from audiokit.predict import Predictor, WaveformClassifier, export
    from audiokit.profiling import time_call

    predictor = Predictor(_checkpoint(tiny), device="cpu")
    model = WaveformClassifier(predictor.extractor, predictor.model).eval()
    cores, repeats = os.cpu_count() or 1, 1 if tiny else 10
    batches = {n: np.random.default_rng(0).standard_normal((n, 16000)).astype(np.float32) * 0.1
               for n in (1, 4 if tiny else 64)}
    runtimes = {}
    for threads in sorted({1, cores}):
        runtimes[f"pytorch, {threads} thread(s)"] = (threads, lambda x: model(torch.from_numpy(x)))
    try:
        if tiny:  # CI: the ONNX export takes longer than the rest; notebook 15 itself runs it
            raise ImportError("skipped when tiny")
        import onnxruntime as ort

        path = export(_checkpoint(tiny), Path(tempfile.mkdtemp(prefix="ex15_onnx_")) / "model.onnx")
        for threads in sorted({1, cores}):
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            runtimes[f"onnxruntime, {threads} thread(s)"] = (
                threads, lambda x, s=session: s.run(["logits"], {"waveforms": x}))
    except ImportError as err:
        print(f"onnxruntime or the ONNX exporter is missing ({err}): PyTorch only")
    result, before = {}, torch.get_num_threads()
    try:
        with torch.inference_mode():
            for name, (threads, fn) in runtimes.items():
                torch.set_num_threads(threads)
                for n, x in batches.items():
                    result[f"{name}, batch {n}"] = round(
                        1000 * time_call(lambda fn=fn, x=x: fn(x), repeats=repeats), 2)
    finally:
        torch.set_num_threads(before)
    return result


EXERCISES: list[Exercise] = [
    Exercise(
        "15.1",
        question="How many windows does the Predictor cut a 10.3-s recording into with window_s=1.0 "
                 "and hop_s=0.25 (16 kHz)?",
        hint="full windows start every hop while they fit; read the docstring of `frame_windows` "
             "for what happens to the few samples left at the end.",
        answer=_n_windows,
        unit="windows",
        solve=_windows,
        why="Full windows start at 0, 0.25, ... s as long as they end inside the input. The rest "
            "after the last full window is short (less than half a hop), so that window grows to "
            "the end instead of adding one more window aligned to the end.",
    ),
    Exercise(
        "15.2",
        question="Change window_s to 0.5 and 2.0 and hop_s to 0.1 and 0.5: which setting decodes the "
                 "digit sequence best, and why does a window much longer than a word hurt?",
        hint="build one `Predictor` per setting, decode `predictor.timeline(long_path)` with "
             "`decode_events` and the threshold, and compare the sequence of labels with the true "
             "events.",
        solve=_window_and_hop,
        why="A window about as long as the training crop (1 s) sees one word at a time. A 0.5-s "
            "window sees only part of a word and flickers between classes; a 2-s window holds a "
            "word and its neighbour or long silence, so it merges or misses words. A short hop "
            "gives more windows per word (smoother, more compute); a long hop can skip a word.",
    ),
    Exercise(
        "15.3",
        question="Train with an explicit background class (noise and training drum hits) and "
                 "compare its rejection of test drum hits with the threshold.",
        hint="use drum hits from the training split for the background class and score those of "
             "the test split, so the model is judged on drums it never heard.",
        solve=_background_class,
        why="A background class turns rejection into something the model learns from examples, so "
            "it usually rejects far more unseen drum hits than a confidence threshold, which a "
            "model can pass while confidently wrong. Its limit is the same as any class: sounds "
            "unlike the background examples (a dog, music) are still forced into some class.",
    ),
    Exercise(
        "15.4",
        question="Time onnxruntime and PyTorch with one thread and with every core, at batch 1 and "
                 "batch 64. Which runtime wins at batch 1, which at batch 64?",
        hint="time each call with `audiokit.profiling.time_call`; more threads only pay when there "
             "is enough work per call to share.",
        solve=_threads,
        why="At batch 1 the work per call is small, so fixed overheads dominate: onnxruntime's "
            "lean graph usually wins and extra threads help little or even hurt. At batch 64 "
            "there is enough work to share, so threads pay off in both runtimes and the gap "
            "narrows. On a busy machine more threads can be slower: measure where you deploy.",
    ),
]
