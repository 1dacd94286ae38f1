"""The training loop: one loop for notebooks, the command line and multi-GPU runs.

A clip walks this path on every step (see DESIGN.md)::

    waveforms (B, samples) --.to(device)--> waveform augmentation (training only)
      --FeatureExtractor--> features (B, frames, F), frame lengths
      --SpecAugment (training only)--> model(features, frame_lengths) --> logits --> loss

``fit(config)`` runs it, evaluates the validation split after every epoch with
sample-weighted metrics, keeps ``best.pt`` and ``last.pt`` in ``config.out_dir`` and returns a
:class:`Run`. Checkpoints are plain dicts of tensors and Python types, written atomically and
read with ``torch.load(weights_only=True)``, so loading one never executes code.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import random
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from audiokit import metrics as M

__all__ = [
    "RECIPES",
    "CheckpointError",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "Run",
    "TrainConfig",
    "build_datasets",
    "build_from_checkpoint",
    "fit",
    "load_checkpoint",
    "recipe",
    "resolve_device",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "audiokit-checkpoint"
CHECKPOINT_VERSION = 1
BUILTIN_DATA = ("spoken_digits", "spoken_digits_real", "drum_hits")
DATA_KINDS = ("folder", "list", "esc50", "urbansound8k")


class ConfigError(ValueError):
    """A training configuration is invalid; the message names the key and the valid choices."""


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, corrupt, unsafe, or does not fit the run."""


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


@dataclass
class ModelConfig:
    """Which backbone to build: a registry ``name``, a ``preset`` and keyword ``overrides``."""

    name: str = "tdnn"
    preset: str = "tiny"
    overrides: dict = field(default_factory=dict)


@dataclass
class DataConfig:
    """Where the clips come from and how they are split.

    Attributes
    ----------
    spec : str
        ``"spoken_digits"``, ``"drum_hits"``, ``"folder:PATH"``, ``"list:PATH"``,
        ``"esc50:PATH"`` or ``"urbansound8k:PATH"``. Built-in sets use their metadata splits.
    valid_fraction, test_fraction : float
        Folder / list data: fractions of *groups* (speakers, kits, ... or files when there are
        no groups) held out for validation and test by ``split_by_group``.
    split_seed : int
        Seed of that split (independent of the training seed).
    train_folds, valid_folds, test_folds : list of int
        ESC-50 / UrbanSound8K official folds for each split (empty = the usual default:
        ESC-50 1-3 / 4 / 5, UrbanSound8K 1-8 / 9 / 10).
    group_by : str
        Folder / list data: what keeps recordings together across the split. ``""`` (default):
        each file is its own group. ``"parent"``: the folder a file sits in (e.g.
        ``root/dog/session3/clip.wav`` -> ``session3``). Any other value is a regular expression
        whose first capture group, searched in the file name, is the key (e.g. ``"^([^_]+)_"``
        for ``speakerA_001.wav``); a file it does not match is an error naming the file.
    max_train_clips, max_eval_clips : int
        Cap the training / validation+test splits at this many clips (0 = all), keeping the
        class balance (a seeded, class-stratified subset). For quick experiments and CI runs.
    """

    spec: str = "spoken_digits"
    valid_fraction: float = 0.15
    test_fraction: float = 0.15
    split_seed: int = 0
    train_folds: list = field(default_factory=list)
    valid_folds: list = field(default_factory=list)
    test_folds: list = field(default_factory=list)
    group_by: str = ""
    max_train_clips: int = 0
    max_eval_clips: int = 0


