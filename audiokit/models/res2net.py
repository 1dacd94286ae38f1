"""Res2Net (Gao et al. 2019) on the (frequency x time) feature map, with a pooled embedding head.

A ResNet-50-style trunk (3-4-6-3 bottleneck blocks) in which the 3x3 convolution of each bottleneck
is replaced by the Res2Net split-transform: channels are cut into ``scale`` groups, and group i is
convolved after adding the output of group i-1, so one block sees several receptive-field sizes.
A 7x7 stride-3 stem and a 3x3 stride-2 max pooling shrink the map first; stages 2-4 halve time and
frequency again. The remaining (channels x bins) are flattened per frame and pooled over time.

Sizes: frequency F -> (F - 5) // 3 + 1 -> then halved (rounding up) 4 times; ``min_features`` =
``min_frames`` = 5 (shorter clips are zero-padded internally).

Notebook: 10_res2net
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AudioBackbone, conv_lengths, conv_size, mask_frames
from .pooling import EmbeddingHead


class Res2Bottleneck(nn.Module):
    """Bottleneck with a 2-D Res2Net split-transform; output channels ``planes * 4``.

    Parameters
    ----------
    in_ch : int
        Input channels.
    planes : int
        Bottleneck planes; the group width is ``floor(planes * base_width / 64)``.
    stride : int
        Stride (time and frequency) of the 3x3 convolutions.
    base_width, scale : int
        Res2Net width and number of groups.
    first : bool
        First block of a stage: groups are transformed independently and the last group is
        average-pooled (the "stage" variant of the paper).

    Notebook: 10_res2net
    """

    expansion = 4

    def __init__(self, in_ch: int, planes: int, stride: int = 1, base_width: int = 32, scale: int = 2,
                 first: bool = False) -> None:
        super().__init__()
        width = math.floor(planes * base_width / 64.0)
        out_ch = planes * self.expansion
        self.width, self.scale, self.stride, self.first = width, scale, stride, first
        self.conv1 = nn.Sequential(nn.Conv2d(in_ch, width * scale, 1, bias=False), nn.BatchNorm2d(width * scale),
                                   nn.ReLU(inplace=True))
        n_convs = max(scale - 1, 1)
        self.convs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width),
                          nn.ReLU(inplace=True)) for _ in range(n_convs))
        self.conv3 = nn.Sequential(nn.Conv2d(width * scale, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out = mask_frames(self.conv1(x), lengths)
        chunks = torch.split(out, self.width, dim=1)
        out_lengths = conv_lengths(lengths, 3, self.stride, 1)
        ys = []
        y = None
        for i, conv in enumerate(self.convs):
            inp = chunks[i] if (y is None or self.first) else chunks[i] + y
            y = conv(inp)
            if not self.first:
                y = mask_frames(y, out_lengths)
            ys.append(y)
        if self.scale > 1:
            last = chunks[-1]
            ys.append(F.avg_pool2d(last, 3, self.stride, 1) if self.first else last)
        out = self.conv3(torch.cat(ys, dim=1))
        residual = x if self.shortcut is None else self.shortcut(x)
        return F.relu_(out.add_(residual))  # in place: saves a full-size temporary per block


class Res2Net(AudioBackbone):
    """Res2Net classifier.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F.
    channels : int
        Stem channels (stage widths are 1x, 2x, 4x, 8x this, times the expansion 4).
    layers : tuple of int
        Blocks per stage.
    base_width, scale : int
        Res2Net group width and number of groups.
    embedding_dim : int
        Embedding size.
    pooling : str
        "asp" (default), "sap", "tap" or "tsp".
    attention_channels : int
        Hidden width of the pooling attention.
    dropout : float
        Dropout before the classifier.
    checkpointing : bool
        Gradient checkpointing of each block while training.

    Notebook: 10_res2net
    """

    min_frames = 5
    min_features = 5

    def __init__(self, num_classes: int, n_features: int = 80, channels: int = 32,
                 layers: tuple[int, ...] = (3, 4, 6, 3), base_width: int = 32, scale: int = 2,
                 embedding_dim: int = 192, pooling: str = "asp", attention_channels: int = 128,
                 dropout: float = 0.0, checkpointing: bool = False) -> None:
        super().__init__(num_classes, n_features, checkpointing)
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 7, stride=3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        blocks = []
        in_ch = channels
        freq = conv_size(conv_size(n_features, 7, 3, 1), 3, 2, 1)
        for stage, n_blocks in enumerate(layers):
            planes = channels * 2 ** stage
            stride = 1 if stage == 0 else 2
            for b in range(n_blocks):
                blocks.append(Res2Bottleneck(in_ch, planes, stride if b == 0 else 1, base_width, scale, b == 0))
                in_ch = planes * Res2Bottleneck.expansion
            freq = conv_size(freq, 3, stride, 1)
        self.blocks = nn.ModuleList(blocks)
        self.head = EmbeddingHead(in_ch * freq, embedding_dim, pooling, attention_channels)
        self.embedding_dim = embedding_dim
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(embedding_dim, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        x = self.stem(mask_frames(x.unsqueeze(1), lengths))
        lengths = conv_lengths(lengths, 7, 3, 1)
        x = F.max_pool2d(mask_frames(x, lengths), 3, 2, 1)
        lengths = conv_lengths(lengths, 3, 2, 1)
        for block in self.blocks:
            x = self._run(block, x, lengths)
            lengths = conv_lengths(lengths, 3, block.stride, 1)
        x = x.flatten(1, 2)  # (B, C * F', T')
        return self.head(x, lengths)
