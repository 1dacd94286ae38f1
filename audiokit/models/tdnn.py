"""x-vector TDNN (Snyder et al. 2018): dilated 1-D convolutions over frames, then pooling.

Five frame-level layers look at a growing temporal context (kernel 5, then 3 with dilation 2 and 3,
then two point-wise layers: 15 frames of context in total); a pooling layer turns the frame sequence
into one vector and a segment layer gives the embedding. The convolutions are "valid" (no padding)
as in the original x-vector, so an output frame only ever sees real input frames and the model needs
at least ``min_frames = 15`` frames (shorter inputs are zero-padded internally, their true length
is kept).

Notebook: 07_tdnn
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import AudioBackbone, conv_lengths
from .pooling import EmbeddingHead


class TDNN(AudioBackbone):
    """x-vector TDNN classifier.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F per frame (e.g. 80 mel bands).
    channels : int
        Width of every frame-level layer.
    embedding_dim : int
        Size of the clip embedding returned by :meth:`embed`.
    pooling : str
        "asp" (default), "sap", "tap" or "tsp"; see :mod:`audiokit.models.pooling`.
    attention_channels : int
        Hidden width of the SAP / ASP attention.
    dropout : float
        Dropout before the classifier.
    checkpointing : bool
        Accepted for a uniform API; the network is shallow, so it is not used.

    Notebook: 07_tdnn
    """

    # (kernel frames, dilation) of the frame-level layers
    LAYERS = ((5, 1), (3, 2), (3, 3), (1, 1), (1, 1))
    min_frames = 1 + sum(d * (k - 1) for k, d in LAYERS)

    def __init__(self, num_classes: int, n_features: int = 80, channels: int = 512, embedding_dim: int = 192,
                 pooling: str = "asp", attention_channels: int = 128, dropout: float = 0.0,
                 checkpointing: bool = False) -> None:
        super().__init__(num_classes, n_features, checkpointing)
        layers = []
        in_ch = n_features
        for kernel, dilation in self.LAYERS:
            layers += [nn.Conv1d(in_ch, channels, kernel, dilation=dilation), nn.ReLU(inplace=True),
                       nn.BatchNorm1d(channels)]
            in_ch = channels
        self.frames = nn.Sequential(*layers)
        self.head = EmbeddingHead(channels, embedding_dim, pooling, attention_channels)
        self.embedding_dim = embedding_dim
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(embedding_dim, num_classes))

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        x = self.frames(x)
        for kernel, dilation in self.LAYERS:
            lengths = conv_lengths(lengths, kernel, dilation=dilation)
        return self.head(x, lengths)