@dataclass
class TrainConfig:
    """Everything one training run needs; every field has a default.

    Attributes
    ----------
    model : ModelConfig
        Backbone name, preset and overrides.
    features : dict
        ``FeatureExtractor`` constructor arguments (its ``config()`` dict; missing keys take
        the extractor's defaults).
    data : DataConfig
        Dataset spec and split settings.
    duration : float
        Training crop length in seconds (clips are randomly cropped / padded to it).
    batch_size : int
        Clips per step (per process under DDP).
    epochs : int
        Passes over the training split.
    optimizer : str
        ``"adamw"`` (default), ``"adam"`` or ``"sgd"`` (momentum 0.9, Nesterov).
    lr, weight_decay : float
        Peak learning rate and decoupled weight decay.
    warmup_epochs : float
        Linear warm-up length in epochs; a cosine decay to 0 follows, stepped per batch.
    label_smoothing : float
        Cross-entropy label smoothing in [0, 1).
    augment : dict
        ``{"waveform": {"gain": {...}, "noise": {...}, ...}, "spec": {"specaugment": {...}},
        "mixup": {"alpha": 0.2}}`` passed to ``augment.build_waveform_augment`` /
        ``build_spec_augment`` / ``build_mixup``; empty = no augmentation.
    amp : str
        ``"auto"`` (bf16 on CUDA, off elsewhere), ``"bf16"``, ``"fp16"`` (with GradScaler) or
        ``"off"``.
    compile : bool
        Wrap the model in ``torch.compile`` (opt-in).
    grad_clip : float
        Max gradient norm (0 disables clipping).
    seed : int
        Seeds weights, data order, crops, augmentation and dropout.
    device : str
        ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.
    num_workers : int
        DataLoader worker processes.
    out_dir : str
        Run directory for ``best.pt``, ``last.pt``, ``config.yaml``, ``history.csv``.
    log_interval : int
        Steps between progress-bar updates (the only host syncs during an epoch).
    tensorboard : bool
        Also write TensorBoard logs to ``out_dir/tb`` when tensorboard is installed.

    Notebook: 06_pipeline_and_training_loop
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    features: dict = field(default_factory=lambda: {"kind": "log_mel", "n_mels": 40})
    data: DataConfig = field(default_factory=DataConfig)
    duration: float = 1.0
    batch_size: int = 32
    epochs: int = 10
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float = 1e-2
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.0
    augment: dict = field(default_factory=dict)
    amp: str = "auto"
    compile: bool = False
    grad_clip: float = 5.0
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0
    out_dir: str = "runs/audiokit"
    log_interval: int = 10
    tensorboard: bool = False

    # -- (de)serialisation -----------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain nested dict (JSON/YAML-serialisable)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> TrainConfig:
        """Build a config from a nested dict; unknown keys raise :class:`ConfigError`."""
        return _from_dict(cls, d or {}, "")

    def save(self, path: str | os.PathLike) -> None:
        """Write the config as YAML (``.yaml`` / ``.yml``) or JSON (any other suffix)."""
        path = Path(path)
        text = _dump(self.to_dict(), path.suffix)
        _atomic_write_text(path, text)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TrainConfig:
        """Read a YAML or JSON config file (see :meth:`from_dict`)."""
        return cls.from_dict(_read_mapping(path))

    def replace(self, **changes: Any) -> TrainConfig:
        """Copy with changes; dotted keys reach into sections (``{"model.name": "ecapa_tdnn"}``)."""
        d = self.to_dict()
        for key, value in changes.items():
            _set_dotted(d, key.replace("__", "."), value)
        return TrainConfig.from_dict(d)


_SECTIONS = {"model": ModelConfig, "data": DataConfig}


def _from_dict(cls, d: dict, prefix: str):
    if not isinstance(d, dict):
        raise ConfigError(f"config section {prefix.rstrip('.') or '<root>'!r} must be a mapping, "
                          f"got {type(d).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in d if k not in names]
    if unknown:
        raise ConfigError(
            f"unknown config key {prefix + str(unknown[0])!r}; valid keys"
            f"{' in ' + repr(prefix.rstrip('.')) if prefix else ''}: {', '.join(names)}"
        )
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in d:
            continue
        value = d[f.name]
        sub = _SECTIONS.get(f.name) if cls is TrainConfig else None
        if sub is not None:
            value = value if isinstance(value, sub) else _from_dict(sub, value or {}, f"{f.name}.")
        elif f.name in ("features", "augment", "overrides") and value is None:
            value = {}
        kwargs[f.name] = value
    return cls(**kwargs)


def _set_dotted(d: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {}
        d = d[p]
    d[parts[-1]] = value


def _dump(d: dict, suffix: str) -> str:
    if suffix.lower() in (".yaml", ".yml"):
        import yaml

        return yaml.safe_dump(d, sort_keys=False)
    return json.dumps(d, indent=2) + "\n"


def _read_mapping(path: str | os.PathLike) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    text = p.read_text()
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            d = yaml.safe_load(text)
        else:
            d = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError, json.JSONDecodeError
        raise ConfigError(f"{p}: not valid {p.suffix.lstrip('.') or 'JSON'} ({exc})") from None
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise ConfigError(f"{p}: a config file must hold a mapping of keys, got {type(d).__name__}")
    return d


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------
# Default recipes
# ---------------------------------------------------------------------------------------------

RECIPES: dict[str, dict] = {
    "spoken_digits": {
        "model": {"name": "tdnn", "preset": "tiny", "overrides": {}},
        "features": {"kind": "log_mel", "n_mels": 40, "normalize": "cmn"},
        "data": {"spec": "spoken_digits"},
        "duration": 1.0,
        "batch_size": 32,
        "epochs": 12,
        "lr": 3e-3,
        "weight_decay": 1e-2,
        "warmup_epochs": 1.0,
        "label_smoothing": 0.05,
        "augment": {
            "waveform": {"gain": {"p": 0.5}, "noise": {"p": 0.5}, "shift": {"p": 0.5}},
            "spec": {"specaugment": {"p": 0.5}},
        },
        "out_dir": "runs/spoken_digits",
    },
    # Drums: a 2-D CNN and no CMN. A drum hit's average spectrum *is* its identity (a kick is
    # low, a hihat high); per-clip mean normalisation removes exactly that. Chosen on the
    # validation kits: resnet_se tiny 0.87-0.93 valid vs tdnn + CMN 0.69-0.81.
    "drum_hits": {
        "model": {"name": "resnet_se", "preset": "tiny", "overrides": {}},
        "features": {"kind": "log_mel", "n_mels": 40, "normalize": None},
        "data": {"spec": "drum_hits"},
        "duration": 1.0,
        "batch_size": 32,
        "epochs": 20,
        "lr": 3e-3,
        "weight_decay": 1e-2,
        "warmup_epochs": 1.0,
        "label_smoothing": 0.05,
        "augment": {
            "waveform": {"gain": {"p": 0.5}, "noise": {"p": 0.3}},
            "spec": {"specaugment": {"p": 0.5}},
        },
        "out_dir": "runs/drum_hits",
    },
}


def recipe(name: str = "spoken_digits", **changes: Any) -> TrainConfig:
    """The default :class:`TrainConfig` for a shipped dataset, with optional changes.

    Parameters
    ----------
    name : str
        ``"spoken_digits"`` or ``"drum_hits"`` (``recipes/<name>.yaml`` holds the same values).
    **changes
        Dotted keys as in :meth:`TrainConfig.replace` (``epochs=2``, ``model__name="ecapa_tdnn"``).

    Notebook: 06_pipeline_and_training_loop
    """
    if name not in RECIPES:
        raise ConfigError(f"no recipe named {name!r}; available: {', '.join(RECIPES)}")
    return TrainConfig.from_dict(json.loads(json.dumps(RECIPES[name]))).replace(**changes)


# ---------------------------------------------------------------------------------------------
# Devices and distributed helpers
# ---------------------------------------------------------------------------------------------


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available, then MPS, then CPU; anything else is checked and returned.

    Notebook: 06_pipeline_and_training_loop
    """
    device = str(device or "auto")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device {device!r} is not valid; use auto, cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError(f"device {device!r} requested but MPS is not available; use --device cpu")
    return dev


