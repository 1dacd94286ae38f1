"""Shared building blocks for the model zoo: length masks, the common base class, SE and AFF blocks.

Every model in :mod:`audiokit.models` reads features shaped ``(B, T, F)`` (batch, frames,
feature bins) and an optional ``lengths`` tensor of true frame counts. The helpers here keep padded
frames out of every computation that mixes frames (convolutions with a time kernel > 1, squeeze
averages, pooling), so padding a clip inside a batch does not change its logits in ``eval()`` mode.

The rule each model follows: *zero the padded frames right before any layer that looks across time*.
With zero padding in the convolutions this reproduces exactly what the clip sees when it is run alone.

Notebook: 07_tdnn
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint


def frame_mask(lengths: torch.Tensor, n_frames: int, dtype: torch.dtype = torch.bool) -> torch.Tensor:
    """Boolean (or float) mask of valid frames.

    Parameters
    ----------
    lengths : torch.Tensor
        True frame counts, int64, shape (B,).
    n_frames : int
        Number of frames T of the padded tensor.
    dtype : torch.dtype
        Type of the returned mask (bool by default; a float type gives 1.0 / 0.0).

    Returns
    -------
    torch.Tensor
        Shape (B, T); ``mask[b, t]`` is true where ``t < lengths[b]``. Built with an ``arange``
        comparison so it exports to ONNX / ``torch.export`` without data-dependent control flow.

    Notebook: 07_tdnn
    """
    steps = torch.arange(n_frames, device=lengths.device)
    mask = steps.unsqueeze(0) < lengths.unsqueeze(1)
    return mask if dtype == torch.bool else mask.to(dtype)


def mask_frames(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Zero the padded frames of ``x`` (time is the last axis); a no-op when ``lengths`` is None.

    Parameters
    ----------
    x : torch.Tensor
        Shape (B, C, T) or (B, C, F, T).
    lengths : torch.Tensor or None
        True frame counts at this time resolution, shape (B,).

    Returns
    -------
    torch.Tensor
        ``x`` with frames ``t >= lengths[b]`` set to zero.

    Notebook: 07_tdnn
    """
    if lengths is None:
        return x
    mask = frame_mask(lengths, x.shape[-1], x.dtype)
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
    return x * mask.reshape(shape)


def conv_lengths(lengths: torch.Tensor | None, kernel: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1) -> torch.Tensor | None:
    """Frame counts after a convolution or pooling along time (at least 1 frame is kept).

    Parameters
    ----------
    lengths : torch.Tensor or None
        Frame counts before the layer, shape (B,).
    kernel, stride, padding, dilation : int
        The layer's settings along time (frames).

    Returns
    -------
    torch.Tensor or None
        ``floor((L + 2 padding - dilation (kernel - 1) - 1) / stride) + 1``, clamped to >= 1.

    Notebook: 11_resnet_se
    """
    if lengths is None:
        return None
    out = torch.div(lengths + 2 * padding - dilation * (kernel - 1) - 1, stride, rounding_mode="floor") + 1
    return out.clamp(min=1)


def conv_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output size (bins or frames) of a convolution / pooling along one axis, as a Python int.

    Notebook: 11_resnet_se
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def masked_mean(x: torch.Tensor, lengths: torch.Tensor | None, keepdim: bool = False) -> torch.Tensor:
    """Mean over time (last axis) and, for 4-D input, over frequency too, ignoring padded frames.

    Parameters
    ----------
    x : torch.Tensor
        Shape (B, C, T) or (B, C, F, T).
    lengths : torch.Tensor or None
        True frame counts, shape (B,).
    keepdim : bool
        Keep the reduced axes as size 1.

    Returns
    -------
    torch.Tensor
        Shape (B, C) (or (B, C, 1[, 1]) with ``keepdim``).

    Notebook: 08_ecapa_tdnn
    """
    dims = tuple(range(2, x.dim()))
    if lengths is None:
        return x.mean(dim=dims, keepdim=keepdim)
    mask = frame_mask(lengths, x.shape[-1], x.dtype)
    count = mask.sum(dim=1).clamp(min=1.0)
    if x.dim() == 4:
        count = count * x.shape[2]
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
    total = (x * mask.reshape(shape)).sum(dim=dims, keepdim=keepdim)
    return total / count.reshape((-1,) + (1,) * (total.dim() - 1))


