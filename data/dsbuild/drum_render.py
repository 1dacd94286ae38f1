"""General-MIDI drum kits rendered note by note (fluidsynth / timidity), with near-duplicate removal.

Each kit preset of a soundfont is rendered once per velocity into one file: per note an
"all sound off" (CC 120), the note, and a silent gap, so that no hit bleeds into the
next. The segments are cut out, processed like every drum clip, and near-identical
renders (presets that share one sample, velocities that only change the level) are
dropped within each family.

Notebook: 05_datasets_and_augmentation
"""
from __future__ import annotations

import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from .common import SAMPLE_RATE, slug
from .drum_sources import DrumItem, constant_reader, riff_chunks

RENDER_RATE = 44100  # Hz, synthesiser output (then resampled like every other source)
VELOCITIES = [40, 80, 120]
GM_NOTES: dict[int, tuple[str, str]] = {  # GM percussion key map (channel 10); 37 side stick left out
    35: ("kick", "Acoustic Bass Drum"), 36: ("kick", "Bass Drum 1"),
    38: ("snare", "Acoustic Snare"), 40: ("snare", "Electric Snare"),
    41: ("tom", "Low Floor Tom"), 43: ("tom", "High Floor Tom"), 45: ("tom", "Low Tom"),
    47: ("tom", "Low-Mid Tom"), 48: ("tom", "Hi-Mid Tom"), 50: ("tom", "High Tom"),
    42: ("hihat", "Closed Hi-Hat"), 44: ("hihat", "Pedal Hi-Hat"), 46: ("hihat", "Open Hi-Hat"),
    49: ("cymbal", "Crash Cymbal 1"), 51: ("cymbal", "Ride Cymbal 1"), 52: ("cymbal", "Chinese Cymbal"),
    53: ("cymbal", "Ride Bell"), 55: ("cymbal", "Splash Cymbal"), 57: ("cymbal", "Crash Cymbal 2"),
    59: ("cymbal", "Ride Cymbal 2"),
}
TICKS_PER_S = 960          # 480 ticks per quarter note at the default 120 bpm
SEGMENT_S = 2.0            # one note per segment
NOTE_ON_S = 0.01           # note-on this long after the segment's all-sound-off
NOTE_LEN_S = 1.5
DEDUP_MAX_DB = 1.0         # mean |log-mel difference| (dB) below which a render is a duplicate


@dataclass(frozen=True)
class Font:
    """One General-MIDI sound set: family, Debian package, file, licence, attribution, renderer."""

    family: str
    package: str
    path: Path
    license: str
    author: str
    renderer: str  # "fluidsynth" (sf2) or "timidity" (a timidity .cfg)


FONTS = [
    Font("fluidr3", "fluid-soundfont-gm", Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), "MIT",
         "Frank Wen (FluidR3_GM)", "fluidsynth"),
    Font("timgm6mb", "timgm6mb-soundfont", Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), "GPL-2.0",
         "Tim Brechbill (TimGM6mb)", "fluidsynth"),
    Font("opl3", "opl3-soundfont", Path("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2"), "CC-BY-SA-4.0",
         "Zandro Reveille (OPL-3_FM_128M, FM synthesis)", "fluidsynth"),
    Font("freepats", "freepats", Path("/etc/timidity/freepats.cfg"),
         "GPL-2.0-or-later (with composition exception)", "the freepats.opensrc.org contributors",
         "timidity"),
]


