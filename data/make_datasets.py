#!/usr/bin/env python
"""Build the three small datasets that ship with audiokit (maintainer tool).

The audio this script writes is committed to the repository; users, tests and notebooks
never run it. It reads only files installed by Debian 12 "bookworm" main packages; the
builders live in ``data/dsbuild/`` (one module per dataset and source) and each dataset's
README lists the packages and the versions it was built with:

    spoken_digits/       espeak-ng, flite, festival + festvox voices  (synthetic speech)
                         + four FSDD speakers (natural speech; --fsdd, a folder of recordings)
    spoken_digits_real/  asterisk-core-sounds-en-wav, saytime         (real speakers)
    drum_hits/           hydrogen-drumkits, hydrogen-data, avldrums.lv2-soundfont,
                         lmms-common, fluid-soundfont-gm, timgm6mb-soundfont,
                         opl3-soundfont, freepats (+ fluidsynth, timidity to render)

Exact command (from the repository root):

    .venv/bin/python data/make_datasets.py --out data/
    .venv/bin/python data/make_datasets.py --out data/ --only drum_hits
    .venv/bin/python data/make_datasets.py --out data/ --only spoken_digits --fsdd PATH

``--fsdd`` is the Free Spoken Digit Dataset's ``recordings/`` folder (or a clone of
https://github.com/Jakobovski/free-spoken-digit-dataset at commit 26eb9aa holding it), default
``../shared/speech/fsdd`` beside the repository.

Python needs numpy, soundfile, resampy, librosa and audiokit (for ``audiokit.io.trim_silence``).
Every random choice comes from a fixed seed, files are written as 16 kHz mono 16-bit FLAC
with a fixed compression level and no tags, and each dataset's ``audio/`` folder is rebuilt
from scratch, so running the script twice gives byte-identical files (with the same package
and library versions).

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dsbuild import drum_hits, fsdd, spoken_digits, spoken_digits_real
from dsbuild.common import SPLITS, package_versions

BUILDERS = {  # name -> (builder, Debian packages it reads)
    "spoken_digits": (spoken_digits.build_spoken_digits, spoken_digits.PACKAGES),
    "spoken_digits_real": (spoken_digits_real.build_spoken_digits_real, spoken_digits_real.PACKAGES),
    "drum_hits": (drum_hits.build_drum_hits, drum_hits.PACKAGES),
}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build all datasets, or one with ``--only``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                    help="output folder holding one sub-folder per dataset (default: data/)")
    ap.add_argument("--only", choices=list(BUILDERS), help="build just this dataset")
    ap.add_argument("--fsdd", type=Path, default=fsdd.DEFAULT_DIR,
                    help="FSDD recordings folder for spoken_digits (default: %(default)s)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in [args.only] if args.only else list(BUILDERS):
        build, packages = BUILDERS[name]
        if name == "spoken_digits":
            build = functools.partial(build, fsdd_dir=args.fsdd)
        print(f"building {name} -> {args.out / name}")
        for package, version in package_versions(packages).items():
            print(f"  {package} {version}")
        t0 = time.time()
        clips = build(args.out)
        print(f"  {len(clips)} clips in {time.time() - t0:.0f} s; " + ", ".join(
            f"{s}={sum(c.split == s for c in clips)}" for s in SPLITS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
