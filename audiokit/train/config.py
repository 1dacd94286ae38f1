"""Training configuration: :class:`TrainConfig` and its sections, YAML / JSON files, recipes.

A config is plain data: every field has a default, unknown keys fail with a
:class:`ConfigError` that names the key and the valid ones (never a ``KeyError`` deep inside the
loop), and ``recipes/<name>.yaml`` holds the same values as :data:`RECIPES`.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "DataConfig", "ModelConfig", "TrainConfig", "parse_yaml", "validate"]


class ConfigError(ValueError):
    """A training configuration is invalid; the message names the key and the valid choices."""


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
    holdout_column, test_groups, valid_groups : str, list of str, list of str
        Shipped sets: instead of the metadata split, put the clips whose ``holdout_column`` value
        (e.g. ``"family"``, ``"kit"``, ``"group"``) is in ``test_groups`` into test, those in
        ``valid_groups`` into valid and the rest into train. This is how cross-validation over
        source families holds a whole family out (``audiokit.crossval``).
    trim : "auto", None or dict
        Leading/trailing silence trimming (keyword arguments of ``audiokit.io.trim_silence``,
        and ``peak_dbfs``: the level each cut clip is scaled to). It is saved in the checkpoint
        (``preprocess.trim``) and applied again by ``Predictor`` and ``evaluate``, so served
        audio is cut like the training clips (no train/serve skew).
        ``"auto"``: a shipped set's own rule (``datasets.TRIM_RULES``; its files were already cut
        with it), no trimming for other data. A dict: every clip of every split is trimmed with
        it as it is batched, and the same rule is saved. None: no trimming anywhere.

    Notebook: 16_your_own_data
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
    holdout_column: str = ""
    test_groups: list = field(default_factory=list)
    valid_groups: list = field(default_factory=list)
    trim: Any = "auto"


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
        ``"auto"`` (bf16 on CUDA, fp16 + GradScaler where bf16 is only emulated; off elsewhere),
        ``"bf16"`` (also on a CPU with native bf16: opt-in, see ``optim.amp_dtype``), ``"fp16"``
        (with GradScaler, CUDA only) or ``"off"``.
    compile : bool
        Wrap the model in ``torch.compile`` (opt-in; if compiling fails: one warning, eager).
    channels_last, fused_optimizer, tf32, cudnn_benchmark, pin_memory : bool (or "auto")
        The fast path (on the CPU only ``channels_last``, for the 2-D CNNs), see
        :mod:`audiokit.train.fastpath`; ``history.csv`` rows have what a run resolved them to,
        in columns of the same names.
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
    init_from : str
        Fine-tune from this checkpoint (:mod:`audiokit.train.finetune`): model, preset and
        features are its own (``model.name`` must be its model or ``""``); ``""``: random init.
    freeze_backbone_epochs : int
        First epochs that train only the classifier head (backbone and its BatchNorm fixed).
    backbone_lr_scale : float
        Learning-rate factor of all layers but the head (e.g. 0.1 for pretrained ones).

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
    channels_last: Any = "auto"
    fused_optimizer: Any = "auto"
    tf32: bool = True
    cudnn_benchmark: bool = True
    pin_memory: bool = True
    grad_clip: float = 5.0
    seed: int = 0
    device: str = "auto"
    num_workers: int = 0
    out_dir: str = "runs/audiokit"
    log_interval: int = 10
    tensorboard: bool = False
    init_from: str = ""
    freeze_backbone_epochs: int = 0
    backbone_lr_scale: float = 1.0

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
        _atomic_write_text(path, _dump(self.to_dict(), path.suffix))

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
_DICT_FIELDS = ("features", "augment", "overrides")


def _from_dict(cls: type, d: dict, prefix: str) -> Any:
    """``cls(**d)`` with nested sections; unknown keys raise a :class:`ConfigError` naming them."""
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
    for name in names:
        if name not in d:
            continue
        value = d[name]
        sub = _SECTIONS.get(name) if cls is TrainConfig else None
        if sub is not None:
            value = value if isinstance(value, sub) else _from_dict(sub, value or {}, f"{name}.")
        elif name in _DICT_FIELDS and value is None:
            value = {}
        kwargs[name] = value
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


#: A float as YAML 1.2 and every user write it; YAML 1.1 (PyYAML) wants a dot (``1.0e-6``) and
#: reads ``1e-6`` as a string, which no one writing a config means.
_EXPONENT_FLOAT = r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$"


@functools.cache
def _yaml_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """``yaml.SafeLoader`` that also reads ``1e-6`` as a float."""

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(_EXPONENT_FLOAT),
                                 list("-+0123456789."))
    return Loader


def parse_yaml(text: str) -> Any:
    """YAML text as Python values, safely (no code runs), with ``1e-6`` read as a float.

    Config files and ``audiokit train --set KEY=VALUE`` both read values through it.

    Notebook: 06_pipeline_and_training_loop
    """
    import yaml

    return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader: no code runs


def _read_mapping(path: str | os.PathLike) -> dict:
    """The mapping in a YAML / JSON file; a missing or malformed file is a :class:`ConfigError`."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    text = p.read_text()
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            d = parse_yaml(text)
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


def validate(cfg: TrainConfig) -> None:
    """Check the numeric settings that would otherwise fail deep inside the loop.

    Raises
    ------
    ConfigError
        Naming the key, the value and the valid range.

    Notebook: 06_pipeline_and_training_loop
    """
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
    if cfg.freeze_backbone_epochs < 0 or cfg.backbone_lr_scale <= 0:
        raise ConfigError(f"freeze_backbone_epochs must be >= 0 and backbone_lr_scale > 0, got "
                          f"{cfg.freeze_backbone_epochs} and {cfg.backbone_lr_scale}")
