"""The model zoo: one registry, one constructor signature for every backbone.

>>> from audiokit import models
>>> models.available()
['tdnn', 'ecapa_tdnn', 'panns_cnn6', 'panns_cnn10', 'panns_cnn14', 'res2net', 'resnet_se', 'campplus', 'eres2net', 'eres2net_v2']
>>> model = models.build("ecapa_tdnn", num_classes=10, n_features=80, preset="tiny")

Every model takes features ``(B, T frames, F bins)`` and optional ``lengths`` (true frame counts,
int64 (B,)) and returns logits ``(B, num_classes)``; ``model.embed(x, lengths)`` returns the
``(B, model.embedding_dim)`` embedding before the classifier; ``model.min_frames`` is the smallest
T it handles (shorter inputs are zero-padded internally).

Notebook: 07_tdnn
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from .blocks import AudioBackbone
from .campplus import CAMPPlus
from .ecapa_tdnn import ECAPATDNN
from .eres2net import ERes2Net
from .panns import CNN6, CNN10, CNN14
from .pooling import build_pooling
from .res2net import Res2Net
from .resnet_se import ResNetSE
from .tdnn import TDNN


def _eres2net_v2(num_classes: int, n_features: int = 80, channels: int = 32,
                 layers: tuple[int, ...] = (3, 4, 6, 3), base_width: int = 26, scale: int = 2, expansion: int = 2,
                 embedding_dim: int = 192, dropout: float = 0.0, checkpointing: bool = False) -> ERes2Net:
    """ERes2NetV2: ERes2Net with narrower groups and only the last stage fusion. Notebook: 13_eres2net"""
    return ERes2Net(num_classes, n_features, channels=channels, layers=layers, base_width=base_width, scale=scale,
                    expansion=expansion, fusion="last", embedding_dim=embedding_dim, dropout=dropout,
                    checkpointing=checkpointing)


# name -> (constructor, presets); a preset is a dict of constructor overrides
_REGISTRY: dict[str, tuple[Callable[..., nn.Module], dict[str, dict[str, Any]]]] = {
    "tdnn": (TDNN, {"tiny": {"channels": 128, "embedding_dim": 128}}),
    "ecapa_tdnn": (ECAPATDNN, {"tiny": {"channels": 128, "mfa_channels": 384, "se_channels": 32,
                                            "attention_channels": 32, "embedding_dim": 96}}),
    "panns_cnn6": (CNN6, {"tiny": {"channels": (16, 32, 64, 128)}}),
    "panns_cnn10": (CNN10, {"tiny": {"channels": (16, 32, 64, 128)}}),
    "panns_cnn14": (CNN14, {"tiny": {"channels": (8, 16, 32, 64, 96, 128)}}),
    "res2net": (Res2Net, {"tiny": {"channels": 8, "layers": (1, 1, 1, 1), "embedding_dim": 64, "attention_channels": 32}}),
    "resnet_se": (ResNetSE, {"tiny": {"channels": (8, 16, 32, 64), "layers": (1, 1, 1, 1), "embedding_dim": 64,
                                          "attention_channels": 32}}),
    "campplus": (CAMPPlus, {"tiny": {"fcm_channels": 16, "init_channels": 64, "growth_rate": 16,
                                         "block_layers": (4, 6, 4), "embedding_dim": 128}}),
    "eres2net": (ERes2Net, {"tiny": {"channels": 8, "layers": (1, 1, 1, 1), "embedding_dim": 64}}),
    "eres2net_v2": (_eres2net_v2, {"tiny": {"channels": 8, "layers": (1, 1, 1, 1), "embedding_dim": 64}}),
}

_FIXED = ("num_classes", "n_features")


def available() -> list[str]:
    """Names accepted by :func:`build`, in teaching order. Notebook: 14_comparing_backbones"""
    return list(_REGISTRY)


def _lookup(name: str):
    if name not in _REGISTRY:
        raise ValueError(f"audiokit.models: unknown model {name!r}; valid names are {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def _options(constructor: Callable) -> dict[str, Any]:
    params = inspect.signature(constructor).parameters
    return {k: p.default for k, p in params.items() if k not in _FIXED and k != "self"}


def describe(name: str) -> dict[str, Any]:
    """Accepted overrides (with defaults) and presets of a model.

    Returns
    -------
    dict
        ``{"name", "options": {arg: default}, "presets": {preset: overrides}, "doc"}``.

    Notebook: 14_comparing_backbones
    """
    constructor, presets = _lookup(name)
    doc = (inspect.getdoc(constructor) or "").split("\n")[0]
    return {"name": name, "options": _options(constructor), "presets": dict(presets), "doc": doc}


def build(name: str, num_classes: int, n_features: int = 80, preset: str | None = None,
          **overrides: Any) -> nn.Module:
    """Build a model by name.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F per frame (e.g. 80 mel bands / fbank, 40 MFCCs).
    preset : str or None
        None for the reference configuration, or "tiny" (a few hundred thousand parameters, for
        CPU tutorials). Overrides are applied on top of the preset.
    **overrides
        Constructor arguments (see :func:`describe`), e.g. ``pooling="tsp"``.

    Returns
    -------
    torch.nn.Module
        The model (an :class:`~audiokit.models.blocks.AudioBackbone`).

    Raises
    ------
    ValueError
        Unknown name, preset or override, or a size the network cannot handle.

    Notebook: 14_comparing_backbones
    """
    constructor, presets = _lookup(name)
    kwargs: dict[str, Any] = {}
    if preset is not None:
        if preset not in presets:
            raise ValueError(f"audiokit.models: model {name!r} has no preset {preset!r}; "
                             f"valid presets are {', '.join(presets) or 'none'}")
        kwargs.update(presets[preset])
    accepted = _options(constructor)
    unknown = [k for k in overrides if k not in accepted]
    if unknown:
        raise ValueError(f"audiokit.models: model {name!r} does not accept {', '.join(map(repr, unknown))}; "
                         f"accepted overrides are {', '.join(accepted)}")
    kwargs.update(overrides)
    return constructor(num_classes=num_classes, n_features=n_features, **kwargs)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters. Notebook: 14_comparing_backbones"""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


__all__ = [
    "CNN6",
    "CNN10",
    "CNN14",
    "ECAPATDNN",
    "TDNN",
    "AudioBackbone",
    "CAMPPlus",
    "ERes2Net",
    "Res2Net",
    "ResNetSE",
    "available",
    "build",
    "build_pooling",
    "count_parameters",
    "describe",
]
