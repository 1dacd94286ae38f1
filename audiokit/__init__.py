"""audiokit: learn audio classification by doing it.

The package is small on purpose; each module holds one concern:

- :mod:`audiokit.io` reads, writes and resamples audio files.
- :mod:`audiokit.signals` makes teaching signals (sines, chirps, quantisation).
- :mod:`audiokit.features` is the one feature front-end (``FeatureExtractor``).
- :mod:`audiokit.plots` and :mod:`audiokit.widgets` draw and explore.
- :mod:`audiokit.datasets` and :mod:`audiokit.augment` feed the training loop.
- :mod:`audiokit.models` holds every backbone behind one registry.
- :mod:`audiokit.train`, :mod:`audiokit.evaluate` and :mod:`audiokit.predict` train and use models.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
