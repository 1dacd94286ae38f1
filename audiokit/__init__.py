"""audiokit: learn audio classification by doing it.

The package is small on purpose; each module (or package) holds one concern, and dependencies point
one way (io/signals <- features <- datasets/augment <- models <- train/evaluate/predict <- cli/widgets):

- :mod:`audiokit.io` reads, writes, resamples and trims audio files; :mod:`audiokit.signals` makes
  teaching signals and holds the signal math of the first lessons.
- :mod:`audiokit.features` is the one feature front-end (``FeatureExtractor``, returns a tensor).
- :mod:`audiokit.plots` draws; :mod:`audiokit.lessons` computes the notebooks' demos.
- :mod:`audiokit.datasets` (dataset, cache, shipped sets, layouts, splits, batching) and
  :mod:`audiokit.augment` (waveform, channel, room, noise, pitch, spectral) feed the training loop.
- :mod:`audiokit.models` holds every backbone behind one registry; :mod:`audiokit.pretrained`
  converts official PANNs checkpoints into ours.
- :mod:`audiokit.train` (config, recipes, data, checkpoint, finetune, distributed, fastpath, optim,
  loop, monitor, run) trains; :mod:`audiokit.evaluate`, :mod:`audiokit.robustness` and
  :mod:`audiokit.crossval` judge; :mod:`audiokit.predict` (with :mod:`audiokit.preprocess` and
  :mod:`audiokit.streaming`) and :mod:`audiokit.export` serve.
- :mod:`audiokit.widgets`, :mod:`audiokit.recorder` and :mod:`audiokit.live` are the notebook
  front-ends (explorers, the browser microphone); :mod:`audiokit.cli` and :mod:`audiokit.mic` the
  terminal ones; :mod:`audiokit.exercises` checks the notebooks' exercises and
  :mod:`audiokit.course` runs the notebooks and renders them as a static site.

DESIGN.md (at the repository's root) holds the path of one clip, the invariants and the module map.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
