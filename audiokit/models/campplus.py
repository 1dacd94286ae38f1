"""CAM++ (Wang et al. 2023): a 2-D front-end, then a densely connected TDNN with context-aware masking.

1. Front-end (FCM): a small 2-D ResNet (3x3 stem, two stages of two basic blocks, a last 3x3 layer)
   that halves only the frequency axis three times; its (channels x bins) become 1-D channels.
2. A TDNN layer (kernel 5, stride 2) halves the frame rate.
3. Three densely connected blocks (12, 24, 16 layers; growth 32): each layer is
   ``BN-ReLU -> 1x1 conv (bottleneck) -> BN-ReLU -> CAM`` and its output is concatenated to its input.
   The CAM layer is a dilated 3x3 convolution whose output is gated by a sigmoid of context
   (clip mean + mean of the surrounding 100-frame segment). Transition layers halve the channels.
4. Statistics pooling (mean, std) and a dense layer give the 512-d embedding.

Padded frames are zeroed before each convolution across time; the global and segment means are
masked. ``min_features = 8`` (three frequency halvings), ``min_frames = 1``.

Notebook: 12_campplus
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AudioBackbone, conv_lengths, conv_size, frame_mask, mask_frames, masked_mean
from .pooling import masked_mean_std


def _bn_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm1d(channels), nn.ReLU(inplace=True))


class BasicBlock2d(nn.Module):
    """ResNet basic block whose stride acts on frequency only. Notebook: 12_campplus"""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, stride=(stride, 1), padding=1, bias=False),
                                   nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch))
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=(stride, 1), bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv2(mask_frames(self.conv1(mask_frames(x, lengths)), lengths))
        residual = x if self.shortcut is None else self.shortcut(x)
        return F.relu_(out.add_(residual))  # in place: saves a full-size temporary per block


class FCM(nn.Module):
    """CAM++ front-end convolution module: (B, F, T) -> (B, channels * ceil(F / 8), T).

    Notebook: 12_campplus
    """

    def __init__(self, n_features: int, channels: int = 32, blocks: tuple[int, int] = (2, 2)) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(inplace=True))
        layers = []
        for n_blocks in blocks:
            for b in range(n_blocks):
                layers.append(BasicBlock2d(channels, channels, 2 if b == 0 else 1))
        self.layers = nn.ModuleList(layers)
        self.last = nn.Sequential(nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False),
                                  nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        freq = n_features
        for _ in range(len(blocks) + 1):
            freq = conv_size(freq, 3, 2, 1)
        self.out_channels = channels * freq

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = self.stem(mask_frames(x.unsqueeze(1), lengths))
        for layer in self.layers:
            x = layer(x, lengths)
        x = self.last(mask_frames(x, lengths))
        return x.flatten(1, 2)


class CAMLayer(nn.Module):
    """Context-aware masking: a dilated conv gated by clip-level and segment-level context.

    Parameters
    ----------
    in_ch, out_ch : int
        Channels.
    kernel_size, dilation : int
        Local convolution along time (frames).
    reduction : int
        Bottleneck reduction of the context network.
    segment : int
        Segment length (frames) of the segment-level average.

    Notebook: 12_campplus
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int = 3, dilation: int = 1, reduction: int = 2,
                 segment: int = 100) -> None:
        super().__init__()
        self.local = nn.Conv1d(in_ch, out_ch, kernel_size, padding=dilation * (kernel_size - 1) // 2,
                               dilation=dilation, bias=False)
        self.context1 = nn.Conv1d(in_ch, in_ch // reduction, 1)
        self.context2 = nn.Conv1d(in_ch // reduction, out_ch, 1)
        self.segment = segment

    def _segment_mean(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        n_frames = x.shape[-1]
        if lengths is None:
            seg = F.avg_pool1d(x, self.segment, self.segment, ceil_mode=True)
        else:
            mask = frame_mask(lengths, n_frames, x.dtype).unsqueeze(1)
            total = F.avg_pool1d(x * mask, self.segment, self.segment, ceil_mode=True)
            count = F.avg_pool1d(mask, self.segment, self.segment, ceil_mode=True)
            seg = total / count.clamp(min=1e-6)
        seg = seg.unsqueeze(-1).expand(-1, -1, -1, self.segment).flatten(2)
        return seg[..., :n_frames]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        x = mask_frames(x, lengths)
        y = self.local(x)
        context = masked_mean(x, lengths, keepdim=True) + self._segment_mean(x, lengths)
        gate = torch.sigmoid(self.context2(F.relu(self.context1(context))))
        return y * gate


class CAMDenseLayer(nn.Module):
    """BN-ReLU -> 1x1 bottleneck -> BN-ReLU -> CAM layer. Notebook: 12_campplus"""

    def __init__(self, in_ch: int, growth: int, bottleneck: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.pre = nn.Sequential(_bn_relu(in_ch), nn.Conv1d(in_ch, bottleneck, 1, bias=False), _bn_relu(bottleneck))
        self.cam = CAMLayer(bottleneck, growth, kernel_size, dilation)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.cam(self.pre(x), lengths)


class CAMPPlus(AudioBackbone):
    """CAM++ classifier.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    n_features : int
        Feature bins F.
    fcm_channels : int
        Channels of the 2-D front-end.
    init_channels : int
        Output channels of the stride-2 TDNN layer.
    growth_rate : int
        Channels added by each dense layer.
    bn_size : int
        Bottleneck width of each dense layer, in multiples of ``growth_rate``.
    block_layers, block_dilations : tuple of int
        Layers and dilation of each dense block.
    embedding_dim : int
        Embedding size.
    dropout : float
        Dropout before the classifier.
    checkpointing : bool
        Gradient checkpointing of each dense layer while training (memory for speed).

    Notebook: 12_campplus
    """

    min_features = 8

    def __init__(self, num_classes: int, n_features: int = 80, fcm_channels: int = 32, init_channels: int = 128,
                 growth_rate: int = 32, bn_size: int = 4, block_layers: tuple[int, ...] = (12, 24, 16),
                 block_dilations: tuple[int, ...] = (1, 2, 2), embedding_dim: int = 512, dropout: float = 0.0,
                 checkpointing: bool = False) -> None:
        super().__init__(num_classes, n_features, checkpointing)
        if len(block_layers) != len(block_dilations):
            raise ValueError("audiokit.models (CAMPPlus): block_layers and block_dilations need the same length")
        self.fcm = FCM(n_features, fcm_channels)
        self.tdnn = nn.Sequential(nn.Conv1d(self.fcm.out_channels, init_channels, 5, stride=2, padding=2, bias=False),
                                  _bn_relu(init_channels))
        channels = init_channels
        self.blocks = nn.ModuleList()
        self.transits = nn.ModuleList()
        for n_layers, dilation in zip(block_layers, block_dilations):
            self.blocks.append(nn.ModuleList(
                CAMDenseLayer(channels + i * growth_rate, growth_rate, bn_size * growth_rate, 3, dilation)
                for i in range(n_layers)))
            channels += n_layers * growth_rate
            self.transits.append(nn.Sequential(_bn_relu(channels), nn.Conv1d(channels, channels // 2, 1, bias=False)))
            channels //= 2
        self.out_norm = _bn_relu(channels)
        self.dense = nn.Conv1d(2 * channels, embedding_dim, 1, bias=False)
        self.dense_norm = nn.BatchNorm1d(embedding_dim, affine=False)
        self.embedding_dim = embedding_dim
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(embedding_dim, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def _embed(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        x = self.fcm(x, lengths)
        x = self.tdnn(mask_frames(x, lengths))
        lengths = conv_lengths(lengths, 5, 2, 2)
        for block, transit in zip(self.blocks, self.transits):
            for layer in block:
                x = torch.cat((x, self._run(layer, x, lengths)), dim=1)
            x = transit(x)
        mean, std = masked_mean_std(self.out_norm(x), lengths)
        stats = torch.cat((mean, std), dim=1).unsqueeze(-1)
        return self.dense_norm(self.dense(stats)).squeeze(-1)