def fast_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``F.dropout(x, p, training)``: each element zeroed with probability ``p``, the rest scaled by
    ``1 / (1 - p)``; the same on CUDA, drawn from ``torch.rand_like`` on the CPU.

    Written by hand for the CPU because torch's dropout there draws its mask with ``bernoulli_``,
    which took 23.7 ms (forward + backward) for PANNs CNN6's first block output (8 x 64 x 40 x
    149, channels-last, 2 threads, Intel Xeon, 2026-12-05) against 10.8 ms for uniform numbers
    compared with ``p`` (the same distribution: an element survives with probability 1 - p).
    The mask keeps ``x``'s memory layout and dtype; CUDA keeps torch's fused kernel.

    Notebook: 09_panns
    """
    if not training or p <= 0 or p >= 1 or x.device.type != "cpu":
        return F.dropout(x, p, training)
    keep = torch.rand_like(x, dtype=torch.float32).ge_(p).to(x.dtype).div_(1 - p)
    return x * keep


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018) over channels, length-aware.

    The squeeze is a masked mean over time (and frequency for 4-D input); the excitation is a
    two-layer bottleneck with a sigmoid gate that rescales each channel.

    Parameters
    ----------
    channels : int
        Channels C of the input.
    bottleneck : int
        Width of the hidden layer.

    Notebook: 11_resnet_se
    """

    def __init__(self, channels: int, bottleneck: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(channels, bottleneck)
        self.fc2 = nn.Linear(bottleneck, channels)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        s = masked_mean(x, lengths)
        gate = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * gate.reshape(gate.shape + (1,) * (x.dim() - 2))


class AttentionalFeatureFusion(nn.Module):
    """Attentional feature fusion (AFF) of two same-shape 2-D maps, as used by ERes2Net.

    A point-wise bottleneck reads both maps and produces a gate ``g`` in (0, 2); the output is
    ``x * g + y * (2 - g)``. Everything is per time-frequency bin, so no masking is needed.

    Notebook: 13_eres2net
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        hidden = channels // reduction
        self.att = nn.Sequential(
            nn.Conv2d(2 * channels, hidden, kernel_size=1),
            nn.BatchNorm2d(hidden),
            nn.SiLU(inplace=True),
            nn.Conv2d(hidden, channels, kernel_size=1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gate = 1.0 + torch.tanh(self.att(torch.cat((x, y), dim=1)))
        return x * gate + y * (2.0 - gate)


class AudioBackbone(nn.Module):
    """Base class of every model: input checks, short-clip padding, ``forward`` and ``embed``.

    Subclasses set ``self.embedding_dim`` and implement ``_embed(x (B, F, T), lengths)`` which
    returns the embedding ``(B, embedding_dim)``; this class adds the classifier.

    Attributes
    ----------
    num_classes, n_features, embedding_dim : int
    min_frames : int
        Smallest number of frames T the network handles. Shorter inputs are zero-padded at the
        end up to ``min_frames`` inside ``embed`` (and their true length is kept in ``lengths``,
        so the padding never enters the pooled statistics).
    min_features : int
        Smallest ``n_features`` the frequency downsampling accepts (checked at build time).
    checkpointing : bool
        Gradient checkpointing of the main blocks during training (off by default: slower,
        saves memory).

    Notebook: 07_tdnn
    """

    min_frames: int = 1
    min_features: int = 1

    def __init__(self, num_classes: int, n_features: int, checkpointing: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if int(num_classes) < 1:
            raise ValueError(f"audiokit.models ({name}): num_classes must be >= 1, got {num_classes}")
        if int(n_features) < self.min_features:
            raise ValueError(
                f"audiokit.models ({name}): n_features={n_features} is too small for this network's "
                f"frequency downsampling; it needs n_features >= {self.min_features}")
        self.num_classes = int(num_classes)
        self.n_features = int(n_features)
        self.checkpointing = bool(checkpointing)
        self.embedding_dim = 0

    # -- helpers for subclasses -------------------------------------------------------------
    def _run(self, fn: Callable, *args):
        """Call ``fn(*args)``, with gradient checkpointing when enabled and training."""
        if self.checkpointing and self.training and torch.is_grad_enabled():
            return checkpoint(fn, *args, use_reentrant=False)
        return fn(*args)

    def _prepare(self, x: torch.Tensor, lengths: torch.Tensor | None):
        if x.dim() != 3 or x.shape[-1] != self.n_features:
            raise ValueError(
                f"audiokit.models ({type(self).__name__}): expected features shaped (batch, frames, "
                f"{self.n_features}), got {tuple(x.shape)}")
        n_frames = x.shape[1]
        if n_frames < self.min_frames:
            if lengths is None:
                lengths = torch.full((x.shape[0],), n_frames, dtype=torch.long, device=x.device)
            x = F.pad(x, (0, 0, 0, self.min_frames - n_frames))
        if lengths is not None:
            lengths = lengths.to(device=x.device, dtype=torch.long)
        return x.transpose(1, 2), lengths

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    # -- public API --------------------------------------------------------------------------
    def embed(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Embedding before the classifier.

        Parameters
        ----------
        x : torch.Tensor
            Features, shape (B, T frames, F bins).
        lengths : torch.Tensor or None
            True frame counts (int64, (B,)); padded frames are ignored.

        Returns
        -------
        torch.Tensor
            Shape (B, embedding_dim).
        """
        x, lengths = self._prepare(x, lengths)
        return self._embed(x, lengths)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B, num_classes) for features (B, T, F); see :meth:`embed`."""
        return self.classifier(self.embed(x, lengths))


class Res2Split1d(nn.Module):
    """Res2Net split-transform along channels for 1-D sequences (Gao et al. 2019), as in ECAPA-TDNN.

    The input is cut into ``scale`` channel groups; group 0 passes through, group i > 0 is
    ``conv(x_i + y_{i-1})`` (each ``conv -> ReLU -> BatchNorm``). The receptive field grows group by
    group, giving several temporal scales in one layer. Padded frames are zeroed before each
    convolution.

    Parameters
    ----------
    channels : int
        Channels C (divisible by ``scale``).
    kernel_size, dilation : int
        Convolution along time (frames); zero "same" padding.
    scale : int
        Number of channel groups.

    Notebook: 08_ecapa_tdnn
    """

    def __init__(self, channels: int, kernel_size: int = 3, dilation: int = 1, scale: int = 8) -> None:
        super().__init__()
        if channels % scale:
            raise ValueError(f"audiokit.models.blocks: channels={channels} must be divisible by scale={scale}")
        self.scale = scale
        width = channels // scale
        pad = dilation * (kernel_size - 1) // 2
        self.convs = nn.ModuleList(
            nn.Sequential(nn.Conv1d(width, width, kernel_size, padding=pad, dilation=dilation),
                          nn.ReLU(inplace=True), nn.BatchNorm1d(width))
            for _ in range(scale - 1))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        chunks = torch.chunk(x, self.scale, dim=1)
        outs = [chunks[0]]
        y = None
        for i, conv in enumerate(self.convs):
            inp = chunks[i + 1] if y is None else chunks[i + 1] + y
            y = mask_frames(conv(inp), lengths)
            outs.append(y)
        return torch.cat(outs, dim=1)
