"""Exercises of notebook 01: sampling, aliasing, quantisation and levels.

Notebook: 01_digital_audio
"""

from __future__ import annotations

from audiokit.exercises.core import Exercise

__all__ = ["EXERCISES"]


def _heard_frequency(tiny: bool) -> float:
    """The frequency (Hz) heard when an 11 000 Hz tone is sampled at 16 000 Hz, read off the
    spectrum of the samples (and compared with ``signals.alias_frequency``).

    Notebook: 01_digital_audio
    """
    import numpy as np

    from audiokit import signals

    sr = 16000
    y = signals.sine(11000.0, duration=1.0, sr=sr)
    spectrum = np.abs(np.fft.rfft(y))
    peak_hz = float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spectrum)])
    print(f"spectrum peak {peak_hz:.0f} Hz; alias_frequency says "
          f"{signals.alias_frequency(11000.0, sr):.0f} Hz")
    return peak_hz


def _snr_loss(tiny: bool) -> float:
    """dB lost by a 16-bit recording of a tone at amplitude 0.1 against the full-scale formula.

    Notebook: 01_digital_audio
    """
    from audiokit import signals

    tone = signals.sine(997.3, duration=1.0, sr=16000, amplitude=0.1)
    for bits in (8, 16):
        print(f"{bits:2d} bits: measured {signals.quantization_snr(tone, bits):.1f} dB, "
              f"full-scale formula {signals.theoretical_snr(bits):.1f} dB")
    return signals.theoretical_snr(16) - signals.quantization_snr(tone, 16)


def _level_of_quarter_amplitude(tiny: bool) -> float:
    """The RMS level in dBFS of a sine of peak amplitude 0.25.

    Notebook: 01_digital_audio
    """
    from audiokit import signals

    return signals.dbfs(signals.sine(440.0, duration=1.0, sr=16000, amplitude=0.25))


def _pluck_rolloff(tiny: bool) -> dict[float, float]:
    """Spectral centroid (Hz) of a plucked-string note for several ``rolloff`` values.

    Notebook: 01_digital_audio
    """
    import numpy as np

    from audiokit import signals

    sr, f0 = 16000, 220.0
    envelope = signals.adsr(sr, sr, attack=0.005, decay=0.5, sustain=0.0, release=0.1)
    centroids = {}
    for rolloff in (0.5, 1.0, 2.0, 3.0):
        note = signals.harmonics(f0, n_harmonics=30, duration=1.0, sr=sr, rolloff=rolloff) * envelope
        power = np.abs(np.fft.rfft(note)) ** 2
        freqs = np.fft.rfftfreq(len(note), 1 / sr)
        centroids[rolloff] = round(float((freqs * power).sum() / power.sum()), 1)
    return centroids


EXERCISES: list[Exercise] = [
    Exercise(
        "01.1",
        question="Which frequency do you hear when an 11 000 Hz tone is sampled at 16 000 Hz?",
        hint="Find the Nyquist frequency first, then fold the tone back below it; "
             "`signals.alias_frequency` does the bookkeeping, the spectrum of the samples shows it.",
        answer=5000.0,
        unit="Hz",
        tolerance=1.0,
        solve=_heard_frequency,
        why="The Nyquist frequency is 8000 Hz; 11 000 Hz lies 3000 Hz above it and folds to "
            "3000 Hz below it, 16 000 - 11 000 = 5000 Hz. The tolerance is the 1 Hz bin spacing "
            "of a 1 s spectrum, for an answer read off the peak.",
    ),
    Exercise(
        "01.2",
        question="Measure `signals.quantization_snr` of a 997.3 Hz tone at amplitude 0.1 (1 s at "
                 "16 kHz) quantised to 16 bits. How many dB below the full-scale formula "
                 "6.02 * 16 + 1.76 dB is it?",
        hint="Subtract the measured SNR from `signals.theoretical_snr(16)`; the quantisation "
             "noise does not depend on the signal's level, the signal does.",
        answer=20.0,
        unit="dB",
        tolerance=0.5,
        solve=_snr_loss,
        why="The noise stays at the step size's level while the signal drops by "
            "20 log10(0.1) = -20 dB, so every bit of headroom you leave unused costs 6 dB of SNR: "
            "record so that the loudest parts come close to full scale without clipping. The "
            "tolerance covers the measurement's scatter with the tone's frequency (a few tenths "
            "of a dB for tones that are not simple fractions of the sample rate).",
    ),
    Exercise(
        "01.3",
        question="Make a plucked string: `signals.harmonics(220, 30, rolloff=...)` times "
                 "`signals.adsr(attack=0.005, decay=0.5, sustain=0.0, release=0.1)`. What does "
                 "`rolloff` do to the sound? Listen to 0.5, 1, 2 and 3.",
        hint="Partial k has amplitude `1 / k**rolloff`; listen, then compare the spectra or "
             "their centre of mass (the spectral centroid).",
        solve=_pluck_rolloff,
        why="A small rolloff keeps the upper partials strong: a bright, buzzy, harpsichord-like "
            "pluck. A large one leaves little but the fundamental: a dull, soft, almost pure "
            "tone. The spectral centroid falls as rolloff grows; the pitch stays the same.",
    ),
    Exercise(
        "01.4",
        question="What is the RMS level, in dBFS, of a sine of peak amplitude 0.25?",
        hint="A full-scale sine's RMS is 1/sqrt(2); each halving of the amplitude subtracts about "
             "6 dB. `signals.dbfs` measures it.",
        answer=-15.05,
        unit="dBFS",
        tolerance=0.1,
        solve=_level_of_quarter_amplitude,
        why="20 log10(0.25 / sqrt(2)) = -3.01 - 12.04 = -15.05 dBFS: -3 dB for a sine's RMS, "
            "then two halvings of 6 dB. The tolerance accepts the rule of thumb's -15 dBFS.",
    ),
]
