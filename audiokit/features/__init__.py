"""The one feature front-end: ``FeatureExtractor`` (torch) and NumPy/librosa references.

``FeatureExtractor`` turns a batch of waveforms ``(B, samples)`` into time-first features
``(B, frames, n_features)``. It is used for training, notebooks and inference alike, so the
features a model sees never depend on where it runs.

How the STFT is computed
------------------------
A short-time Fourier transform is "cut the signal into frames, multiply by a window, take the DFT".
We do exactly that: ``Tensor.unfold`` cuts overlapping frames (a view, no copy), the window is a
buffer, and ``torch.fft.rfft`` takes the DFT of every frame at once. Only plain real-valued ops
come out of it (``|X|^2 = Re^2 + Im^2``), so the module runs on any device and exports with
``torch.export`` and ``torch.onnx.export(dynamo=True)`` (rfft becomes the ONNX ``DFT`` op,
opset >= 17), while staying faster than librosa on CPU. For the Kaldi ``fbank`` kind the per-frame
DC removal and pre-emphasis are two more tensor ops on the frames.

The modules
-----------
- :mod:`~audiokit.features.extractor`: ``FeatureExtractor`` (torch).
- :mod:`~audiokit.features.filterbanks`: the fixed matrices (windows, Slaney and Kaldi mel
  filterbanks, DCT), NumPy float64.
- :mod:`~audiokit.features.reference`: ``stft``, ``log_mel``, ``mfcc`` ... as thin librosa calls,
  used by the tutorials and by the parity tests.
- :mod:`~audiokit.features.checks`: the accepted settings and the input checks.
- :mod:`~audiokit.features.utterance`: per-clip operations over the valid frames of a padded
  batch (the ``top_db`` floor under each clip's peak, CMN / CMVN).

Everything is importable from ``audiokit.features`` itself.

Notebook: 03_fourier_and_stft, 04_mel_mfcc_fbank
"""

from __future__ import annotations

from audiokit.features.checks import KINDS, NORMALIZE, PAD_MODES
from audiokit.features.extractor import FeatureExtractor
from audiokit.features.filterbanks import (
    KALDI_EPS,
    KALDI_WINDOWS,
    dct_matrix,
    kaldi_mel,
    kaldi_mel_filterbank,
    kaldi_window,
    mel_filterbank,
    next_pow2,
    stft_window,
)
from audiokit.features.reference import (
    bins_to_hz,
    frames_to_seconds,
    log_mel,
    mel_frequencies,
    mfcc,
    stft,
)

__all__ = [
    "KALDI_EPS",
    "KALDI_WINDOWS",
    "KINDS",
    "NORMALIZE",
    "PAD_MODES",
    "FeatureExtractor",
    "bins_to_hz",
    "dct_matrix",
    "frames_to_seconds",
    "kaldi_mel",
    "kaldi_mel_filterbank",
    "kaldi_window",
    "log_mel",
    "mel_filterbank",
    "mel_frequencies",
    "mfcc",
    "next_pow2",
    "stft",
    "stft_window",
]
