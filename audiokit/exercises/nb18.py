"""Exercises of notebook 18: your voice at three distances, a second session, the live hop, and
a recording with silence and a noise floor around it.

Notebook: 18_record_yourself
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _silence_and_floor(tiny: bool) -> str:
    """Does the default model's answer for a shipped real "seven" change with 1 s of silence on
    each side and a -50 dBFS noise floor? "no" if the top class stays.

    Notebook: 18_record_yourself
    """
    import tempfile

    import numpy as np

    from audiokit import augment, datasets
    from audiokit.predict import Predictor
    from audiokit.train import fit, recipe

    epochs, clips = (2, 100) if tiny else (10, 0)
    run = fit(recipe("spoken_digits", epochs=epochs, data__max_train_clips=clips,
                     data__max_eval_clips=clips // 2, device="cpu" if tiny else "auto",
                     out_dir=tempfile.mkdtemp(prefix="ex18_")), progress=False)
    real = datasets.load_builtin("spoken_digits_real")
    y = real[[real.classes[lab] for lab in real.labels].index("seven")][0].numpy()
    around = np.concatenate([np.zeros(16000, np.float32), y, np.zeros(16000, np.float32)])
    around = augment.preview(around, 16000, "noise_floor", level_db=(-50.0, -50.0))
    p = Predictor(run.last_checkpoint, device="cpu")
    alone, recorded = p.predict(y, 16000, top_k=1)[0], p.predict(around, 16000, top_k=1)[0]
    print(f"alone: {alone[0]} {alone[1]:.2f} · with silence and floor: {recorded[0]} {recorded[1]:.2f}")
    return "no" if alone[0] == recorded[0] else "yes"


EXERCISES: list[Exercise] = [
    Exercise(
        "18.1",
        question="Record the same digit at three distances from the microphone and compare the RMS "
                 "level and the model's probability. Which of the four differences of section 5 "
                 "hurts the most?",
        hint="Keep everything else the same (word, voice, room); `voice_profile` prints the level.",
        needs="your microphone",
    ),
    Exercise(
        "18.2",
        question="Collect ten clips per word instead of five and compare the fine-tuned accuracy "
                 "on a second session recorded another day.",
        hint="Record the second session into another folder and evaluate the fine-tuned "
             "checkpoint on it with `evaluate(ckpt, \"folder:PATH\")`.",
        needs="your microphone",
    ),
    Exercise(
        "18.3",
        question="Run `audiokit listen` on your checkpoint in a terminal and find the hop "
                 "(`--hop`) below which your machine cannot keep up.",
        hint="Start at half a window and halve it until the printed lines fall behind your speech.",
        needs="your microphone",
    ),
    Exercise(
        "18.4",
        question="Give the Predictor the shipped real \"seven\" with 1 s of digital silence on each "
                 "side and a -50 dBFS noise floor over it, as a microphone would. Does its answer "
                 "change (yes or no)?",
        hint="`augment.preview(y, 16000, \"noise_floor\", level_db=(-50, -50))` adds the floor; "
             "compare `predictor.predict` of both.",
        answer="no", choices=("yes", "no"),
        solve=_silence_and_floor,
        why="The Predictor trims by the checkpoint's rule (40 dB below the loudest frame), which "
            "cuts the silence and a floor 50 dB down, and the recipe trained with silence and a "
            "noise floor around the words, so the model sees what it was trained on.",
    ),
]
