"""A printed layer table of a real model: each block's output shape and parameter count.

Notebook: 07_tdnn (and every backbone notebook)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["LayerRow", "Summary", "summary"]


@dataclass
class LayerRow:
    """One block of the table: its dotted name, class, output shape and parameters."""

    name: str
    kind: str
    output_shape: tuple
    params: int


class Summary(list):
    """A list of :class:`LayerRow` that prints as a table (``print(summary(model))``)."""

    total_params: int = 0

    def __str__(self) -> str:
        width = max([len(r.name) for r in self] + [5])
        lines = [f"{'layer':<{width}}  {'type':<24} {'output shape':<22} {'params':>10}"]
        lines.append("-" * len(lines[0]))
        for r in self:
            shape = "×".join(str(d) for d in r.output_shape)
            lines.append(f"{r.name:<{width}}  {r.kind:<24} {shape:<22} {r.params:>10,}")
        lines.append("-" * len(lines[0]))
        lines.append(f"{'total':<{width}}  {'':<24} {'':<22} {self.total_params:>10,}")
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle):  # IPython shows the table, not a list of rows
        p.text(str(self))


def summary(model: nn.Module, n_frames: int = 100, depth: int = 1,
            batch_size: int = 1) -> Summary:
    """Run one random batch ``(batch_size, n_frames, model.n_features)`` through ``model`` and
    record, for every sub-module down to ``depth`` levels, its output shape and parameters.

    Parameters
    ----------
    model : nn.Module
        A model from :func:`audiokit.models.build` (it has ``n_features``).
    n_frames : int
        Frames in the probe input (one frame = one hop, 10 ms with the default features).
    depth : int
        1 lists the direct children (the blocks of the diagram); 2 goes one level deeper.

    Returns
    -------
    Summary
        A list of rows; ``print()`` it for the table. ``.total_params`` counts every parameter.

    Notebook: 07_tdnn
    """
    n_features = int(getattr(model, "n_features", 80))
    rows: Summary = Summary()
    hooks = []

    def hook_for(name: str):
        def hook(module, inputs, output):
            out = output[0] if isinstance(output, (tuple, list)) else output
            shape = tuple(out.shape) if torch.is_tensor(out) else ()
            params = sum(p.numel() for p in module.parameters())
            rows.append(LayerRow(name, type(module).__name__, shape, params))
        return hook

    def visit(module: nn.Module, prefix: str, level: int) -> None:
        for child_name, child in module.named_children():
            name = f"{prefix}{child_name}"
            if isinstance(child, (nn.ModuleList, nn.ModuleDict)):
                visit(child, name + ".", level)  # lists are not blocks: show their items
                continue
            hooks.append(child.register_forward_hook(hook_for(name)))
            if level + 1 < depth:
                visit(child, name + ".", level + 1)

    visit(model, "", 0)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            x = torch.randn(batch_size, n_frames, n_features,
                            device=next(model.parameters()).device)
            model(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    rows.total_params = sum(p.numel() for p in model.parameters())
    return rows
