"""ResNet with squeeze-and-excitation (He et al. 2016; Hu et al. 2018) on the feature map.

A 3x3 stem, then four stages of bottleneck blocks (3-4-6-3, expansion 2); every block ends with a
squeeze-excitation gate that rescales channels from their (masked) time-frequency average. Stages
2-4 halve time and frequency with stride-2 3x3 convolutions. The (channels x bins) of each frame are
flattened and pooled over time into the embedding.

Sizes: frequency F -> ceil(F / 8); ``min_features = 8`` so that at least one bin is left after three
halvings of a meaningful map; ``min_frames = 1``.

Notebook: 11_resnet_se
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AudioBackbone, SqueezeExcite, conv_lengths, conv_size, mask_frames
from .pooling import EmbeddingHead


class SEBottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 bottleneck with an SE gate; output channels ``planes * 2``.

    Notebook: 11_resnet_se
    """

    expansion = 2

    def __init__(self, in_ch: int, planes: int, stride: int = 1, reduction: int = 8) -> None:
        super().__init__()
        out_ch = planes * self.expansion
        self.stride = stride
        self.conv1 = nn.Sequential(nn.Conv2d(in_ch, planes, 1, bias=False), nn.BatchNorm2d(planes),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False),
                                   nn.BatchNorm2d(planes), nn.ReLU(inplace=True))
        self.conv3 = nn.Sequential(nn.Conv2d(planes, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.se = SqueezeExcite(out_ch, out_ch // reduction)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv2(mask_frames(self.conv1(x), lengths))
        out_lengths = conv_lengths(lengths, 3, self.stride, 1)
        out = self.se(self.conv3(out), out_lengths)
        residual = x if self.shortcut is None else self.shortcut(x)
        return F.relu_(out.add_(residual))  # in place: saves a full-size temporary per block


class ResNetSE(AudioBackbone):
    """ResNet-SE classifier.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F.
    channels : tuple of int
        Bottleneck planes per stage (outputs are twice these).
    layers : tuple of int
        Blocks per stage.
    reduction : int
        SE bottleneck reduction.
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

    Notebook: 11_resnet_se
    """

    min_features = 8

    def __init__(self, num_classes: int, n_features: int = 80, channels: tuple[int, ...] = (32, 64, 128, 256),
                 layers: tuple[int, ...] = (3, 4, 6, 3), reduction: int = 8, embedding_dim: int = 192,
                 pooling: str = "asp", attention_channels: int = 128, dropout: float = 0.0,
                 checkpointing: bool = False) -> None:
        super().__init__(num_classes, n_features, checkpointing)
        if len(channels) != len(layers):
            raise ValueError("audiokit.models (ResNetSE): channels and layers need the same length")
        self.stem = nn.Sequential(nn.Conv2d(1, channels[0], 3, padding=1, bias=False), nn.BatchNorm2d(channels[0]),
                                  nn.ReLU(inplace=True))
        blocks = []
        in_ch, freq = channels[0], n_features
        for stage, (planes, n_blocks) in enumerate(zip(channels, layers)):
            stride = 1 if stage == 0 else 2
            for b in range(n_blocks):
                blocks.append(SEBottleneck(in_ch, planes, stride if b == 0 else 1, reduction))
                in_ch = planes * SEBottleneck.expansion
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
        for block in self.blocks:
            x = self._run(block, x, lengths)
            lengths = conv_lengths(lengths, 3, block.stride, 1)
        return self.head(x.flatten(1, 2), lengths)
