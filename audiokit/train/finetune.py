"""Fine-tuning: start a run from a checkpoint's weights instead of random ones.

``TrainConfig.init_from`` names any audiokit checkpoint (one of yours, or an official PANNs file
converted with ``audiokit convert``). The run then uses that checkpoint's model, preset and
feature settings (its data are loaded at the checkpoint's sample rate), loads every weight, and
re-initialises only a classifier head whose classes differ. Two options that users of pretrained
networks ask for:

- ``freeze_backbone_epochs``: the first epochs train only the head (a linear probe inside the
  loop: backbone weights and BatchNorm statistics stay fixed), then everything trains;
- ``backbone_lr_scale``: a smaller learning rate for the pretrained layers than for the head.

``--resume`` is unrelated: it continues a run from its own ``last.pt`` (which already holds the
fine-tuned weights) and never re-loads ``init_from``.

Notebook: 17_transfer_learning
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from audiokit.train.checkpoint import CheckpointError, load_checkpoint
from audiokit.train.config import ConfigError, TrainConfig

__all__ = ["HEAD", "InitReport", "count_trainable", "freeze_for_epoch", "frozen_epoch", "head_parameter_names",
           "load_init_weights", "param_groups", "resolve_init_from", "set_backbone_frozen"]

HEAD = "classifier."  # every registry model keeps its classifier head under this name


@dataclass
class InitReport:
    """Which tensors a fine-tuning run took from its ``init_from`` checkpoint.

    Attributes
    ----------
    source : str
        The checkpoint file.
    kept : list of str
        State-dict keys loaded from it.
    reinitialised : list of str
        Keys left at their fresh initialisation (the head, when the classes differ).
    old_classes, new_classes : int
        Number of classes of the checkpoint and of this run.

    Notebook: 17_transfer_learning
    """

    source: str
    kept: list = field(default_factory=list)
    reinitialised: list = field(default_factory=list)
    old_classes: int = 0
    new_classes: int = 0

    def summary(self) -> str:
        """One line: how many tensors were kept, which layers were re-initialised."""
        layers = sorted({k.rsplit(".", 1)[0] for k in self.reinitialised})
        head = (f"; re-initialised {', '.join(layers)} ({self.old_classes} -> {self.new_classes} "
                f"classes)" if layers else "; head kept (same classes)")
        return f"init_from {self.source}: kept {len(self.kept)} tensors{head}"

    def to_dict(self) -> dict:
        return {"source": self.source, "kept": len(self.kept),
                "reinitialised": list(self.reinitialised)}


def resolve_init_from(cfg: TrainConfig) -> tuple[TrainConfig, dict | None]:
    """``cfg`` with model and features taken from ``cfg.init_from``, and that checkpoint.

    Returns ``(cfg, None)`` when ``init_from`` is empty.

    Raises
    ------
    ConfigError
        ``cfg.model.name`` is set and is not the checkpoint's model (not a silent mismatch).
    CheckpointError
        The checkpoint cannot be read (the message names the file).

    Notebook: 17_transfer_learning
    """
    if not cfg.init_from:
        return cfg, None
    ck = load_checkpoint(cfg.init_from)
    theirs = ck["model_name"]
    if cfg.model.name not in ("", theirs):
        raise ConfigError(
            f"init_from {cfg.init_from} holds model {theirs!r}, but this config asks for "
            f"{cfg.model.name!r}; drop --model (or set model.name to {theirs!r} or '')")
    new = cfg.replace(**{"model.name": theirs, "model.preset": ck["model_preset"] or "default",
                         "model.overrides": dict(ck["model_overrides"]),
                         "features": dict(ck["feature_config"])})
    return new, ck


def head_parameter_names(model: nn.Module) -> list[str]:
    """State-dict keys of the classifier head (``classifier.*``). Notebook: 17_transfer_learning"""
    return [k for k in model.state_dict() if k.startswith(HEAD)]


def load_init_weights(model: nn.Module, ck: dict, classes: list[str], source: str = "") -> InitReport:
    """Load ``ck``'s weights into ``model``; a head for other classes keeps its fresh init.

    Parameters
    ----------
    model : nn.Module
        Built for this run (the checkpoint's architecture, ``len(classes)`` outputs).
    ck : dict
        The ``init_from`` checkpoint (from :func:`resolve_init_from`).
    classes : list of str
        This run's class names; the head is kept only when they equal the checkpoint's.

    Raises
    ------
    CheckpointError
        A backbone tensor is missing or has another shape (the checkpoint is not this model).

    Notebook: 17_transfer_learning
    """
    source = source or str(ck.get("source", {}).get("file", "checkpoint"))
    theirs, own = ck["model_state"], model.state_dict()
    same_classes = list(ck["classes"]) == list(classes)
    report = InitReport(source, old_classes=len(ck["classes"]), new_classes=len(classes))
    merged = {}
    for key, value in own.items():
        if key.startswith(HEAD) and not same_classes:
            merged[key] = value
            report.reinitialised.append(key)
            continue
        if key not in theirs or tuple(theirs[key].shape) != tuple(value.shape):
            got = "missing" if key not in theirs else f"shape {tuple(theirs[key].shape)}"
            raise CheckpointError(f"{source}: cannot initialise {key} {tuple(value.shape)} from it "
                                  f"({got}); the checkpoint is not this model")
        merged[key] = theirs[key]
        report.kept.append(key)
    model.load_state_dict(merged)
    return report


def param_groups(model: nn.Module, cfg: TrainConfig) -> list[dict] | object:
    """Optimiser parameters: the backbone at ``lr * backbone_lr_scale``, the head at ``lr``.

    With a scale of 1 this is ``model.parameters()`` (one group, as runs saved before this
    option expect when they resume).

    Notebook: 17_transfer_learning
    """
    if cfg.backbone_lr_scale == 1.0:
        return model.parameters()
    head = [p for n, p in model.named_parameters() if n.startswith(HEAD)]
    body = [p for n, p in model.named_parameters() if not n.startswith(HEAD)]
    groups = [{"params": body, "lr": cfg.lr * cfg.backbone_lr_scale}, {"params": head, "lr": cfg.lr}]
    return [g for g in groups if g["params"]]


def set_backbone_frozen(model: nn.Module, frozen: bool) -> None:
    """Freeze (or unfreeze) everything but the head; call after ``model.train()``.

    Frozen: backbone parameters get no gradients (AdamW leaves them, weight decay included) and
    its BatchNorm layers run in eval mode, so their running statistics stay the pretrained ones.

    Notebook: 17_transfer_learning
    """
    for name, p in model.named_parameters():
        if not name.startswith(HEAD):
            p.requires_grad_(not frozen)
    if frozen:
        for name, m in model.named_modules():
            is_bn = isinstance(m, nn.modules.batchnorm._BatchNorm)
            if is_bn and not name.startswith(HEAD):
                m.eval()


def frozen_epoch(cfg: TrainConfig, epoch: int) -> bool:
    """True while epoch ``epoch`` (0-based) trains the head only. Notebook: 17_transfer_learning"""
    return epoch < int(cfg.freeze_backbone_epochs)


def freeze_for_epoch(model: nn.Module, cfg: TrainConfig, epoch: int) -> None:
    """Apply ``cfg.freeze_backbone_epochs`` at the start of epoch ``epoch`` (after ``train()``).

    A no-op for runs without freezing, so their parameters are never touched.

    Notebook: 17_transfer_learning
    """
    if cfg.freeze_backbone_epochs:
        set_backbone_frozen(model, frozen_epoch(cfg, epoch))


def count_trainable(model: nn.Module) -> int:
    """Parameters that currently receive gradients. Notebook: 17_transfer_learning"""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

