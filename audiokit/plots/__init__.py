"""The plotting contract: every ``plot_*`` takes ``ax=None``, labels its axes with units and
returns ``(fig, ax)`` so panels compose; nothing here displays a figure itself.

- :mod:`~audiokit.plots.core`: waveforms, spectrograms, features, filterbanks, ``audio``.
- :mod:`~audiokit.plots.results`: training history, confusion matrices, probabilities,
  embeddings.
- :mod:`~audiokit.plots.lessons`: the figures of the lessons' experiments
  (:mod:`audiokit.lessons`).

Everything is importable from ``audiokit.plots`` itself.

Notebook: all
"""

from __future__ import annotations

from audiokit.plots.core import (
    BROWSER_SAFE_RATES,
    audio,
    plot_features,
    plot_filterbank,
    plot_spectrogram,
    plot_waveform,
)
from audiokit.plots.lessons import (
    plot_augmentation,
    plot_mel,
    plot_resampling,
    plot_sampling,
    plot_stft,
    plot_voices,
)
from audiokit.plots.results import (
    plot_confusion_matrix,
    plot_embeddings,
    plot_history,
    plot_probabilities,
    project_2d,
)

__all__ = [
    "BROWSER_SAFE_RATES",
    "audio",
    "plot_augmentation",
    "plot_confusion_matrix",
    "plot_embeddings",
    "plot_features",
    "plot_filterbank",
    "plot_history",
    "plot_mel",
    "plot_probabilities",
    "plot_resampling",
    "plot_sampling",
    "plot_spectrogram",
    "plot_stft",
    "plot_voices",
    "plot_waveform",
    "project_2d",
]
