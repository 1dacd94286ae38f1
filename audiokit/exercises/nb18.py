"""Exercises of notebook 18: your voice at three distances, a second session, the live hop, and
a recording with silence and a noise floor around it.

Notebook: 18_record_yourself
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _silence_and_floor(tiny: bool) -> int:
    """How many of the 20 shipped real digits, with 1 s of digital silence on each side and a
    -50 dBFS noise floor over the whole clip, does the digits' trimming rule leave longer than
    2 s? (No model is trained: ``tiny`` changes nothing.)

    Notebook: 18_record_yourself
    """
    import numpy as np

    from audiokit import augment, datasets, preprocess

    rule = datasets.TRIM_RULES["spoken_digits"]
    real = datasets.load_builtin("spoken_digits_real")
    kept = []
    for i in range(len(real)):
        y = real[i][0].numpy()
        silence = np.zeros(16000, np.float32)
        around = augment.preview(np.concatenate([silence, y, silence]), 16000, "noise_floor",
                                 level_db=(-50.0, -50.0))
        kept.append(len(preprocess.trim_view(around, 16000, rule)) / 16000)
        print(f"{real.classes[real.labels[i]]:6s} {len(y) / 16000:.2f} s alone -> "
              f"{len(around) / 16000:.2f} s recorded -> {kept[-1]:.2f} s after the trim")
    return int(sum(k > 2.0 for k in kept))


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
        question="Put 1 s of digital silence on each side of each of the 20 shipped real digits "
                 "and a -50 dBFS noise floor over the whole clip, as a microphone would. For how "
                 "many does the digits' trimming rule leave more than 2 s?",
        hint="`augment.preview(clip, 16000, \"noise_floor\", level_db=(-50, -50))` adds the "
             "floor; `preprocess.trim_view(clip, 16000, datasets.TRIM_RULES[\"spoken_digits\"])` "
             "cuts it as the Predictor does.",
        answer=7, unit="clips",
        solve=_silence_and_floor,
        why="The rule keeps every frame within 40 dB of the loudest *frame*, and a word that "
            "peaks at -1 dBFS has its loudest frame 7-12 dB lower: a -50 dBFS floor lies "
            "38-43 dB under it, right on the line. Seven of the twenty keep their whole 2.5 s, "
            "so the model hears a second of noise either side of the word, more than its "
            "training clips had (0.4 s before, 0.7 s after at most); with the floor, the default "
            "models of seeds 0, 1 and 2 changed their answer on 2, 1 and 1 of the 20. The louder "
            "you speak (the closer to the microphone), the further under your word the room lies.",
    ),
]
