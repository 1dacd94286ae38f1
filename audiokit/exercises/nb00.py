"""Exercises of notebook 00: finding your way in the package and its data.

Notebook: 00_index
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _notebook_of_io_load(tiny: bool) -> str:
    """The notebook named on the ``Notebook:`` line of ``audiokit.io.load``'s docstring.

    Notebook: 00_index
    """
    import audiokit.io

    lines = [line.strip() for line in audiokit.io.load.__doc__.splitlines()]
    notebook_line = next(line for line in lines if line.startswith("Notebook:"))
    return notebook_line.removeprefix("Notebook:").strip()


def _test_voices() -> int:
    from audiokit.datasets import load_builtin

    return len(set(load_builtin("spoken_digits", "test").groups))


def _count_test_voices(tiny: bool) -> int:
    """How many voices (the ``group`` column) the spoken_digits test split holds.

    Notebook: 00_index
    """
    from audiokit.datasets import load_builtin

    test = load_builtin("spoken_digits", "test")
    train = load_builtin("spoken_digits", "train")
    shared = set(test.groups) & set(train.groups)
    print(f"{len(test)} test clips from {len(set(test.groups))} voices; "
          f"voices also in training: {len(shared)}")
    return len(set(test.groups))


def _licences(tiny: bool) -> dict[str, dict[str, int]]:
    """Clips per licence in each shipped dataset (the ``license`` column of ``metadata.csv``).

    Notebook: 00_index
    """
    from collections import Counter

    from audiokit.datasets import BUILTIN, load_builtin

    return {name: dict(Counter(load_builtin(name).column("license")).most_common())
            for name in BUILTIN}


EXERCISES: list[Exercise] = [
    Exercise(
        "00.1",
        question="Run `help(audiokit.io.load)`: which notebook does the `Notebook:` line of its "
                 "docstring point to?",
        hint="Every public function's docstring ends with a `Notebook:` line; read the end of "
             "what `help` prints.",
        answer="02_reading_and_resampling",
        aliases=("02", "02_reading_and_resampling.ipynb", "notebooks/02_reading_and_resampling.ipynb"),
        solve=_notebook_of_io_load,
        why="The `Notebook:` line is how the package and the course point at each other: from a "
            "function you find the lesson that teaches it, and the lesson calls the function.",
    ),
    Exercise(
        "00.2",
        question="How many different voices (the `group` column) does the test split of "
                 "`spoken_digits` hold?",
        hint="`datasets.load_builtin(name, split)` returns a dataset; its `groups` list has one "
             "entry per clip.",
        answer=_test_voices,
        unit="voices",
        solve=_count_test_voices,
        why="The splits are made by voice, so no test voice is heard in training: a test score "
            "says how the model does on people (and synthesisers) it has never heard, not on "
            "new clips of familiar voices.",
    ),
    Exercise(
        "00.3",
        question="Which licences cover the shipped audio? List them per dataset, with how many "
                 "clips each covers.",
        hint="Every clip's row in `metadata.csv` has a `license` column; read it with "
             "`dataset.column(\"license\")` and count with `collections.Counter`.",
        solve=_licences,
        why="The data mixes public-domain (CC0), attribution/share-alike (CC-BY, CC-BY-SA) and "
            "GPL sources: fine for learning, but a model or a dataset you publish must respect "
            "each source's terms. `data/README.md` and each dataset's README name the sources.",
    ),
]
