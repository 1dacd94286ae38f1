"""Builders of the datasets shipped in ``data/`` (maintainer tool, run by ``data/make_datasets.py``).

One module per job: ``common`` (audio processing, FLAC, metadata, package versions), ``tts``
(espeak-ng / flite / festival front-ends), ``spoken_digits`` and ``spoken_digits_real`` (the
digit sets), ``drum_sources`` (sample-based drum sources), ``drum_render`` (General-MIDI
soundfonts rendered note by note, with near-duplicate removal), ``drum_hits`` (the drum set,
its family split and README).

Notebook: 05_datasets_and_augmentation
"""
