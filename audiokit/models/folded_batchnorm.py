"""Batch norm for channels-last maps on the CPU whose channel count does not fill a vector register.

torch's channels-last batch-norm backward on the CPU walks every pixel's C channels with vector
instructions of 16 float32 lanes (AVX-512; two registers of 8 with AVX2). When C is not a multiple
of 16 each pixel ends in a partial vector, and the kernel slows down many times: a backward pass
over 8 x 13 x 80 x 298 took 16.8 ms in channels-last against 0.9 ms in NCHW (Intel Xeon, 2
threads, 2026-12-05; 8 channels, the drum recipe's ResNetSE stem at 32 x 8 x 64 x 64: 9.1 ms).
ERes2NetV2 has 13 and 26 channels (and 52, 104), ResNetSE tiny 8.

:class:`FoldedBatchNorm2d` keeps torch's forward (the same kernel, the same running statistics)
and computes the backward with ``k = 16 / gcd(C, 16)`` pixels folded into one row, so every row
holds ``k * C`` values, a whole number of vectors, and the per-channel sums are column sums of
that matrix: 3.4 ms instead of 16.8 for the shape above, 1.7 ms instead of 9.1 for the drums'.
The drum recipe's training step (32 clips x 101 frames x 64 bands) became 1.22x faster and
``audiokit train --data drum_hits`` took 99 s instead of 113 (seed 0, same machine and hour).
Where it applies is measured (backward, 8 x C x 80 x 298 and 8 x C x 20 x 75, same CPU):
channel counts that are not a multiple of 16 and below 32. The fold ran 1.9x / 1.6x faster than
torch at 4 channels, 4.2x / 2.6x at 8, 1.9x / 2.4x at 12, 5.2x / 2.7x at 13, 1.7x / 1.8x at 24,
2.0x / 1.1x at 26; from 40 channels on it was slower (0.71x / 0.79x at 40, 0.76x / 1.53x at 52,
0.55x at 56 and 72, 0.48x / 0.64x at 104): the column sums then cost more than the partial
vector. The rule was measured on that one CPU (AVX-512); on a CPU whose kernels use 8-lane AVX2
vectors, 8 and 24 channels leave no partial vector and may gain less: not yet measured there. The
gradients are the same quantities in another summation order: within 2.6e-6 of torch's kernels
(either layout) relative to the largest value in 30 cases, the test allows 1e-5
(``tests/test_models.py``), like any other kernel choice.

Used only where :func:`audiokit.train.fastpath.to_channels_last` puts a model in channels-last
on the CPU; anything else (evaluation, CUDA, bf16, NCHW input, ``torch.compile``) runs torch's
own ``BatchNorm2d.forward``.

Notebook: 13_eres2net
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["FoldedBatchNorm2d", "folds"]

#: float32 lanes of the widest vector register the kernels use (AVX-512).
LANES = 16
#: From this many channels on, torch's own kernel is faster (measured; module docstring).
MAX_CHANNELS = 32


def folds(channels: int) -> int:
    """Pixels per folded row: the smallest k with ``k * channels`` a multiple of 16 (1: no fold).

    Notebook: 13_eres2net
    """
    if channels % LANES == 0 or channels >= MAX_CHANNELS:
        return 1
    return LANES // math.gcd(channels, LANES)


def _rows(t: torch.Tensor, k: int) -> torch.Tensor:
    """A channels-last (N, C, H, W) tensor as its (N*H*W / k, k*C) matrix of folded rows."""
    n, c, h, w = t.shape
    return t.permute(0, 2, 3, 1).reshape(n * h * w // k, k * c)


class _FoldedBatchNorm(torch.autograd.Function):
    """torch's training-mode batch-norm forward; the backward over folded rows."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum: float, eps: float,
                k: int):
        out, mean, invstd = torch.ops.aten.native_batch_norm(
            x, weight, bias, running_mean, running_var, True, momentum, eps)
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.k = k
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, mean, invstd = ctx.saved_tensors
        k, (n, c, h, w) = ctx.k, x.shape
        count = n * h * w
        g = _rows(grad.contiguous(memory_format=torch.channels_last), k)
        centred = _rows(x, k) - mean.repeat(k)
        sum_dy = g.sum(0).view(k, c).sum(0)
        dot = (g * centred).sum(0).view(k, c).sum(0)  # sum of grad * (x - mean) per channel
        grad_x = None
        if ctx.needs_input_grad[0]:
            # dx = w * invstd * (g - mean(g) - (x - mean) * invstd^2 * mean(g * (x - mean)))
            a = weight * invstd
            b = -a * invstd * invstd * dot / count
            rows = torch.addcmul((-a * sum_dy / count).repeat(k), g, a.repeat(k))
            rows.addcmul_(centred, b.repeat(k))
            grad_x = rows.view(n, h, w, c).permute(0, 3, 1, 2)
        grad_w = dot * invstd if ctx.needs_input_grad[1] else None
        grad_b = sum_dy if ctx.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b, None, None, None, None, None


class FoldedBatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` whose training backward on channels-last CPU maps folds pixels into rows.

    The same parameters, buffers and ``state_dict`` as ``nn.BatchNorm2d``;
    :func:`audiokit.train.fastpath.to_channels_last` turns a model's batch norms into this class
    in place where :func:`folds` says it pays.

    Notebook: 13_eres2net
    """

    def _foldable(self, x: torch.Tensor) -> int:
        """The fold for ``x`` (0: run torch's forward)."""
        if not (self.training and self.affine and self.track_running_stats
                and self.momentum is not None and torch.is_grad_enabled()
                and x.dim() == 4 and x.device.type == "cpu" and x.dtype == torch.float32
                and x.is_contiguous(memory_format=torch.channels_last)
                and not torch.jit.is_scripting() and not torch.compiler.is_compiling()):
            return 0
        k = folds(self.num_features)
        pixels = x.shape[0] * x.shape[2] * x.shape[3]
        return k if k > 1 and pixels % k == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self._foldable(x)
        if not k:
            return super().forward(x)
        self.num_batches_tracked.add_(1)
        return _FoldedBatchNorm.apply(x, self.weight, self.bias, self.running_mean,
                                      self.running_var, self.momentum, self.eps, k)