@dataclass
class _Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _setup_distributed(device: torch.device | None, requested: str) -> tuple[_Dist, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist(), device if device is not None else resolve_device(requested)
    import torch.distributed as dist

    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(requested)
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    created = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
        created = True
    return _Dist(rank, world, local_rank, created), dev


def _all_reduce_(t: torch.Tensor, d: _Dist) -> torch.Tensor:
    if d.enabled:
        import torch.distributed as dist

        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


class _ShardSampler(torch.utils.data.Sampler):
    """Evaluation shard ``indices[rank::world]``: no padding, no duplicates, so summed counts
    across ranks equal the single-process counts exactly."""

    def __init__(self, n: int, rank: int, world: int):
        self.idx = list(range(rank, n, world))

    def __iter__(self):
        return iter(self.idx)

    def __len__(self) -> int:
        return len(self.idx)


class _EpochSampler(torch.utils.data.Sampler):
    """Shuffled order of one epoch, derived only from (seed, epoch) so resume is exact."""

    def __init__(self, n: int, seed: int, epoch: int):
        self.n, self.seed, self.epoch = n, seed, epoch

    def __iter__(self):
        g = torch.Generator().manual_seed(_derive_seed(self.seed, self.epoch))
        return iter(torch.randperm(self.n, generator=g).tolist())

    def __len__(self) -> int:
        return self.n


def _derive_seed(seed: int, epoch: int, salt: int = 0) -> int:
    return (int(seed) * 1_000_003 + int(epoch) * 7919 + salt * 104_729) % (2**63 - 1)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def parse_data_spec(spec: str) -> tuple[str, str | None]:
    """Split ``"kind:PATH"`` into (kind, path); built-in names return (name, None).

    Notebook: 16_your_own_data
    """
    spec = str(spec)
    if spec in BUILTIN_DATA:
        return spec, None
    kind, sep, path = spec.partition(":")
    if not sep or kind not in DATA_KINDS or not path:
        raise ConfigError(
            f"data spec {spec!r} not understood; use one of {', '.join(BUILTIN_DATA)} or "
            f"{', '.join(k + ':PATH' for k in DATA_KINDS)}"
        )
    if not Path(path).expanduser().exists():
        raise FileNotFoundError(f"{path}: data path does not exist (from --data {spec})")
    return kind, str(Path(path).expanduser())


def build_datasets(data: DataConfig, sample_rate: int = 16000) -> dict[str, Any]:
    """Build the ``train``, ``valid`` and ``test`` datasets for a :class:`DataConfig`.

    Built-in sets use their metadata splits; ESC-50 / UrbanSound8K use official folds; folders
    and lists are split by group (speaker, kit, ...) with ``data.split_seed`` so no group is in
    two splits.

    Returns
    -------
    dict
        ``{"train": AudioDataset, "valid": AudioDataset, "test": AudioDataset}`` (valid / test may
        be None when a split is empty).

    Notebook: 16_your_own_data
    """
    splits = _build_splits(data, sample_rate)
    caps = {"train": data.max_train_clips, "valid": data.max_eval_clips, "test": data.max_eval_clips}
    return {s: _cap(ds, caps[s], data.split_seed) if ds is not None else None
            for s, ds in splits.items()}


def _cap(dataset, max_clips: int, seed: int):
    """A seeded, class-stratified subset of at most ``max_clips`` clips (0 = no cap)."""
    if not max_clips or len(dataset) <= max_clips:
        return dataset
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[int]] = {}
    for i, label in enumerate(dataset.labels):
        by_class.setdefault(int(label), []).append(i)
    queues = [list(rng.permutation(idx)) for _, idx in sorted(by_class.items())]
    chosen: list[int] = []
    while len(chosen) < max_clips:  # round-robin over classes keeps the balance
        for q in queues:
            if q and len(chosen) < max_clips:
                chosen.append(int(q.pop()))
    return dataset.subset(sorted(chosen))


def _build_splits(data: DataConfig, sample_rate: int) -> dict[str, Any]:
    from audiokit import datasets as D

    kind, path = parse_data_spec(data.spec)
    sr = int(sample_rate)
    if kind in BUILTIN_DATA:
        if kind == "spoken_digits_real":
            raise ConfigError("spoken_digits_real is a test-only set (all clips are 'test'); "
                              "train on spoken_digits and evaluate on spoken_digits_real")
        return {s: D.load_builtin(kind, split=s, sample_rate=sr) for s in ("train", "valid", "test")}
    if kind in ("esc50", "urbansound8k"):
        defaults = {"esc50": ([1, 2, 3], [4], [5]), "urbansound8k": (list(range(1, 9)), [9], [10])}[kind]
        folds = [data.train_folds or defaults[0], data.valid_folds or defaults[1],
                 data.test_folds or defaults[2]]
        fn = getattr(D, kind)
        return {s: fn(path, folds=list(f), sample_rate=sr)
                for s, f in zip(("train", "valid", "test"), folds)}
    full = D.from_folder(path, sample_rate=sr) if kind == "folder" else D.from_list(path, sample_rate=sr)
    return _split(full, data)


