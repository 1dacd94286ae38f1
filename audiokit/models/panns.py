"""PANNs CNN6 / CNN10 / CNN14 (Kong et al. 2020): VGG-like 2-D CNNs on the log-mel image.

The (frames x bins) feature map is normalised per frequency bin (batch norm), then passed through
convolution blocks, each followed by 2x2 average pooling (halving time and frequency) and dropout.
CNN6 uses one 5x5 convolution per block, CNN10 and CNN14 two 3x3 convolutions. The map is averaged
over frequency, then ``max + mean`` over (valid) time gives the clip vector, and a fully connected
layer with ReLU gives the embedding. The classifier (``classifier.2``) plays the original's
``fc_audioset``: :mod:`audiokit.pretrained` converts the official AudioSet checkpoints into these
modules (our maps are (frequency, time), the original's (time, frequency), so the converter transposes
each square kernel; ``bn0`` normalises the mel bins in both).

Every 2x2 pooling floors the size, so the network needs ``min_frames`` = ``min_features`` =
2 ** (number of poolings): 16 for CNN6 / CNN10 and 32 for CNN14. Shorter clips are zero-padded
internally (their true length is kept); fewer feature bins raise ``ValueError`` at build time.

Notebook: 09_panns
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AudioBackbone, conv_lengths, fast_dropout, frame_mask, mask_frames


class ConvBlock(nn.Module):
    """``n_convs`` x (conv k x k -> BatchNorm -> ReLU), then average pooling ``pool`` x ``pool``.

    Notebook: 09_panns
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, n_convs: int, pool: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList()
        for i in range(n_convs):
            self.convs.append(nn.Sequential(
                nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, kernel, padding=kernel // 2, bias=False),
                nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)))
        self.pool = pool

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        for conv in self.convs:
            x = conv(mask_frames(x, lengths))
        if self.pool > 1:
            x = F.avg_pool2d(x, self.pool)
        return x


class PANNsCNN(AudioBackbone):
    """Generic PANNs CNN; use :class:`CNN6`, :class:`CNN10` or :class:`CNN14`.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F (mel bands).
    channels : tuple of int
        Output channels of each convolution block.
    embedding_dim : int
        Width of the fully connected embedding layer.
    dropout : float
        Dropout before the classifier (the blocks use 0.2 and the clip vector 0.5, as in PANNs).
    checkpointing : bool
        Gradient checkpointing of each convolution block while training.

    Notebook: 09_panns
    """

    KERNEL = 3
    N_CONVS = 2
    DEFAULT_CHANNELS: tuple[int, ...] = (64, 128, 256, 512)

    def __init__(self, num_classes: int, n_features: int = 80, channels: tuple[int, ...] | None = None,
                 embedding_dim: int | None = None, dropout: float = 0.1, checkpointing: bool = False) -> None:
        channels = tuple(channels or self.DEFAULT_CHANNELS)
        # the original CNN14 keeps the resolution in its last block
        self.pools = tuple(2 for _ in channels) if len(channels) <= 4 else tuple(2 for _ in channels[:-1]) + (1,)
        n_pools = sum(p > 1 for p in self.pools)
        self.min_frames = self.min_features = 2 ** n_pools
        super().__init__(num_classes, n_features, checkpointing)
        self.bn0 = nn.BatchNorm1d(n_features)
        blocks, in_ch = [], 1
        for out_ch, pool in zip(channels, self.pools):
            blocks.append(ConvBlock(in_ch, out_ch, self.KERNEL, self.N_CONVS, pool))
            in_ch = out_ch
        self.blocks = nn.ModuleList(blocks)
        self.embedding_dim = embedding_dim or channels[-1]
        self.fc1 = nn.Linear(channels[-1], self.embedding_dim)
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Dropout(dropout),
                                        nn.Linear(self.embedding_dim, num_classes))

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        x = self.bn0(x).unsqueeze(1)  # (B, 1, F, T)
        for block, pool in zip(self.blocks, self.pools):
            x = self._run(block, x, lengths)
            if pool > 1:
                lengths = conv_lengths(lengths, pool, pool)
            x = fast_dropout(x, 0.2, self.training)
        x = x.mean(dim=2)  # (B, C, T): average over frequency
        if lengths is None:
            x = x.amax(dim=-1) + x.mean(dim=-1)
        else:
            valid = frame_mask(lengths, x.shape[-1]).unsqueeze(1)
            mean = (x * valid).sum(-1) / valid.sum(-1).clamp(min=1)
            x = x.masked_fill(~valid, float("-inf")).amax(dim=-1) + mean
        x = fast_dropout(x, 0.5, self.training)
        return F.relu(self.fc1(x))


class CNN6(PANNsCNN):
    """PANNs CNN6: four blocks of one 5x5 convolution (64-128-256-512 channels). Notebook: 09_panns"""

    KERNEL = 5
    N_CONVS = 1


class CNN10(PANNsCNN):
    """PANNs CNN10: four blocks of two 3x3 convolutions (64-128-256-512 channels). Notebook: 09_panns"""


class CNN14(PANNsCNN):
    """PANNs CNN14: six blocks of two 3x3 convolutions (64 ... 2048 channels). Notebook: 09_panns"""

    DEFAULT_CHANNELS = (64, 128, 256, 512, 1024, 2048)
