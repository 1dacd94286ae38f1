"""Data augmentation on batches, on any device.

Order in the training loop (each step is optional)::

    waveform (already loudness-normalised, if you normalise at all)
      -> waveform augment on the device, in the order of WAVEFORM_AUGMENTS:
           the source      SpeedPerturb, PitchShift
           time            EdgeCut (a tight editor's cut), TimeShift, RandomPlacement (silence
                           before and after the sound)
           the room        Reverb (synthetic or measured RIRs), AddNoise (synthetic or recorded)
           the microphone  RandomEQ, Gain, NoiseFloor (absolute level, after the gain)
           the channel     TelephoneBand, MuLaw
      -> FeatureExtractor
      -> SpecAugment                     (feature level)
      -> Mixup                           (last: it mixes inputs *and* targets)

Loudness normalisation must come *before* :class:`Gain` (normalising after it would undo the gain).

Every transform has a per-example probability ``p`` and takes an optional ``torch.Generator``
(``generator=``) or ``seed=`` for repeatable draws. Random numbers are drawn on the generator's
device and moved to the batch's device, so a CPU generator works for a CUDA batch. Waveform and
feature transforms are called as ``x, lengths = t(x, lengths)``; ``lengths`` may be ``None``.
Every random setting is a ``(low, high)`` range, so ``low == high`` pins it exactly
(e.g. ``AddNoise(snr_db=(20, 20), p=1.0)``) for a fixed robustness test.

Modules: ``base`` (probability, seeding, masks, Compose), ``dsp`` (FFT convolution and resampling),
``waveform`` (gain, speed, edge cut, shift, placement), ``noise`` (SNR noise and backgrounds,
noise floor), ``room`` (reverb, RT60), ``channel`` (telephone band, mu-law, EQ), ``pitch``,
``spectral`` (SpecAugment, mixup), ``factory`` (config dicts, ``preview``).

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

from audiokit.augment.base import Compose, Lengths
from audiokit.augment.channel import (
    EQ_KINDS,
    MuLaw,
    RandomEQ,
    TelephoneBand,
    biquad_coefficients,
    mulaw_codec,
)
from audiokit.augment.factory import (
    SEED_OFFSET,
    WAVEFORM_AUGMENTS,
    WAVEFORM_STRENGTH,
    build_mixup,
    build_spec_augment,
    build_waveform_augment,
    preview,
)
from audiokit.augment.noise import AddNoise, NoiseFloor
from audiokit.augment.pitch import PitchShift
from audiokit.augment.room import Reverb, schroeder_rt60
from audiokit.augment.spectral import Mixup, SpecAugment
from audiokit.augment.waveform import EdgeCut, Gain, RandomPlacement, SpeedPerturb, TimeShift

__all__ = [
    "EQ_KINDS",
    "SEED_OFFSET",
    "WAVEFORM_AUGMENTS",
    "WAVEFORM_STRENGTH",
    "AddNoise",
    "Compose",
    "EdgeCut",
    "Gain",
    "Lengths",
    "Mixup",
    "MuLaw",
    "NoiseFloor",
    "PitchShift",
    "RandomEQ",
    "RandomPlacement",
    "Reverb",
    "SpecAugment",
    "SpeedPerturb",
    "TelephoneBand",
    "TimeShift",
    "biquad_coefficients",
    "build_mixup",
    "build_spec_augment",
    "build_waveform_augment",
    "mulaw_codec",
    "preview",
    "schroeder_rt60",
]