def _split(full, data: DataConfig) -> dict[str, Any]:
    from audiokit import datasets as D

    fr = (1.0 - data.valid_fraction - data.test_fraction, data.valid_fraction, data.test_fraction)
    groups = _group_keys(full, data.group_by)
    train, valid, test = D.split_by_group(full, fractions=fr, seed=data.split_seed, groups=groups)
    return {"train": train, "valid": valid if len(valid) else None, "test": test if len(test) else None}


def _group_keys(full, group_by: str) -> list[str] | None:
    """One group key per item of a folder / list dataset (see ``DataConfig.group_by``)."""
    import re

    paths = [Path(p) for p, _ in full.items]
    if not group_by:
        # Without group keys every file is its own group (a plain random split by file).
        return None if full.groups is not None else [str(p) for p in paths]
    if group_by == "parent":
        return [p.parent.name for p in paths]
    try:
        pattern = re.compile(group_by)
    except re.error as err:
        raise ConfigError(f"data.group_by: {group_by!r} is not a valid regular expression ({err})")
    if pattern.groups < 1:
        raise ConfigError(f"data.group_by: {group_by!r} needs a capture group, e.g. '^([^_]+)_'")
    keys = []
    for p in paths:
        m = pattern.search(p.name)
        if m is None or m.group(1) is None:
            raise ConfigError(f"{p}: data.group_by pattern {group_by!r} does not match this file name")
        keys.append(m.group(1))
    return keys


def _sample_rate_of(features: dict) -> int:
    return int(features.get("sample_rate", 16000))


def _make_loader(dataset, batch_size: int, *, train: bool, duration: float, seed: int,
                 num_workers: int, sampler, pin: bool, drop_last: bool = False):
    """A DataLoader over ``dataset`` with the datasets module's ``Collate``."""
    from audiokit import datasets as D

    collate = D.Collate(duration if train else None, mode="random" if train else "full",
                        sample_rate=dataset.sample_rate, seed=seed)
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, shuffle=False,
        collate_fn=collate, num_workers=num_workers, pin_memory=pin,
        drop_last=drop_last, persistent_workers=False,
        generator=torch.Generator().manual_seed(seed),
    )


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------

_REQUIRED_KEYS = ("format", "version", "model_name", "model_preset", "model_overrides",
                  "num_classes", "n_features", "feature_config", "classes", "config",
                  "model_state", "epoch")


def _rng_state() -> dict:
    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "python": {"version": int(py_state[0]), "state": list(py_state[1]),
                   "gauss_next": py_state[2]},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        try:
            torch.cuda.set_rng_state_all(state["cuda"])
        except RuntimeError:
            pass  # different GPU count: CUDA streams are reseeded per epoch anyway


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
        import pickle

        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        text = str(exc).lower()
        if isinstance(exc, pickle.UnpicklingError) and ("unsupported global" in text
                                                        or "global" in text and "blocked" in text):
            raise CheckpointError(
                f"{p}: refused to load: the file contains Python objects other than tensors and "
                f"plain types (it could run code), so it is not a safe audiokit checkpoint"
            ) from None
        raise CheckpointError(f"{p}: not a readable checkpoint (corrupt or truncated file: {msg})") from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{p}: not an audiokit checkpoint (no '{CHECKPOINT_FORMAT}' marker)")
    missing = [k for k in _REQUIRED_KEYS if k not in ck]
    if missing:
        raise CheckpointError(f"{p}: incomplete audiokit checkpoint, missing {', '.join(missing)}")
    if int(ck["version"]) > CHECKPOINT_VERSION:
        raise CheckpointError(f"{p}: checkpoint version {ck['version']} is newer than this audiokit "
                              f"supports ({CHECKPOINT_VERSION}); upgrade audiokit")
    return ck


def _build_model(name: str, preset: str, num_classes: int, n_features: int, overrides: dict):
    from audiokit import models

    if name not in models.available():
        raise ConfigError(f"unknown model {name!r}; available: {', '.join(models.available())}")
    preset = None if preset in (None, "", "default") else preset
    return models.build(name, num_classes=num_classes, n_features=n_features, preset=preset,
                        **(overrides or {}))


def build_from_checkpoint(path_or_ckpt, device: str | torch.device = "cpu"):
    """Rebuild ``(model, extractor, classes)`` from a checkpoint, in eval mode on ``device``.

    The model comes from the saved name / preset / overrides and weights, the extractor from the
    saved feature settings, so inference uses exactly the training front-end.

    Notebook: 15_inference_and_deployment
    """
    from audiokit.features import FeatureExtractor

    ck = path_or_ckpt if isinstance(path_or_ckpt, dict) else load_checkpoint(path_or_ckpt)
    dev = resolve_device(device) if isinstance(device, str) else device
    model = _build_model(ck["model_name"], ck["model_preset"], int(ck["num_classes"]),
                         int(ck["n_features"]), ck["model_overrides"])
    try:
        model.load_state_dict(ck["model_state"])
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint weights do not fit model {ck['model_name']!r}: "
                              f"{str(exc).splitlines()[0]}") from None
    extractor = FeatureExtractor.from_config(dict(ck["feature_config"]))
    return model.to(dev).eval(), extractor.to(dev).eval(), list(ck["classes"])


