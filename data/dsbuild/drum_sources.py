"""Sample-based drum sources: Hydrogen kits, the AVL Drums soundfonts, and LMMS one-shots.

Each source yields :class:`DrumItem` rows (family, kit, instrument, class, licence and a
reader of the original sample); ``drum_hits`` processes and writes them.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import soundfile as sf

from .common import slug

HYDROGEN_KITS = Path("/usr/share/hydrogen/data/drumkits")
AVL_FONTS = {"AVL_Black_Pearl_4": Path("/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2"),
             "AVL_Red_Zeppelin_4": Path("/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2")}
LMMS_DRUMS = Path("/usr/share/lmms/samples/drums")


@dataclass
class DrumItem:
    """One original drum sample before processing.

    ``read()`` returns ``(y, sr)`` with ``y`` shaped (samples,) or (samples, channels).
    ``name`` is the unique file stem (without class folder); ``package`` the Debian package.
    """

    family: str
    kit: str
    instrument: str
    label: str
    name: str
    source: str
    license: str
    package: str
    read: Callable[[], tuple[np.ndarray, int]]


# --------------------------------------------------------------------------- Hydrogen kits
# (licence, author, family, Debian package) of every kit, from each drumkit.xml <license> /
# README and /usr/share/doc/hydrogen-*/copyright. Licence None = not redistributed (reason).
# Family = one recording source: kits by the same author/studio share one family.
KIT_INFO: dict[str, tuple[str | None, str, str, str]] = {
    "BJA_Pacific": ("CC-BY-SA-3.0-US", "Luc Tanguay / Bransin James Anderson", "bja-pacific",
                    "hydrogen-drumkits"),
    "ColomboAcousticDrumkit": ("GPL-2.0-or-later (with composition exception)",
                               "2006 Marcos Guglielmetti", "colombo", "hydrogen-drumkits"),
    "ElectricEmpireKit": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs)", "artemiolabs",
                          "hydrogen-drumkits"),
    "ForzeeStereo": ("GPL-2.0", "Vladimir Sadovnikov, Alexander Belokurov", "forzee",
                     "hydrogen-drumkits"),
    "Gimme A Hand 1.0": ("GPL-2.0", "Glen MacArthur", "macarthur", "hydrogen-drumkits"),
    "GMRockKit": ("GPL-2.0-or-later", "Glen MacArthur / Sebastian Moors", "macarthur",
                  "hydrogen-data"),
    "HardElectro1": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs)", "artemiolabs",
                     "hydrogen-drumkits"),
    "Millo-Drums_v.1": ("GPL-2.0", "Emiliano Grilli (Emillo)", "millo", "hydrogen-drumkits"),
    "Millo_MultiLayered2": ("GPL-2.0", "Emiliano Grilli (Emillo)", "millo", "hydrogen-drumkits"),
    "Millo_MultiLayered3": ("GPL-2.0", "Emiliano Grilli (Emillo)", "millo", "hydrogen-drumkits"),
    "The Black Pearl 1.0": ("GPL-2.0", "Glen MacArthur", "macarthur", "hydrogen-drumkits"),
    "TR808EmulationKit": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs)", "artemiolabs",
                          "hydrogen-data"),
    "VariBreaks": ("GPL-2.0-or-later", "Artemiy Pavlov (ArtemioLabs) / Sineshine", "artemiolabs",
                   "hydrogen-drumkits"),
    "circAfrique v4": ("CC-BY-SA-3.0", "Jim Harney", "circafrique", "hydrogen-drumkits"),
    "rumpf_kit_z01_h2": ("CC-BY-3.0", "Emanuel Rumpf", "rumpf", "hydrogen-drumkits"),
    "Audiophob": (None, ("declared CC0 by soundcloud.com/audiophobdubstep, but every sample is a "
                        "renamed freesound.org upload by a different author whose own licence is not "
                        "recorded: provenance unclear, dropped"), "-", "hydrogen-drumkits"),
}
# instrument-name words that never count as one of the five classes
DRUM_EXCLUDE = re.compile(r"stick|rim ?click|clap|cowbell|tambourine|agogo|conga|roll|snap|clave|"
                          r"woodblock|maraca|bongo|cajon|whistle|zap|\bfx\b|click|glass|djembe|"
                          r"sangban|dununba|kenkeni|empty", re.IGNORECASE)
DRUM_RULES = [  # first match wins; hihat before cymbal ("Sabian Hat" vs "Sabian Crash")
    ("hihat", re.compile(r"hi-?\s?hat|hihat|\bhat\b|\bhh\b|\bchh\b|\bohh\b", re.IGNORECASE)),
    ("kick", re.compile(r"kick|bass ?drum|\bbd\b", re.IGNORECASE)),
    ("tom", re.compile(r"\btom", re.IGNORECASE)),
    ("snare", re.compile(r"snare|\bsd\b|\bredo\b", re.IGNORECASE)),
    ("cymbal", re.compile(r"crash|ride|china|splash|cymbal|paiste|sabian|zildjian", re.IGNORECASE)),
]


def classify_drum(name: str) -> str | None:
    """Map an instrument name (or sample file name) to a drum class, or None."""
    text = re.sub(r"[_\-.]", " ", name)
    if DRUM_EXCLUDE.search(text):
        return None
    for cls, rx in DRUM_RULES:
        if rx.search(text):
            return cls
    return None


def read_kit(kit_dir: Path) -> list[tuple[str, str, str]]:
    """(instrument name, sample file name, class) for every mapped layer of one kit, deduplicated."""
    root = ET.parse(kit_dir / "drumkit.xml").getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    rows, seen = [], set()
    for inst in root.iter(ns + "instrument"):
        iname = (inst.findtext(ns + "name") or "").strip()
        files = [ly.findtext(ns + "filename") for ly in inst.iter(ns + "layer")]
        if not files and inst.findtext(ns + "filename"):
            files = [inst.findtext(ns + "filename")]
        for fname in files:
            if not fname or fname in seen:
                continue
            cls = classify_drum(iname)
            if cls is None and not DRUM_EXCLUDE.search(iname) and iname:
                cls = classify_drum(Path(fname).stem)  # e.g. "redo super opaco" -> snare-*.flac
            if cls is None:
                continue
            seen.add(fname)
            rows.append((iname, fname, cls))
    return rows


def read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    """``soundfile.read`` as float64 (samples, channels)."""
    y, sr = sf.read(path, dtype="float64", always_2d=True)
    return y, sr


def hydrogen_items() -> tuple[list[DrumItem], dict[str, str]]:
    """Items of every Hydrogen kit with a redistributable licence, and {kit: reason} of dropped kits."""
    if not HYDROGEN_KITS.is_dir():
        raise SystemExit(f"make_datasets: {HYDROGEN_KITS} not found; "
                         "apt-get install hydrogen-drumkits hydrogen-data")
    items, dropped = [], {}
    for kit_dir in sorted(p for p in HYDROGEN_KITS.iterdir() if (p / "drumkit.xml").is_file()):
        lic, author, family, package = KIT_INFO.get(kit_dir.name, (None, "licence not reviewed",
                                                                   "-", "?"))
        if lic is None:
            dropped[kit_dir.name] = author
            continue
        rows = read_kit(kit_dir)
        if not rows:
            dropped[kit_dir.name] = f"{lic}; no kick/snare/hihat/tom/cymbal instruments"
            continue
        for iname, fname, cls in rows:
            kit = kit_dir.name
            items.append(DrumItem(
                family, kit, iname, cls, f"{slug(kit)}__{slug(iname)}__{slug(Path(fname).stem)}",
                f"{package}: {kit}/{fname} (instrument '{iname}', {author})", lic, package,
                partial(read_soundfile, kit_dir / fname)))
    return items, dropped


def constant_reader(y: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    """Reader for a sample already in memory (``partial(constant_reader, y, sr)``)."""
    return y, sr


# --------------------------------------------------------------------------- AVL Drums (sf2)
AVL_LICENSE = "CC-BY-SA-3.0"
AVL_AUTHOR = "Glen MacArthur (AVL Drumkits, avldrums.lv2 by Robin Gareus)"
# The kits' own note map (the number that starts every sample name, 36..64); choke notes
# (50, 52, 58), side stick, clap, tambourine, cowbell and maraca are left out.
AVL_NOTES: dict[int, tuple[str, str]] = {
    36: ("kick", "Kick"), 38: ("snare", "Snare"), 40: ("snare", "Snare Edge"),
    41: ("tom", "Floor Tom"), 43: ("tom", "Floor Tom Edge"), 45: ("tom", "Tom"),
    47: ("tom", "Tom Edge"), 42: ("hihat", "Hihat Closed"), 44: ("hihat", "Hihat Pedal"),
    46: ("hihat", "Hihat Semi-Open"), 48: ("hihat", "Hihat Swish"), 49: ("cymbal", "Crash"),
    51: ("cymbal", "Ride"), 53: ("cymbal", "Ride Bell"), 55: ("cymbal", "Splash"),
    57: ("cymbal", "Crash 2"), 59: ("cymbal", "Ride Shank"), 60: ("cymbal", "Paiste 2002 22in"),
}


def riff_chunks(data: bytes, start: int, end: int) -> dict[str, tuple[int, int]]:
    """{chunk id or LIST type: (offset, size)} of the RIFF chunks in ``data[start:end]``."""
    out, off = {}, start
    while off + 8 <= end:
        cid = data[off:off + 4].decode("latin1")
        size = struct.unpack("<I", data[off + 4:off + 8])[0]
        if cid == "LIST":
            out[data[off + 8:off + 12].decode("latin1")] = (off + 12, size - 4)
        else:
            out[cid] = (off + 8, size)
        off += 8 + size + (size & 1)
    return out


def sf2_samples(path: Path) -> list[tuple[str, np.ndarray, int]]:
    """(sample name, int16 samples, rate in Hz) of every sample header in a SoundFont 2 file."""
    data = path.read_bytes()
    top = riff_chunks(data, 12, len(data))
    o, n = top["sdta"]
    smpl_off, smpl_size = riff_chunks(data, o, o + n)["smpl"]
    pcm = np.frombuffer(data, dtype="<i2", count=smpl_size // 2, offset=smpl_off)
    o, n = top["pdta"]
    sh_off, sh_size = riff_chunks(data, o, o + n)["shdr"]
    out = []
    for i in range(sh_size // 46 - 1):  # the last header is the terminal "EOS"
        rec = data[sh_off + 46 * i: sh_off + 46 * (i + 1)]
        name = rec[:20].split(b"\0")[0].decode("latin1")
        start, end, _, _, rate = struct.unpack("<IIIII", rec[20:40])
        out.append((name, pcm[start:end], rate))
    return out


def avl_items() -> list[DrumItem]:
    """Every velocity layer of the AVL Drums kits' mapped notes (raw samples from the sf2)."""
    items = []
    for kit, path in AVL_FONTS.items():
        if not path.is_file():
            raise SystemExit(f"make_datasets: {path} not found; apt-get install avldrums.lv2-soundfont")
        for name, pcm, rate in sf2_samples(path):
            note = int(name.split("-")[0])
            if note not in AVL_NOTES:
                continue
            cls, inst = AVL_NOTES[note]
            y = (pcm.astype(np.float64) / 32768.0)
            items.append(DrumItem(
                "macarthur", kit, inst, cls, f"{kit}__{note}-{slug(inst)}__{slug(name)}",
                f"avldrums.lv2-soundfont: {path.name} sample '{name}' (note {note}, {AVL_AUTHOR})",
                AVL_LICENSE, "avldrums.lv2-soundfont", partial(constant_reader, y, rate)))
    return items


