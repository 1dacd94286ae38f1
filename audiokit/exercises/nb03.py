"""Exercises of notebook 03: frequency resolution, windows and the hop.

Notebook: 03_fourier_and_stft
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _smallest_resolving_n_fft(tiny: bool) -> int:
    """Smallest power-of-two ``n_fft`` whose Hann spectrogram of the test signal shows the 1000
    and 1080 Hz tones as two peaks (the median over frames, as the explorer's picture shows).

    Notebook: 03_fourier_and_stft
    """
    import numpy as np

    from audiokit import lessons

    for n_fft in (64, 128, 256, 512, 1024, 2048):
        demo = lessons.stft_demo("hann", n_fft, n_fft // 4, sr=16000, duration=1.0)
        level = np.median(demo["S_db"], axis=1)  # typical frame: the chirp and clicks are brief
        freqs = np.arange(len(level)) * demo["bin_hz"]
        band = np.flatnonzero((freqs >= 900) & (freqs <= 1200))
        peaks = [freqs[i] for i in band[1:-1] if level[i] > level[i - 1] and level[i] > level[i + 1]]
        print(f"n_fft {n_fft:4d}: bins {demo['bin_hz']:6.2f} Hz apart, Hann main lobe "
              f"+-{2 * demo['bin_hz']:6.1f} Hz, peaks at {[round(float(f)) for f in peaks]} Hz")
        if len(peaks) >= 2:
            return n_fft
    raise AssertionError("no n_fft up to 2048 separated the tones")


def _leakage(tiny: bool) -> dict[str, float]:
    """Median level (dB below the 1000 Hz peak) half-way between the close tones and 400 Hz
    away from them, with a Hann and a rectangular (boxcar) window, ``n_fft = 512``.

    Notebook: 03_fourier_and_stft
    """
    import numpy as np

    from audiokit import lessons

    below_peak = {}
    for window in ("hann", "boxcar"):
        demo = lessons.stft_demo(window, 512, 128, sr=16000, duration=1.0)
        level = np.median(demo["S_db"], axis=1)
        at = {hz: level[round(hz / demo["bin_hz"])] for hz in (1000, 1040, 1500)}
        below_peak[f"{window}: 1040 Hz"] = round(float(at[1000] - at[1040]), 1)
        below_peak[f"{window}: 1500 Hz"] = round(float(at[1000] - at[1500]), 1)
    return below_peak


def _hop_sweep(tiny: bool) -> dict[int, dict[str, float]]:
    """Frames, frame length, bin spacing and time step of the STFT for hops 32, 128 and 512 at
    ``n_fft = 512``.

    Notebook: 03_fourier_and_stft
    """
    from audiokit import lessons

    table = {}
    for hop in (32, 128, 512):
        demo = lessons.stft_demo("hann", 512, hop, sr=16000, duration=1.0)
        table[hop] = {"frames": demo["n_frames"], "frame_ms": 1000 * demo["frame_s"],
                      "step_ms": 1000 * demo["hop_s"], "bin_hz": demo["bin_hz"]}
    return table


EXERCISES: list[Exercise] = [
    Exercise(
        "03.1",
        question="With the Hann window, two tones show as two separate peaks once they are more "
                 "than the main lobe's half-width (2 bins, 2 * sr / n_fft Hz) apart. What is the "
                 "smallest `n_fft` (a power of two) for which the 1000 and 1080 Hz tones of the "
                 "test signal show as two peaks at 16 kHz?",
        hint="Compute `2 * sr / n_fft` for n_fft = 128, 256, 512, ... and compare it with the "
             "tones' spacing; then set the explorer to the Hann window and look between 900 and "
             "1200 Hz.",
        answer=512,
        unit="samples",
        solve=_smallest_resolving_n_fft,
        why="The tones are 80 Hz apart. At n_fft = 256 the bins are 62.5 Hz apart and the Hann "
            "main lobe reaches 125 Hz either side: one merged band (even though 80 Hz is more "
            "than one bin). At 512 the half-width is 62.5 Hz < 80 Hz and a dip appears between "
            "two peaks; at 1024 and above they are clearly apart. Bin spacing alone is not the "
            "resolution: the window's main lobe is.",
    ),
    Exercise(
        "03.2",
        question="Replace the Hann window by `boxcar` (rectangular) in section 3 and compare the "
                 "spectrograms: where does the leakage show?",
        hint="Look at the steady tones: how far from 1000 Hz does their energy reach with each "
             "window? Compare levels a few hundred Hz away from them.",
        solve=_leakage,
        why="With the rectangle the steady tones spread a skirt over the whole band (the side "
            "lobes fall slowly): far from the tones the level stays much higher than with Hann, "
            "and the chirp's track is smeared. Hann's wider main lobe shows close to the tones "
            "(between 1000 and 1080 Hz it fills in a little more), its side lobes are far lower.",
    ),
    Exercise(
        "03.3",
        question="Keep `n_fft = 512` and vary only the hop (32, 128, 512). What changes in the "
                 "picture, and what does not?",
        hint="The hop sets how often a frame is taken, not how long one is; count the frames and "
             "compare the bins.",
        solve=_hop_sweep,
        why="The hop only changes how many frames there are (about sr * duration / hop) and so "
            "the picture's time sampling; each frame still lasts n_fft / sr = 32 ms and the bins "
            "are still sr / n_fft = 31.25 Hz apart, so the resolution (the smearing of clicks "
            "and the merging of tones) stays the same. With hop = n_fft the frames no longer "
            "overlap and a short click can fall between two frames' windows.",
    ),
]
