"""ERes2Net and ERes2NetV2 (Chen et al. 2023): Res2Net blocks with attentional feature fusion.

ERes2Net enhances a Res2Net-style ResNet in two ways:

- *local* fusion: inside the blocks of stages 3 and 4, channel group i is merged with the output of
  group i-1 by attentional feature fusion (AFF, a learned soft gate) instead of a plain sum;
- *global* fusion: the outputs of successive stages are merged bottom-up (each downsampled by a
  stride-2 3x3 convolution and fused with the next stage by AFF). ERes2NetV2 keeps only the last
  fusion (stage 3 into stage 4) and uses narrower groups.

Stages 2-4 halve time and frequency; the (channels x bins) per frame are pooled with temporal
statistics (mean, std) and projected to the embedding. ``min_features = 8``, ``min_frames = 1``.
Padded frames are zeroed before each 3x3 convolution.

Notebook: 13_eres2net
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AttentionalFeatureFusion, AudioBackbone, conv_lengths, conv_size, mask_frames
from .pooling import masked_mean_std


class ERes2Block(nn.Module):
    """Res2Net basic block of ERes2Net (every group convolved); ``fuse=True`` merges groups by AFF.

    Parameters
    ----------
    in_ch : int
        Input channels.
    planes : int
        Planes; output channels are ``planes * expansion``.
    stride : int
        Stride (time and frequency) of the first 1x1 convolution and the shortcut.
    base_width, scale : int
        Group width ``floor(planes * base_width / 64)`` and number of groups.
    expansion : int
        Output expansion.
    fuse : bool
        Merge groups with attentional feature fusion (stages 3-4) instead of addition.

    Notebook: 13_eres2net
    """

    def __init__(self, in_ch: int, planes: int, stride: int = 1, base_width: int = 32, scale: int = 2,
                 expansion: int = 2, fuse: bool = False) -> None:
        super().__init__()
        width = math.floor(planes * base_width / 64.0)
        out_ch = planes * expansion
        self.width, self.stride = width, stride
        self.conv1 = nn.Sequential(nn.Conv2d(in_ch, width * scale, 1, stride=stride, bias=False),
                                   nn.BatchNorm2d(width * scale), nn.ReLU(inplace=True))
        self.convs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                          nn.ReLU(inplace=True)) for _ in range(scale))
        self.fusions = nn.ModuleList(AttentionalFeatureFusion(width) for _ in range(scale - 1)) if fuse else None
        self.conv3 = nn.Sequential(nn.Conv2d(width * scale, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``lengths`` are the frame counts at the block's *output* resolution."""
        chunks = torch.split(self.conv1(x), self.width, dim=1)
        ys = []
        y = None
        for i, conv in enumerate(self.convs):
            if y is None:
                inp = chunks[i]
            elif self.fusions is None:
                inp = y + chunks[i]
            else:
                inp = self.fusions[i - 1](y, chunks[i])
            y = conv(mask_frames(inp, lengths))
            ys.append(y)
        out = self.conv3(torch.cat(ys, dim=1))
        residual = x if self.shortcut is None else self.shortcut(x)
        return F.relu_(out.add_(residual))  # in place: saves a full-size temporary per block


class ERes2Net(AudioBackbone):
    """ERes2Net classifier (``fusion="all"``); ERes2NetV2 is ``fusion="last"``, ``base_width=26``.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F.
    channels : int
        Stem channels m; stage planes are m, 2m, 4m, 8m.
    layers : tuple of int
        Blocks per stage (4 stages).
    base_width, scale, expansion : int
        Res2Net group width, number of groups, block expansion.
    fusion : str
        Global fusion: "all": bottom-up AFF fusion of every stage (ERes2Net); "last": stage 3
        into 4 only (V2); "none": no global fusion (the last stage's output is pooled).
    local_fusion : bool
        Merge the channel groups of the stage 3-4 blocks by AFF (True, ERes2Net) or by a plain
        sum as in Res2Net (False). ``local_fusion=False, fusion="none"`` is the model without
        any attentional fusion (notebook 13's first exercise).
    embedding_dim : int
        Embedding size.
    dropout : float
        Dropout before the classifier.
    checkpointing : bool
        Gradient checkpointing of each block while training.

    Notebook: 13_eres2net
    """

    min_features = 8

    def __init__(self, num_classes: int, n_features: int = 80, channels: int = 32,
                 layers: tuple[int, ...] = (3, 4, 6, 3), base_width: int = 32, scale: int = 2, expansion: int = 2,
                 fusion: str = "all", embedding_dim: int = 192, dropout: float = 0.0,
                 checkpointing: bool = False, local_fusion: bool = True) -> None:
        super().__init__(num_classes, n_features, checkpointing)
        if len(layers) != 4:
            raise ValueError(f"audiokit.models (ERes2Net): layers needs 4 stages, got {layers}")
        if fusion not in ("all", "last", "none"):
            raise ValueError(f"audiokit.models (ERes2Net): fusion must be 'all', 'last' or 'none', got {fusion!r}")
        self.fusion = fusion
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(inplace=True))
        self.stages = nn.ModuleList()
        in_ch, freq, stage_out = channels, n_features, []
        for stage, n_blocks in enumerate(layers):
            planes, stride = channels * 2 ** stage, (1 if stage == 0 else 2)
            blocks = []
            for b in range(n_blocks):
                blocks.append(ERes2Block(in_ch, planes, stride if b == 0 else 1, base_width, scale, expansion,
                                         fuse=local_fusion and stage >= 2))
                in_ch = planes * expansion
            self.stages.append(nn.ModuleList(blocks))
            stage_out.append(in_ch)
            freq = conv_size(freq, 3, stride, 1)
        fused = {"all": range(3), "last": range(2, 3), "none": range(0)}[fusion]
        self.downsample = nn.ModuleDict(
            {str(i): nn.Conv2d(stage_out[i], stage_out[i + 1], 3, stride=2, padding=1, bias=False) for i in fused})
        self.fuse = nn.ModuleDict({str(i): AttentionalFeatureFusion(stage_out[i + 1]) for i in fused})
        self.stats_dim = 2 * stage_out[-1] * freq
        self.embedding = nn.Linear(self.stats_dim, embedding_dim)
        self.embedding_dim = embedding_dim
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(embedding_dim, num_classes))

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        x = self.stem(mask_frames(x.unsqueeze(1), lengths))
        fused = None
        for i, blocks in enumerate(self.stages):
            prev_lengths = lengths
            for block in blocks:
                if block.stride > 1:
                    lengths = conv_lengths(lengths, 3, block.stride, 1)
                x = self._run(block, x, lengths)
            key = str(i - 1)
            if fused is not None and key in self.fuse:
                fused = self.fuse[key](x, self.downsample[key](mask_frames(fused, prev_lengths)))
            elif str(i) in self.fuse:  # the chain of fused stages starts here
                fused = x
        out = fused if fused is not None else x
        mean, std = masked_mean_std(out.flatten(1, 2), lengths)
        return self.embedding(torch.cat((mean, std), dim=1))
