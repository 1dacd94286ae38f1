"""ECAPA-TDNN (Desplanques et al. 2020): SE-Res2Net TDNN blocks, multi-layer aggregation, ASP.

A first 1-D convolution (kernel 5) is followed by three SE-Res2Blocks with dilations 2, 3, 4. Each
block is ``1x1 conv -> Res2Net split-transform (dilated) -> 1x1 conv -> squeeze-excitation`` with a
residual connection. The outputs of the three blocks are concatenated and fused by a 1x1 layer
(multi-layer feature aggregation), pooled with attentive statistics pooling (global context) and
projected to the embedding. All convolutions use zero "same" padding; padded frames are zeroed before
each convolution that looks across time, so ``min_frames = 1``.

Notebook: 08_ecapa_tdnn
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import AudioBackbone, Res2Split1d, SqueezeExcite, mask_frames
from .pooling import EmbeddingHead


def _conv_relu_bn(in_ch: int, out_ch: int, kernel: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel - 1) // 2
    return nn.Sequential(nn.Conv1d(in_ch, out_ch, kernel, padding=pad, dilation=dilation),
                         nn.ReLU(inplace=True), nn.BatchNorm1d(out_ch))


class SERes2Block(nn.Module):
    """SE-Res2Block: 1x1 -> Res2 (dilated) -> 1x1 -> SE, plus the residual.

    Notebook: 08_ecapa_tdnn
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int, scale: int = 8,
                 se_channels: int = 128) -> None:
        super().__init__()
        self.pre = _conv_relu_bn(channels, channels)
        self.res2 = Res2Split1d(channels, kernel_size, dilation, scale)
        self.post = _conv_relu_bn(channels, channels)
        self.se = SqueezeExcite(channels, se_channels)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out = mask_frames(self.pre(x), lengths)
        out = self.post(self.res2(out, lengths))
        return self.se(out, lengths) + x


class ECAPATDNN(AudioBackbone):
    """ECAPA-TDNN classifier.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F per frame.
    channels : int
        Width C of the first layer and of the SE-Res2Blocks (divisible by ``scale``).
    mfa_channels : int
        Width of the multi-layer aggregation layer (1536 in the paper).
    kernel_sizes, dilations : tuple of int
        Kernel (frames) and dilation of the first layer followed by each SE-Res2Block.
    scale : int
        Res2Net scale (channel groups).
    se_channels : int
        Squeeze-excitation bottleneck.
    attention_channels : int
        Hidden width of the pooling attention.
    embedding_dim : int
        Embedding size.
    pooling : str
        "asp" (default), "sap", "tap" or "tsp".
    dropout : float
        Dropout before the classifier.
    checkpointing : bool
        Gradient checkpointing of each SE-Res2Block while training.

    Notebook: 08_ecapa_tdnn
    """

    def __init__(self, num_classes: int, n_features: int = 80, channels: int = 512, mfa_channels: int = 1536,
                 kernel_sizes: tuple[int, ...] = (5, 3, 3, 3), dilations: tuple[int, ...] = (1, 2, 3, 4),
                 scale: int = 8, se_channels: int = 128, attention_channels: int = 128,
                 embedding_dim: int = 192, pooling: str = "asp", dropout: float = 0.0,
                 checkpointing: bool = False) -> None:
        super().__init__(num_classes, n_features, checkpointing)
        if len(kernel_sizes) != len(dilations) or len(kernel_sizes) < 2:
            raise ValueError("audiokit.models (ECAPATDNN): kernel_sizes and dilations need the same length >= 2")
        self.layer1 = _conv_relu_bn(n_features, channels, kernel_sizes[0], dilations[0])
        self.blocks = nn.ModuleList(
            SERes2Block(channels, k, d, scale, se_channels) for k, d in zip(kernel_sizes[1:], dilations[1:]))
        self.mfa = _conv_relu_bn(channels * len(self.blocks), mfa_channels)
        self.head = EmbeddingHead(mfa_channels, embedding_dim, pooling, attention_channels)
        self.embedding_dim = embedding_dim
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(embedding_dim, num_classes))

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        x = self.layer1(mask_frames(x, lengths))
        outs = []
        for block in self.blocks:
            x = self._run(block, x, lengths)
            outs.append(x)
        x = self.mfa(torch.cat(outs, dim=1))
        return self.head(x, lengths)