# ---------------------------------------------------------------------------------------------
# Augmentation wiring
# ---------------------------------------------------------------------------------------------


def _build_augment(cfg: dict, sample_rate: int, num_classes: int):
    """(waveform_aug, spec_aug, mixup) from the ``augment`` dict; missing parts are None.

    The transforms draw from torch's global generator, which the loop seeds from
    (seed, epoch) and saves in checkpoints, so augmentation is repeatable and resumable.
    """
    cfg = dict(cfg or {})
    unknown = [k for k in cfg if k not in ("waveform", "spec", "mixup")]
    if unknown:
        raise ConfigError(f"unknown augment key {unknown[0]!r}; valid keys: waveform, spec, mixup")
    if not any(cfg.values()):
        return None, None, None
    from audiokit import augment as A

    try:
        wave = A.build_waveform_augment(cfg["waveform"], sample_rate=sample_rate) if cfg.get("waveform") else None
        spec = A.build_spec_augment(cfg["spec"]) if cfg.get("spec") else None
        mix = A.build_mixup({"mixup": cfg["mixup"]}, num_classes) if cfg.get("mixup") else None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"augment: {exc}") from None
    return wave, spec, mix


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What :func:`fit` returns.

    Attributes
    ----------
    history : list of dict
        One dict per epoch: epoch, step, lr, train_loss, train_acc, valid_loss, valid_acc,
        valid_f1, time_s.
    best_checkpoint, last_checkpoint : pathlib.Path
        ``out_dir/best.pt`` (highest validation accuracy) and ``out_dir/last.pt``.
    model : torch.nn.Module
        The trained model (final weights, eval mode, unwrapped from DDP / compile).
    extractor : FeatureExtractor
        The feature front-end used in training.
    classes : list of str
    out_dir : pathlib.Path
    config : TrainConfig
    interrupted : str or None
        ``"SIGINT"`` / ``"SIGTERM"`` when training stopped early on a signal.

    Notebook: 06_pipeline_and_training_loop
    """

    history: list
    best_checkpoint: Path
    last_checkpoint: Path
    model: torch.nn.Module
    extractor: torch.nn.Module
    classes: list
    out_dir: Path
    config: TrainConfig
    interrupted: str | None = None
    _stop_requested: bool = False

    def request_stop(self) -> None:
        """Ask the loop to stop after the current epoch (e.g. from a callback: early stopping).

        ``last.pt`` of that epoch is complete, so ``fit(..., resume=True)`` continues exactly."""
        self._stop_requested = True

    def plot_history(self, ax=None):
        """Loss / accuracy curves via ``audiokit.plots.plot_history``."""
        from audiokit.plots import plot_history

        return plot_history(self.history, ax=ax)


class _StopFlag:
    """Catches SIGINT / SIGTERM during training: the current step finishes, then we stop."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._old: dict = {}

    def __enter__(self) -> _StopFlag:  # noqa: PYI034
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl-C: stop right now
        self.signal = signal.Signals(signum).name

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _lr_lambda(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    def f(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return f


def _make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    name = cfg.optimizer.lower()
    if name == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                               weight_decay=cfg.weight_decay)
    raise ConfigError(f"unknown optimizer {cfg.optimizer!r}; valid: adamw, adam, sgd")


def _amp_dtype(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    amp = str(cfg.amp).lower()
    if amp not in ("auto", "bf16", "fp16", "off", "false", "none"):
        raise ConfigError(f"amp must be auto, bf16, fp16 or off, got {cfg.amp!r}")
    if device.type != "cuda" or amp in ("off", "false", "none"):
        return None
    return torch.float16 if amp == "fp16" else torch.bfloat16


def _validate(cfg: TrainConfig) -> None:
    if cfg.epochs < 1:
        raise ConfigError(f"epochs must be >= 1, got {cfg.epochs}")
    if cfg.batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {cfg.batch_size}")
    if cfg.duration <= 0:
        raise ConfigError(f"duration must be > 0 seconds, got {cfg.duration}")
    if not 0 <= cfg.label_smoothing < 1:
        raise ConfigError(f"label_smoothing must be in [0, 1), got {cfg.label_smoothing}")
    if cfg.lr <= 0:
        raise ConfigError(f"lr must be > 0, got {cfg.lr}")


class _Trainer:
    """State and steps of one run; :func:`fit` is the public entry point."""

    def __init__(self, cfg: TrainConfig, resume: bool, device: torch.device | None = None):
        from audiokit.features import FeatureExtractor

        _validate(cfg)
        self.cfg = cfg
        self.dist, self.device = _setup_distributed(device, cfg.device)
        self.out_dir = Path(cfg.out_dir)
        self.last_path, self.best_path = self.out_dir / "last.pt", self.out_dir / "best.pt"
        ckpt = self._check_resume(resume)

        self.extractor = FeatureExtractor(**dict(cfg.features)).to(self.device)
        self.sample_rate = self.extractor.sample_rate
        self.data = build_datasets(cfg.data, self.sample_rate)
        self.classes = list(self.data["train"].classes)
        if len(self.data["train"]) == 0:
            raise ConfigError(f"data {cfg.data.spec!r}: the training split is empty")
        self.wave_aug, self.spec_aug, self.mixup = _build_augment(
            cfg.augment, self.sample_rate, len(self.classes))

        _seed_everything(cfg.seed)
        self.model = _build_model(cfg.model.name, cfg.model.preset, len(self.classes),
                                  self.extractor.n_features, cfg.model.overrides).to(self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        self.opt = _make_optimizer(cfg, self.model.parameters())
        self.steps_per_epoch = self._steps_per_epoch()
        total = self.steps_per_epoch * cfg.epochs
        warm = round(cfg.warmup_epochs * self.steps_per_epoch)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, _lr_lambda(total, warm))
        self.amp_dtype = _amp_dtype(cfg, self.device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)

        self.epoch, self.step, self.batch_in_epoch = 0, 0, 0
        self.best_metric, self.history = -math.inf, []
        self._resume_rng = None
        if ckpt is not None:
            self._restore(ckpt)

        self.net: torch.nn.Module = self.model
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DDP(self.model, device_ids=ids)
        if cfg.compile:
            self.net = torch.compile(self.net)

    # -- resume / checkpoints ----------------------------------------------------------------

    def _check_resume(self, resume: bool) -> dict | None:
        if not resume:
            if self.last_path.exists():
                raise CheckpointError(
                    f"{self.out_dir} already holds a training run (last.pt); pass --resume "
                    f"(resume=True) to continue it, or choose another --out directory")
            return None
        if not self.last_path.exists():
            raise CheckpointError(f"--resume: nothing to resume, {self.last_path} does not exist")
        return load_checkpoint(self.last_path)

    def _restore(self, ck: dict) -> None:
        cfg = self.cfg
        mine = (cfg.model.name, cfg.model.preset, dict(cfg.model.overrides))
        theirs = (ck["model_name"], ck["model_preset"], dict(ck["model_overrides"]))
        if mine != theirs:
            raise CheckpointError(
                f"{self.last_path}: cannot resume: the run was trained with model "
                f"{theirs[0]!r} (preset {theirs[1]!r}, overrides {theirs[2]}), this config asks for "
                f"{mine[0]!r} (preset {mine[1]!r}, overrides {mine[2]})")
        if int(ck["num_classes"]) != len(self.classes) or list(ck["classes"]) != self.classes:
            raise CheckpointError(
                f"{self.last_path}: cannot resume: the run has {ck['num_classes']} classes "
                f"{list(ck['classes'])}, this data has {len(self.classes)} {self.classes}")
        if dict(ck["feature_config"]) != self.extractor.config():
            raise CheckpointError(f"{self.last_path}: cannot resume: feature settings differ from "
                                  f"the run's ({ck['feature_config']})")
        self.model.load_state_dict(ck["model_state"])
        self.opt.load_state_dict(ck["optimizer_state"])
        self.sched.load_state_dict(ck["scheduler_state"])
        if ck.get("scaler_state"):
            self.scaler.load_state_dict(ck["scaler_state"])
        self.epoch = int(ck["epoch"])
        self.step = int(ck["step"])
        self.batch_in_epoch = int(ck.get("batch_in_epoch", 0))
        self.best_metric = float(ck.get("best_metric", -math.inf))
        self.history = [dict(h) for h in ck.get("history", [])]
        self._resume_rng = ck.get("rng")

    def _state(self, interrupted: str | None = None) -> dict:
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "model_name": self.cfg.model.name,
            "model_preset": self.cfg.model.preset,
            "model_overrides": dict(self.cfg.model.overrides),
            "num_classes": len(self.classes),
            "n_features": int(self.extractor.n_features),
            "feature_config": self.extractor.config(),
            "classes": list(self.classes),
            "config": self.cfg.to_dict(),
            "model_state": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer_state": self.opt.state_dict(),
            "scheduler_state": self.sched.state_dict(),
            "scaler_state": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "epoch": self.epoch,
            "step": self.step,
            "batch_in_epoch": self.batch_in_epoch,
            "best_metric": float(self.best_metric),
            "history": [dict(h) for h in self.history],
            "rng": _rng_state(),
            "interrupted": interrupted,
            "torch_version": str(torch.__version__),
        }

    # -- data ------------------------------------------------------------------------------

    def _train_sampler(self, epoch: int):
        n = len(self.data["train"])
        if self.dist.enabled:
            from torch.utils.data.distributed import DistributedSampler

            s = DistributedSampler(self.data["train"], num_replicas=self.dist.world_size,
                                   rank=self.dist.rank, shuffle=True, seed=self.cfg.seed)
            s.set_epoch(epoch)
            return s
        return _EpochSampler(n, self.cfg.seed, epoch)

    def _per_rank(self) -> int:
        return math.ceil(len(self.data["train"]) / self.dist.world_size)

    def _drop_last(self) -> bool:
        # a last batch of 1 clip would break BatchNorm; drop the partial batch when there are more
        return self._per_rank() > self.cfg.batch_size

    def _steps_per_epoch(self) -> int:
        per_rank, bs = self._per_rank(), self.cfg.batch_size
        return per_rank // bs if self._drop_last() else 1

    def _loader(self, split: str, epoch: int = 0):
        ds = self.data[split]
        train = split == "train"
        sampler = (self._train_sampler(epoch) if train
                   else _ShardSampler(len(ds), self.dist.rank, self.dist.world_size))
        return _make_loader(ds, self.cfg.batch_size, train=train, duration=self.cfg.duration,
                            seed=_derive_seed(self.cfg.seed, epoch, salt=1 + self.dist.rank),
                            num_workers=self.cfg.num_workers, sampler=sampler,
                            pin=self.device.type == "cuda", drop_last=train and self._drop_last())

    # -- steps -----------------------------------------------------------------------------

    def _features(self, waves, lengths, train: bool):
        waves = waves.to(self.device, non_blocking=True)
        lengths = lengths.to(self.device, non_blocking=True)
        if train and self.wave_aug is not None:
            waves, lengths = self.wave_aug(waves, lengths)
        feats = self.extractor(waves, lengths)
        flen = self.extractor.frame_lengths(lengths)
        if train and self.spec_aug is not None:
            feats, flen = self.spec_aug(feats, flen)
        return feats, flen

    def _autocast(self):
        if self.amp_dtype is None:
            return torch.autocast(self.device.type, enabled=False)
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def train_epoch(self, epoch: int, stop: _StopFlag, bar) -> dict:
        cfg = self.cfg
        self.net.train()
        self.extractor.train()
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        count = torch.zeros((), dtype=torch.int64, device=self.device)
        skip = self.batch_in_epoch
        if skip == 0:  # epoch boundary: the epoch's randomness depends on (seed, epoch) only
            _seed_everything(_derive_seed(cfg.seed, epoch, salt=2 + self.dist.rank))
            self._resume_rng = None
        for i, (waves, labels, lengths) in enumerate(self._loader("train", epoch)):
            if i < skip:
                continue  # resuming mid-epoch: same order, same crops; skip what was done
            if i == skip and self._resume_rng is not None:
                _set_rng_state(self._resume_rng)
                self._resume_rng = None
            labels = labels.to(self.device, non_blocking=True)
            feats, flen = self._features(waves, lengths, train=True)
            targets = labels
            if self.mixup is not None:
                feats, targets, flen = self.mixup(feats, labels, flen)
            with self._autocast():
                logits = self.net(feats, flen)
                loss = F.cross_entropy(logits.float(), targets, label_smoothing=cfg.label_smoothing)
            self.opt.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            if cfg.grad_clip and cfg.grad_clip > 0:
                self.scaler.unscale_(self.opt)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.scaler.step(self.opt)
            self.scaler.update()
            self.sched.step()
            self.step += 1
            self.batch_in_epoch = i + 1
            b = labels.shape[0]
            loss_sum += loss.detach().double() * b
            correct += (logits.detach().argmax(1) == labels).sum()
            count += b
            if bar is not None:
                bar.update(1)
                if self.step % max(1, cfg.log_interval) == 0:
                    n = max(1, int(count))
                    bar.set_postfix(loss=f"{float(loss_sum) / n:.3f}", acc=f"{int(correct) / n:.3f}",
                                    lr=f"{self.sched.get_last_lr()[0]:.2e}")
            if self._should_stop(stop):
                break
        totals = torch.stack([loss_sum, correct.double(), count.double()])
        _all_reduce_(totals, self.dist)
        n = max(1.0, float(totals[2]))
        return {"train_loss": float(totals[0]) / n, "train_acc": float(totals[1]) / n}

    def _should_stop(self, stop: _StopFlag) -> bool:
        if not self.dist.enabled:
            return stop.signal is not None
        if self.step % max(1, self.cfg.log_interval) != 0:
            return False  # ranks agree every log_interval steps (one tiny all_reduce)
        flag = torch.tensor([1.0 if stop.signal else 0.0], device=self.device)
        _all_reduce_(flag, self.dist)
        if float(flag) > 0 and stop.signal is None:
            stop.signal = "SIGTERM"
        return float(flag) > 0

    def _sync_buffers(self) -> None:
        """DDP broadcasts buffers (BatchNorm statistics) before each training forward, so after the
        last step the ranks differ slightly; evaluate (and save) rank 0's, everywhere."""
        if self.dist.enabled:
            import torch.distributed as dist

            for b in self.model.buffers():
                dist.broadcast(b, src=0)

    @torch.inference_mode()
    def evaluate_split(self, split: str) -> dict:
        ds = self.data.get(split)
        if ds is None or len(ds) == 0:
            return {}
        self._sync_buffers()
        self.net.eval()
        self.extractor.eval()
        nc = len(self.classes)
        cm = torch.zeros(nc, nc, dtype=torch.int64, device=self.device)
        loss_sum = torch.zeros(1, dtype=torch.float64, device=self.device)
        for waves, labels, lengths in self._loader(split):
            labels = labels.to(self.device, non_blocking=True)
            feats, flen = self._features(waves, lengths, train=False)
            with self._autocast():
                logits = self.model(feats, flen)
            loss_sum += F.cross_entropy(logits.float(), labels, reduction="sum").double()
            M.update_confusion(cm, labels, logits.argmax(1))
        _all_reduce_(cm, self.dist)
        _all_reduce_(loss_sum, self.dist)
        cm_np = cm.cpu().numpy()
        n = max(1, int(cm_np.sum()))
        return {f"{split}_loss": float(loss_sum) / n, f"{split}_acc": M.accuracy(cm_np),
                f"{split}_f1": M.macro_f1(cm_np), f"{split}_count": int(cm_np.sum())}


def _history_csv(path: Path, history: list[dict]) -> None:
    if not history:
        return
    keys: list[str] = []
    for h in history:
        keys += [k for k in h if k not in keys]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(history)
    os.replace(tmp, path)


class _LivePlot:
    """Redraws ``plot_history`` in place in a notebook cell (IPython display handle)."""

    def __init__(self) -> None:
        self.handle = None
        self.fig = None

    def update(self, history: list[dict]) -> None:
        try:
            import matplotlib.pyplot as plt
            from IPython.display import display

            from audiokit.plots import plot_history
        except ImportError:
            return
        if self.fig is not None:
            plt.close(self.fig)
        self.fig, _ = plot_history(history)
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)
        plt.close(self.fig)


