"""The ``drum_hits`` dataset: one-shot hits of many kits, split so whole source families are held out.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import soundfile as sf

from . import drum_render
from .common import (
    DRUM_CLASSES,
    SAMPLE_RATE,
    SPLITS,
    Clip,
    copy_gpl2,
    count_table,
    package_versions,
    peak_normalize,
    reset_audio_dir,
    to_16k_mono,
    trim_silence,
    versions_table,
    write_flac,
    write_metadata,
)
from .drum_sources import DrumItem, avl_items, constant_reader, hydrogen_items, lmms_items

MAX_DRUM_S = 1.0
FADE_S = 0.05
PACKAGES = ["hydrogen-drumkits", "hydrogen-data", "avldrums.lv2-soundfont", "lmms-common",
            "fluid-soundfont-gm", "timgm6mb-soundfont", "opl3-soundfont", "freepats",
            "fluidsynth", "timidity"]
EXTRA_COLUMNS = ["family", "kit", "instrument"]
# Whole families are held out. Test: a real acoustic family (Glen MacArthur's recordings: the
# AVL Drums kits plus his Hydrogen kits) and a GM family (freepats); valid: a real acoustic
# family (BJA Pacific) and a GM family (TimGM6mb); every other family trains.
FAMILY_SPLIT = {"macarthur": "test", "freepats": "test", "bja-pacific": "valid", "timgm6mb": "valid"}
FAMILY_NOTES = {
    "macarthur": "Glen MacArthur's recordings: Hydrogen `The Black Pearl 1.0`, `GMRockKit` and the "
                 "AVL Drums soundfonts `Black_Pearl_4_LV2`, `Red_Zeppelin_4_LV2` (one author; the "
                 "Hydrogen and AVL 'Black Pearl' kits share a name), acoustic",
    "bja-pacific": "Hydrogen `BJA_Pacific`, acoustic",
    "colombo": "Hydrogen `ColomboAcousticDrumkit`, acoustic",
    "forzee": "Hydrogen `ForzeeStereo`, acoustic",
    "millo": "Hydrogen `Millo-Drums_v.1`, `Millo_MultiLayered2`, `Millo_MultiLayered3` (one author)",
    "rumpf": "Hydrogen `rumpf_kit_z01_h2`",
    "artemiolabs": "Hydrogen `ElectricEmpireKit`, `HardElectro1`, `VariBreaks`, `TR808EmulationKit` "
                   "(ArtemioLabs, electronic)",
    "lmms": "LMMS `samples/drums` one-shots (mixed acoustic and electronic)",
    "fluidr3": "FluidR3_GM soundfont, every drum-kit preset rendered with fluidsynth",
    "timgm6mb": "TimGM6mb soundfont, every drum-kit preset rendered with fluidsynth",
    "opl3": "OPL-3 FM soundfont (FM synthesis, one kit) rendered with fluidsynth",
    "freepats": "freepats GUS patches (drumset 0) rendered with timidity",
}


def process_drum(y: np.ndarray, sr: int, where: str) -> np.ndarray:
    """16 kHz mono, silence-trimmed, <= MAX_DRUM_S with a FADE_S linear fade-out, peak -1 dBFS."""
    y = to_16k_mono(y, sr)
    if np.max(np.abs(y)) < 1e-4:
        raise ValueError(f"{where}: silent sample")
    y = trim_silence(y, top_db=40, margin_s=0.002)
    y = y[: int(MAX_DRUM_S * SAMPLE_RATE)].copy()
    fade = min(int(FADE_S * SAMPLE_RATE), len(y))
    y[len(y) - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return peak_normalize(y, -1.0)


def rendered_items(versions: dict[str, str]) -> tuple[list[tuple[DrumItem, np.ndarray]], dict]:
    """Processed GM renders of every font after near-duplicate removal, and {family: (rendered, dropped)}."""
    kept, stats = [], {}
    for font in drum_render.FONTS:
        clips = []
        for it in drum_render.gm_items(font, versions[font.package]):
            y = process_drum(*it.read(), it.name)  # keep the 16 kHz clip, not the raw render
            clips.append((replace(it, read=partial(constant_reader, y, SAMPLE_RATE)), y))
        keep, dropped = drum_render.drop_near_duplicates(clips, MAX_DRUM_S)
        stats[font.family] = (len(clips), dropped)
        kept += keep
    return kept, stats


def build_drum_hits(out: Path) -> list[Clip]:
    """Drum hits from Hydrogen kits, AVL Drums, LMMS and four GM sound sets; split by family."""
    t0 = time.time()
    versions = package_versions(PACKAGES)
    root = out / "drum_hits"
    reset_audio_dir(root)
    sampled, dropped_kits = hydrogen_items()
    sampled += avl_items() + lmms_items()
    with ThreadPoolExecutor(max_workers=2) as pool:
        processed = list(pool.map(lambda it: (it, process_drum(*it.read(), it.source)), sampled))
    rendered, dedup = rendered_items(versions)
    clips = []
    for item, y in processed + rendered:
        path = f"audio/{item.label}/{item.name}.flac"
        write_flac(root / path, y)
        clips.append(Clip(path, item.label, FAMILY_SPLIT.get(item.family, "train"), item.kit,
                          item.source, item.license,
                          {"family": item.family, "kit": item.kit, "instrument": item.instrument}))
    if len({c.path for c in clips}) != len(clips):
        raise RuntimeError("build_drum_hits: two clips got the same file name")
    check_split(clips)
    write_metadata(root, clips, EXTRA_COLUMNS)
    copy_gpl2(root)
    write_drum_readme(root, clips, versions, dropped_kits, dedup)
    print(f"  drum_hits built in {time.time() - t0:.0f} s")
    return clips


def check_split(clips: list[Clip]) -> None:
    """Every split holds every class, and no family is in two splits."""
    for s in SPLITS:
        have = {c.label for c in clips if c.split == s}
        if have != set(DRUM_CLASSES):
            raise RuntimeError(f"drum_hits: split {s} lacks {set(DRUM_CLASSES) - have}")
    fam_splits = Counter((c.extra["family"], c.split) for c in clips)
    if len({f for f, _ in fam_splits}) != len(fam_splits):
        raise RuntimeError("drum_hits: a family is in more than one split")


def family_table(clips: list[Clip]) -> str:
    """Markdown table: family -> split, kits, clips per class, licence(s), description."""
    lines = ["| family | split | kits | " + " | ".join(DRUM_CLASSES) + " | total | licence(s) | what |",
             "|---" * (len(DRUM_CLASSES) + 6) + "|"]
    for fam in sorted({c.extra["family"] for c in clips}):
        rows = [c for c in clips if c.extra["family"] == fam]
        n = Counter(c.label for c in rows)
        lic = "; ".join(sorted({c.license for c in rows}))
        lines.append(f"| {fam} | {rows[0].split} | {len({c.group for c in rows})} | "
                     + " | ".join(str(n[k]) for k in DRUM_CLASSES)
                     + f" | {len(rows)} | {lic} | {FAMILY_NOTES[fam]} |")
    return "\n".join(lines)


def kit_table(clips: list[Clip]) -> str:
    """Markdown table: kit -> family, split, clips per class."""
    lines = ["| kit (`group`) | family | split | " + " | ".join(DRUM_CLASSES) + " | total |",
             "|---" * (len(DRUM_CLASSES) + 4) + "|"]
    for kit in sorted({c.group for c in clips}):
        rows = [c for c in clips if c.group == kit]
        n = Counter(c.label for c in rows)
        lines.append(f"| {kit} | {rows[0].extra['family']} | {rows[0].split} | "
                     + " | ".join(str(n[k]) for k in DRUM_CLASSES) + f" | {len(rows)} |")
    return "\n".join(lines)


def write_drum_readme(root: Path, clips: list[Clip], versions: dict[str, str],
                      dropped: dict[str, str], dedup: dict) -> None:
    """Generated README.md for data/drum_hits (the text lives in drum_readme.md.in)."""
    durs = [sf.info(root / c.path).duration for c in clips]
    template = (Path(__file__).parent / "drum_readme.md.in").read_text(encoding="utf-8")
    dedup_lines = "\n".join(f"- {fam}: {n} renders, {d} dropped as near-duplicates, {n - d} kept"
                            for fam, (n, d) in dedup.items())
    text = template.format(
        classes=", ".join(DRUM_CLASSES), n_clips=len(clips), max_s=f"{MAX_DRUM_S:g}",
        fade_ms=f"{FADE_S * 1000:.0f}", dmin=f"{min(durs):.2f}", dmax=f"{max(durs):.2f}",
        dmean=f"{np.mean(durs):.2f}", velocities=", ".join(map(str, drum_render.VELOCITIES)),
        gm_notes=", ".join(f"{n} {name} ({cls})" for n, (cls, name) in sorted(drum_render.GM_NOTES.items())),
        dedup_db=f"{drum_render.DEDUP_MAX_DB:g}", dedup_lines=dedup_lines,
        split_counts=count_table(clips, DRUM_CLASSES), family_table=family_table(clips),
        kit_table=kit_table(clips), versions=versions_table(versions),
        packages=" ".join(PACKAGES),
        dropped="\n".join(f"- **{k}**: {v}" for k, v in sorted(dropped.items())))
    (root / "README.md").write_text(text, encoding="utf-8")
