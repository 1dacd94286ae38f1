"""Length-aware temporal pooling: turn a (B, C, T) sequence into one (B, D) vector per clip.

- TAP: temporal average pooling, D = C.
- TSP: temporal statistics pooling, mean and standard deviation (x-vector, Snyder et al. 2018), D = 2C.
- SAP: self-attentive pooling, a learned softmax over frames per channel, D = C.
- ASP: attentive statistics pooling with global context (ECAPA-TDNN, Desplanques et al. 2020), D = 2C.

All of them take ``lengths`` (true frame counts at this resolution) and ignore padded frames via a
mask built with an ``arange`` comparison (exportable, no Python branches on tensor values).

Notebook: 07_tdnn
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import frame_mask

_EPS = 1e-6


def _stats(x: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean and std over time; ``weights`` (B, 1 or C, T) sum to 1 over T."""
    mean = (x * weights).sum(dim=-1)
    var = (weights * (x - mean.unsqueeze(-1)).pow(2)).sum(dim=-1)
    return mean, var.clamp(min=_EPS).sqrt()


def _uniform_weights(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """(B, 1, T) weights 1/n on valid frames, 0 on padding."""
    if lengths is None:
        return torch.full((x.shape[0], 1, x.shape[-1]), 1.0 / x.shape[-1], dtype=x.dtype, device=x.device)
    mask = frame_mask(lengths, x.shape[-1], x.dtype).unsqueeze(1)
    return mask / mask.sum(dim=-1, keepdim=True).clamp(min=1.0)


def masked_mean_std(x: torch.Tensor, lengths: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation over time (last axis) of (B, C, T), ignoring padded frames.

    Notebook: 07_tdnn
    """
    if lengths is None:
        var, mean = torch.var_mean(x, dim=-1, unbiased=False)
        return mean, var.clamp(min=_EPS).sqrt()
    return _stats(x, _uniform_weights(x, lengths))


class TemporalAveragePooling(nn.Module):
    """TAP: mean over valid frames. Input (B, C, T), output (B, C).

    Notebook: 07_tdnn
    """

    def __init__(self, in_dim: int) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = in_dim

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            return x.mean(dim=-1)
        return (x * _uniform_weights(x, lengths)).sum(dim=-1)


class TemporalStatisticsPooling(nn.Module):
    """TSP: concatenated mean and standard deviation over valid frames. (B, C, T) -> (B, 2C).

    Notebook: 07_tdnn
    """

    def __init__(self, in_dim: int) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = 2 * in_dim

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        mean, std = masked_mean_std(x, lengths)
        return torch.cat((mean, std), dim=1)


class SelfAttentivePooling(nn.Module):
    """SAP: per-channel softmax attention over frames, weighted mean. (B, C, T) -> (B, C).

    Scores are ``V tanh(W x_t + b) + k`` (point-wise layers); padded frames get -inf before the
    softmax.

    Parameters
    ----------
    in_dim : int
        Channels C.
    attention_channels : int
        Hidden width of the scoring network.

    Notebook: 07_tdnn
    """

    def __init__(self, in_dim: int, attention_channels: int = 128) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = in_dim
        self.hidden = nn.Conv1d(in_dim, attention_channels, kernel_size=1)
        self.score = nn.Conv1d(attention_channels, in_dim, kernel_size=1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        scores = self.score(torch.tanh(self.hidden(x)))
        if lengths is not None:
            valid = frame_mask(lengths, x.shape[-1]).unsqueeze(1)
            scores = scores.masked_fill(~valid, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return (x * weights).sum(dim=-1)


class AttentiveStatisticsPooling(nn.Module):
    """ASP: channel-wise attentive mean and std, with global context (ECAPA-TDNN).

    The attention network sees each frame together with the clip's (masked) mean and std, which
    lets it weigh frames relative to the whole clip. (B, C, T) -> (B, 2C).

    Parameters
    ----------
    in_dim : int
        Channels C.
    attention_channels : int
        Hidden width of the attention network.
    global_context : bool
        Append the clip's mean and std to every frame before scoring.

    Notebook: 08_ecapa_tdnn
    """

    def __init__(self, in_dim: int, attention_channels: int = 128, global_context: bool = True) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = 2 * in_dim
        self.global_context = global_context
        self.attention = nn.Sequential(
            nn.Conv1d(in_dim * (3 if global_context else 1), attention_channels, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.BatchNorm1d(attention_channels),
            nn.Tanh(),
            nn.Conv1d(attention_channels, in_dim, kernel_size=1),
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        n_frames = x.shape[-1]
        if self.global_context:
            mean, std = masked_mean_std(x, lengths)
            context = torch.cat((mean, std), dim=1).unsqueeze(-1).expand(-1, -1, n_frames)
            scores = self.attention(torch.cat((x, context), dim=1))
        else:
            scores = self.attention(x)
        if lengths is not None:
            valid = frame_mask(lengths, n_frames).unsqueeze(1)
            scores = scores.masked_fill(~valid, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        mean, std = _stats(x, weights)
        return torch.cat((mean, std), dim=1)


POOLINGS = {
    "tap": TemporalAveragePooling,
    "tsp": TemporalStatisticsPooling,
    "sap": SelfAttentivePooling,
    "asp": AttentiveStatisticsPooling,
}


def build_pooling(name: str, in_dim: int, attention_channels: int = 128) -> nn.Module:
    """Build a pooling layer by name: "tap", "tsp", "sap" or "asp" (case-insensitive).

    Parameters
    ----------
    name : str
        Pooling kind.
    in_dim : int
        Channels C of the (B, C, T) input.
    attention_channels : int
        Hidden width for SAP / ASP (ignored by TAP / TSP).

    Returns
    -------
    torch.nn.Module
        With attributes ``in_dim`` and ``out_dim`` and ``forward(x, lengths=None) -> (B, out_dim)``.

    Notebook: 07_tdnn
    """
    key = str(name).lower()
    if key not in POOLINGS:
        raise ValueError(f"audiokit.models.pooling: unknown pooling {name!r}; choose one of {sorted(POOLINGS)}")
    if key in ("sap", "asp"):
        return POOLINGS[key](in_dim, attention_channels)
    return POOLINGS[key](in_dim)


class EmbeddingHead(nn.Module):
    """Pooling followed by ``BatchNorm -> Linear -> BatchNorm``: (B, C, T) -> (B, embedding_dim).

    The shared x-vector style segment layer used by TDNN, ECAPA-TDNN, Res2Net and ResNetSE.

    Parameters
    ----------
    in_dim : int
        Channels C of the frame sequence.
    embedding_dim : int
        Size of the clip embedding.
    pooling : str
        "tap", "tsp", "sap" or "asp".
    attention_channels : int
        Hidden width of SAP / ASP.

    Notebook: 07_tdnn
    """

    def __init__(self, in_dim: int, embedding_dim: int, pooling: str = "asp",
                 attention_channels: int = 128) -> None:
        super().__init__()
        self.pooling = build_pooling(pooling, in_dim, attention_channels)
        self.pool_norm = nn.BatchNorm1d(self.pooling.out_dim)
        self.linear = nn.Linear(self.pooling.out_dim, embedding_dim)
        self.norm = nn.BatchNorm1d(embedding_dim)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.norm(self.linear(self.pool_norm(self.pooling(x, lengths))))