def vlq(n: int) -> bytes:
    """MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def drum_midi(program: int, hits: list[tuple[int, int]]) -> bytes:
    """Standard MIDI file (format 0): kit ``program`` on channel 10, one (note, velocity) hit per SEGMENT_S."""
    seg, on, length = (round(x * TICKS_PER_S) for x in (SEGMENT_S, NOTE_ON_S, NOTE_LEN_S))
    events = [(0, bytes([0xC9, program]))]
    for i, (note, velocity) in enumerate(hits):
        t = i * seg
        events += [(t, bytes([0xB9, 120, 0])), (t + on, bytes([0x99, note, velocity])),
                   (t + on + length, bytes([0x89, note, 0]))]
    events.append((len(hits) * seg, bytes([0xB9, 120, 0])))
    track, last = bytearray(), 0
    for t, msg in sorted(events, key=lambda e: e[0]):  # stable: same-tick order kept
        track += vlq(t - last) + msg
        last = t
    track += vlq(0) + b"\xff\x2f\x00"
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_S // 2)
            + b"MTrk" + struct.pack(">I", len(track)) + bytes(track))


def render(font: Font, midi: bytes) -> np.ndarray:
    """Render ``midi`` with ``font`` at RENDER_RATE, no reverb or chorus; float64 (samples, channels)."""
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "in.mid", Path(tmp) / "out.wav"
        mid.write_bytes(midi)
        if font.renderer == "fluidsynth":
            cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-O", "float", "-T", "wav",
                   "-r", str(RENDER_RATE), "-F", str(wav), str(font.path), str(mid)]
        else:
            cmd = ["timidity", "-c", str(font.path), "-Ow", "-EFreverb=0", "-EFchorus=0",
                   "-s", str(RENDER_RATE), "-o", str(wav), str(mid)]
        res = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if res.returncode != 0 or not wav.exists():
            raise RuntimeError(f"{cmd[0]} failed for {font.path}: {res.stderr.strip()[-500:]}")
        y, sr = sf.read(wav, dtype="float64", always_2d=True)
    if sr != RENDER_RATE:
        raise RuntimeError(f"{cmd[0]} wrote {sr} Hz, expected {RENDER_RATE}")
    return y


def drum_presets(font: Font) -> list[tuple[int, str]]:
    """(program, name) of the percussion presets (bank 128) of a soundfont; freepats: drumset 0."""
    if font.renderer == "timidity":
        return [(0, "Standard")]
    data = font.path.read_bytes()
    o, n = riff_chunks(data, 12, len(data))["pdta"]
    ph_off, ph_size = riff_chunks(data, o, o + n)["phdr"]
    out = set()
    for i in range(ph_size // 38 - 1):
        name, program, bank = struct.unpack("<20sHH", data[ph_off + 38 * i: ph_off + 38 * i + 24])
        if bank == 128:
            out.add((program, name.split(b"\0")[0].decode("latin1").strip()))
    return sorted(out)


def segments(y: np.ndarray, n: int) -> list[np.ndarray]:
    """Cut a render into its ``n`` note segments (from each all-sound-off to the next)."""
    seg = round(SEGMENT_S * RENDER_RATE)
    return [y[i * seg: (i + 1) * seg] for i in range(n)]


def font_renders(font: Font) -> Iterator[tuple[int, str, int, int, np.ndarray]]:
    """(program, kit name, note, velocity, raw segment) of every drum preset x GM note x velocity.

    A generator: one kit's render is held in memory at a time.
    """
    if not font.path.is_file():
        raise SystemExit(f"make_datasets: {font.path} not found; apt-get install {font.package}")
    hits = [(note, vel) for note in sorted(GM_NOTES) for vel in VELOCITIES]
    for program, kit in drum_presets(font):
        y = render(font, drum_midi(program, hits))
        for (note, vel), seg in zip(hits, segments(y, len(hits))):
            if np.max(np.abs(seg)) >= 1e-4:  # silent: the kit has no sample for this note
                yield program, kit, note, vel, seg.copy()


def log_mel(y: np.ndarray, max_s: float) -> np.ndarray:
    """Log-mel (dB, 64 bands, 25 ms / 10 ms at 16 kHz) of a processed clip zero-padded to ``max_s``."""
    y = np.pad(y, (0, max(0, int(max_s * SAMPLE_RATE) - len(y))))
    m = librosa.feature.melspectrogram(y=y.astype(np.float64), sr=SAMPLE_RATE, n_fft=400,
                                       hop_length=160, n_mels=64, power=2.0)
    return librosa.power_to_db(m, ref=1.0, amin=1e-10, top_db=None).clip(min=-100.0)


def drop_near_duplicates(clips: list[tuple[DrumItem, np.ndarray]], max_s: float
                         ) -> tuple[list[tuple[DrumItem, np.ndarray]], int]:
    """Keep a processed clip only if its log-mel differs from every kept clip of its family and class.

    Distance = mean over all time-frequency bins of |dB difference| (both clips peak-normalised,
    padded to ``max_s``); a clip closer than DEDUP_MAX_DB to an earlier kept one is dropped.
    ``clips`` is visited in its given (sorted) order. Returns the kept clips and the number dropped.
    """
    kept, feats = [], {}
    for item, y in clips:
        f = log_mel(y, max_s)
        key = (item.family, item.label)
        if any(np.mean(np.abs(f - g)) < DEDUP_MAX_DB for g in feats.get(key, [])):
            continue
        feats.setdefault(key, []).append(f)
        kept.append((item, y))
    return kept, len(clips) - len(kept)


def gm_items(font: Font, version: str) -> Iterator[DrumItem]:
    """One DrumItem per rendered (kit, note, velocity) of ``font`` (before near-duplicate removal)."""
    for program, kit, note, vel, seg in font_renders(font):
        cls, inst = GM_NOTES[note]
        kit_id = f"{font.family}-{program:03d}-{slug(kit)}"
        tool = "fluidsynth" if font.renderer == "fluidsynth" else "timidity"
        yield DrumItem(
            font.family, kit_id, inst, cls, f"{kit_id}__{note}-{slug(inst)}__v{vel:03d}",
            f"{font.package} {version}: {font.path.name} bank 128 program {program} '{kit}', "
            f"GM note {note}, velocity {vel}, rendered with {tool} ({font.author})",
            font.license, font.package, partial(constant_reader, seg, RENDER_RATE))

