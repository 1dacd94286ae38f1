"""The training loop: one loop for notebooks, the command line and multi-GPU runs.

A clip walks this path on every step (see DESIGN.md)::

    waveforms (B, samples) --.to(device)--> waveform augmentation (training only)
      --FeatureExtractor--> features (B, frames, F), frame lengths
      --SpecAugment (training only)--> model(features, frame_lengths) --> logits --> loss

``fit(config)`` runs it, evaluates the validation split after every epoch with
sample-weighted metrics, keeps ``best.pt`` and ``last.pt`` in ``config.out_dir`` and returns a
:class:`Run`. Checkpoints are plain dicts of tensors and Python types, written atomically and
read with ``torch.load(weights_only=True)``, so loading one never executes code.

One concern per module:

- :mod:`~audiokit.train.config`: :class:`TrainConfig` and its sections, YAML / JSON, recipes
- :mod:`~audiokit.train.data`: data specs -> datasets and splits, loaders, augmentation
- :mod:`~audiokit.train.checkpoint`: save / safe load, rebuild model + front-end from a checkpoint
- :mod:`~audiokit.train.rundir`: the run folder (holds a run? next free name, resume or refuse)
- :mod:`~audiokit.train.seeding`: seeds derived from (seed, epoch), RNG state for exact resume
- :mod:`~audiokit.train.distributed`: device choice, process group, samplers, reductions
- :mod:`~audiokit.train.optim`: optimiser, learning-rate schedule, mixed precision
- :mod:`~audiokit.train.loop`: the :class:`~audiokit.train.loop.Trainer` (state and steps)
- :mod:`~audiokit.train.monitor`: progress bar or epoch lines, history.csv, TensorBoard, live plot
- :mod:`~audiokit.train.run`: :func:`fit` and :class:`Run`

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

from audiokit.train.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    CheckpointError,
    build_from_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from audiokit.train.config import ConfigError, DataConfig, ModelConfig, TrainConfig
from audiokit.train.data import BUILTIN_DATA, DATA_KINDS, build_datasets, parse_data_spec
from audiokit.train.distributed import cleanup_distributed, is_main_process, resolve_device
from audiokit.train.recipes import RECIPES, recipe
from audiokit.train.run import Run, fit
from audiokit.train.rundir import holds_run, next_free_run_dir

__all__ = [
    "BUILTIN_DATA",
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "DATA_KINDS",
    "RECIPES",
    "CheckpointError",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "Run",
    "TrainConfig",
    "build_datasets",
    "build_from_checkpoint",
    "cleanup_distributed",
    "fit",
    "holds_run",
    "is_main_process",
    "load_checkpoint",
    "next_free_run_dir",
    "parse_data_spec",
    "recipe",
    "resolve_device",
    "save_checkpoint",
]