# --------------------------------------------------------------------------- LMMS one-shots
LMMS_LICENSE = "GPL-2.0-or-later"
VORBIS_IN_WAV = 0x674F  # WAVE format tag "Og" (Ogg Vorbis mode 1 stream inside a RIFF file)


def read_lmms_sample(path: Path) -> tuple[np.ndarray, int]:
    """Decode an LMMS sample by its content, not its ``.ogg`` name.

    Ogg Vorbis files go to libsndfile; a RIFF/WAVE file whose ``fmt`` tag is 0x674F
    (``kick04.ogg``: an Ogg Vorbis stream wrapped in a WAV header, which libsndfile rejects)
    is decoded from the Ogg stream held in its ``data`` chunk.
    """
    data = path.read_bytes()
    if data[:4] == b"OggS":
        return read_soundfile(path)
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        chunks = riff_chunks(data, 12, len(data))
        tag = struct.unpack("<H", data[chunks["fmt "][0]:chunks["fmt "][0] + 2])[0]
        if tag == VORBIS_IN_WAV:
            o, n = chunks["data"]
            y, sr = sf.read(io.BytesIO(data[o:o + n]), dtype="float64", always_2d=True)
            return y, sr
        return read_soundfile(path)
    raise ValueError(f"{path}: neither Ogg nor RIFF/WAVE data (starts with {data[:4]!r})")


def lmms_items() -> list[DrumItem]:
    """LMMS ``samples/drums`` one-shots whose file name maps to a class (``classify_drum``)."""
    if not LMMS_DRUMS.is_dir():
        raise SystemExit(f"make_datasets: {LMMS_DRUMS} not found; apt-get install lmms-common")
    items = []
    for path in sorted(LMMS_DRUMS.glob("*.ogg")):
        cls = classify_drum(path.stem)
        if cls is None:
            continue
        inst = re.sub(r"\d+$", "", path.stem).strip("_")
        items.append(DrumItem("lmms", "lmms", inst, cls, f"lmms__{slug(path.stem)}",
                              f"lmms-common: samples/drums/{path.name} (LMMS developers)",
                              LMMS_LICENSE, "lmms-common", partial(read_lmms_sample, path)))
    return items