def _tb_writer(cfg: TrainConfig, out_dir: Path):
    if not cfg.tensorboard:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # noqa: BLE001 - tensorboard missing or broken: skip the logs
        return None
    return SummaryWriter(str(out_dir / "tb"))


def fit(
    config: TrainConfig | dict | str | os.PathLike | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    live_plot: bool = False,
    callbacks: Iterable[Callable[[dict, Run], None]] = (),
    device: str | torch.device | None = None,
) -> Run:
    """Train a model as described by ``config``; returns a :class:`Run`.

    Parameters
    ----------
    config : TrainConfig, dict, path or None
        The run's settings (a YAML / JSON path is loaded; None = the spoken_digits recipe).
    resume : bool
        Continue the run in ``config.out_dir`` from ``last.pt`` (exactly: weights, optimiser,
        schedule, data order and RNG states). Without it, an ``out_dir`` that already holds
        ``last.pt`` is an error: runs are never silently overwritten or resumed.
    progress : bool
        Show tqdm bars (a widget in notebooks, text in terminals) on rank 0.
    live_plot : bool
        In a notebook, redraw ``plot_history`` after every epoch.
    callbacks : iterable of callables
        Each is called as ``cb(epoch_record, run)`` after every epoch on rank 0.
    device : str or torch.device, optional
        Overrides ``config.device``.

    Notes
    -----
    SIGINT (Ctrl-C) / SIGTERM finish the current step, save a resumable ``last.pt`` marked
    ``interrupted`` and return the Run with ``run.interrupted`` set. Under ``torchrun``
    (``WORLD_SIZE > 1``) the same loop runs with DistributedDataParallel; only rank 0 writes.

    Notebook: 06_pipeline_and_training_loop
    """
    cfg = _coerce_config(config)
    if device is not None:
        cfg = cfg.replace(device=str(device))
    tr = _Trainer(cfg, resume=resume)
    main = tr.dist.is_main
    out = tr.out_dir
    if main:
        out.mkdir(parents=True, exist_ok=True)
        cfg.save(out / "config.yaml")
    run = Run(tr.history, tr.best_path, tr.last_path, tr.model, tr.extractor, tr.classes, out, cfg)
    writer = _tb_writer(cfg, out) if main else None
    plot = _LivePlot() if (live_plot and main) else None
    bar = None
    if progress and main:
        from tqdm.auto import tqdm

        bar = tqdm(total=tr.steps_per_epoch * cfg.epochs, initial=tr.step, desc="train",
                   unit="step", dynamic_ncols=True)
    try:
        with _StopFlag() as stop:
            while tr.epoch < cfg.epochs:
                t0 = time.perf_counter()
                epoch = tr.epoch
                if bar is not None:
                    bar.set_description(f"epoch {epoch + 1}/{cfg.epochs}")
                rec = {"epoch": epoch + 1}
                rec.update(tr.train_epoch(epoch, stop, bar))
                if stop.signal is not None and tr.batch_in_epoch < tr.steps_per_epoch:
                    if main:
                        save_checkpoint(tr.last_path, tr._state(interrupted=stop.signal))
                    run.interrupted = stop.signal
                    break
                tr.epoch, tr.batch_in_epoch = epoch + 1, 0
                rec.update(tr.evaluate_split("valid"))
                rec.update({"step": tr.step, "lr": tr.sched.get_last_lr()[0],
                            "time_s": time.perf_counter() - t0})
                tr.history.append(rec)
                metric = rec.get("valid_acc", -rec["train_loss"])
                improved = metric > tr.best_metric
                if improved:
                    tr.best_metric = metric
                if main:
                    state = tr._state(interrupted=stop.signal)
                    save_checkpoint(tr.last_path, state)
                    if improved:
                        save_checkpoint(tr.best_path, state)
                    _history_csv(out / "history.csv", tr.history)
                    if writer is not None:
                        for k, v in rec.items():
                            if k != "epoch" and isinstance(v, (int, float)):
                                writer.add_scalar(k, v, rec["epoch"])
                    if plot is not None:
                        plot.update(tr.history)
                    elif bar is not None:
                        bar.write(_format_record(rec))
                    for cb in callbacks:
                        cb(rec, run)
                if stop.signal is not None:
                    if main and state["interrupted"] is None:
                        # The signal came while this epoch was being saved: mark last.pt too.
                        save_checkpoint(tr.last_path, tr._state(interrupted=stop.signal))
                    run.interrupted = stop.signal
                    break
                if run._stop_requested:
                    break
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    tr.model.eval()
    run.history = tr.history
    return run


def _format_record(rec: dict) -> str:
    parts = [f"epoch {rec['epoch']}"]
    for k in ("train_loss", "train_acc", "valid_loss", "valid_acc", "valid_f1"):
        if k in rec:
            parts.append(f"{k} {rec[k]:.4f}")
    parts.append(f"{rec.get('time_s', 0):.1f}s")
    return " | ".join(parts)


def _coerce_config(config) -> TrainConfig:
    if config is None:
        return recipe("spoken_digits")
    if isinstance(config, TrainConfig):
        return TrainConfig.from_dict(config.to_dict())  # private copy
    if isinstance(config, dict):
        return TrainConfig.from_dict(config)
    return TrainConfig.load(config)


def cleanup_distributed() -> None:
    """Destroy the process group if one was created (call at the end of a torchrun process)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def _is_main_process() -> bool:
    """True unless this is a torchrun worker with RANK > 0."""
    return int(os.environ.get("RANK", "0")) == 0
