"""Checkpoints: atomic save, safe load, and rebuilding the model + front-end from one.

A checkpoint is a plain dict of tensors and Python types (the format is fixed by
:data:`CHECKPOINT_FORMAT` / :data:`CHECKPOINT_VERSION`). It is self-describing: model name,
preset and overrides, feature settings, class names and the whole config, so anything that
rebuilds a run reads it from here, not from defaults. It is written atomically and read with
``torch.load(weights_only=True)``, so loading one never executes code.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from audiokit.train.config import ConfigError
from audiokit.train.distributed import resolve_device

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "CheckpointError", "build_from_checkpoint",
           "build_model", "check_resumable", "load_checkpoint", "save_checkpoint"]

CHECKPOINT_FORMAT = "audiokit-checkpoint"
CHECKPOINT_VERSION = 1

REQUIRED_KEYS = ("format", "version", "model_name", "model_preset", "model_overrides",
                 "num_classes", "n_features", "feature_config", "classes", "config",
                 "model_state", "epoch")


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, corrupt, unsafe, or does not fit the run."""


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write a checkpoint dict atomically (temp file in the same folder, then ``os.replace``).

    Notebook: 06_pipeline_and_training_loop
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Read and validate an audiokit checkpoint without executing any code in it.

    Uses ``torch.load(weights_only=True)``: only tensors and plain Python types are accepted, so
    a file that smuggles in a pickled object fails to load instead of running it.

    Raises
    ------
    CheckpointError
        Missing file, corrupt / truncated file, unsafe content, or not an audiokit checkpoint;
        the message names the file.

    Notebook: 15_inference_and_deployment
    """
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{p}: checkpoint not found")
    if p.is_dir():
        raise CheckpointError(f"{p}: is a directory; pass the checkpoint file (e.g. {p / 'best.pt'})")
    try:
        ck = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not a readable checkpoint"
        raise _unreadable(p, exc) from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{p}: not an audiokit checkpoint (no '{CHECKPOINT_FORMAT}' marker)")
    missing = [k for k in REQUIRED_KEYS if k not in ck]
    if missing:
        raise CheckpointError(f"{p}: incomplete audiokit checkpoint, missing {', '.join(missing)}")
    if int(ck["version"]) > CHECKPOINT_VERSION:
        raise CheckpointError(f"{p}: checkpoint version {ck['version']} is newer than this audiokit "
                              f"supports ({CHECKPOINT_VERSION}); upgrade audiokit")
    return ck


def _unreadable(p: Path, exc: Exception) -> CheckpointError:
    """The error for a file ``torch.load`` refused: unsafe content, or corrupt / truncated."""
    import pickle

    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = str(exc).lower()
    if isinstance(exc, pickle.UnpicklingError) and ("unsupported global" in text
                                                    or "global" in text and "blocked" in text):
        return CheckpointError(
            f"{p}: refused to load: the file contains Python objects other than tensors and "
            f"plain types (it could run code), so it is not a safe audiokit checkpoint")
    return CheckpointError(f"{p}: not a readable checkpoint (corrupt or truncated file: {msg})")


def build_model(name: str, preset: str | None, num_classes: int, n_features: int,
                overrides: dict | None) -> torch.nn.Module:
    """A registry model; an unknown name is a :class:`ConfigError` listing the available ones.

    ``preset`` ``None``, ``""`` or ``"default"`` means the model's default size.

    Notebook: 06_pipeline_and_training_loop
    """
    from audiokit import models

    if name not in models.available():
        raise ConfigError(f"unknown model {name!r}; available: {', '.join(models.available())}")
    preset = None if preset in (None, "", "default") else preset
    return models.build(name, num_classes=num_classes, n_features=n_features, preset=preset,
                        **(overrides or {}))


def build_from_checkpoint(path_or_ckpt: str | os.PathLike | dict,
                          device: str | torch.device = "cpu") -> tuple:
    """Rebuild ``(model, extractor, classes)`` from a checkpoint, in eval mode on ``device``.

    The model comes from the saved name / preset / overrides and weights, the extractor from the
    saved feature settings, so inference uses exactly the training front-end.

    Notebook: 15_inference_and_deployment
    """
    from audiokit.features import FeatureExtractor

    ck = path_or_ckpt if isinstance(path_or_ckpt, dict) else load_checkpoint(path_or_ckpt)
    dev = resolve_device(device) if isinstance(device, str) else device
    model = build_model(ck["model_name"], ck["model_preset"], int(ck["num_classes"]),
                        int(ck["n_features"]), ck["model_overrides"])
    try:
        model.load_state_dict(ck["model_state"])
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint weights do not fit model {ck['model_name']!r}: "
                              f"{str(exc).splitlines()[0]}") from None
    extractor = FeatureExtractor.from_config(dict(ck["feature_config"]))
    return model.to(dev).eval(), extractor.to(dev).eval(), list(ck["classes"])


def check_resumable(ck: dict, path: Path, model: tuple[str, str, dict], classes: list[str],
                    feature_config: dict) -> None:
    """Refuse to resume ``ck`` with another model, other classes or other feature settings.

    Parameters
    ----------
    ck : dict
        The run's ``last.pt`` (from :func:`load_checkpoint`).
    path : pathlib.Path
        Its file, named in the error.
    model : tuple
        ``(name, preset, overrides)`` this config asks for.
    classes : list of str
        The class names of this config's data.
    feature_config : dict
        This config's ``FeatureExtractor.config()``. The saved settings are compared after
        filling in defaults of settings added since the run was saved.

    Raises
    ------
    CheckpointError
        Naming what the run was trained with and what this config asks for.

    Notebook: 06_pipeline_and_training_loop
    """
    theirs = (ck["model_name"], ck["model_preset"], dict(ck["model_overrides"]))
    if tuple(model) != theirs:
        raise CheckpointError(
            f"{path}: cannot resume: the run was trained with model "
            f"{theirs[0]!r} (preset {theirs[1]!r}, overrides {theirs[2]}), this config asks for "
            f"{model[0]!r} (preset {model[1]!r}, overrides {model[2]})")
    if int(ck["num_classes"]) != len(classes) or list(ck["classes"]) != list(classes):
        raise CheckpointError(
            f"{path}: cannot resume: the run has {ck['num_classes']} classes "
            f"{list(ck['classes'])}, this data has {len(classes)} {list(classes)}")
    if _saved_features(ck) != feature_config:
        raise CheckpointError(f"{path}: cannot resume: feature settings differ from "
                              f"the run's ({ck['feature_config']})")


def _saved_features(ck: dict) -> dict:
    """The checkpoint's feature settings as today's ``FeatureExtractor.config()`` spells them."""
    from audiokit.features import FeatureExtractor

    try:
        return FeatureExtractor.from_config(dict(ck["feature_config"])).config()
    except (TypeError, ValueError):
        return dict(ck["feature_config"])  # settings this version cannot build: compare as saved
