"""Per-clip operations over a clip's valid frames: the ``top_db`` floor and CMN / CMVN.

Both look at one clip as a whole (its loudest value, its mean), so in a padded batch they must
ignore the frames past each clip's end, or a clip's features would depend on its batch-mates.

Notebook: 04_mel_mfcc_fbank
"""

from __future__ import annotations

import torch

__all__ = ["floor_below_peak", "normalize_utterance", "valid_frames"]


def valid_frames(feats: torch.Tensor, n_frames: torch.Tensor | None) -> torch.Tensor:
    """Bool mask ``(B, frames, 1)``: True where frame ``t`` of clip ``b`` is ``< n_frames[b]``.

    ``n_frames`` None means every frame is valid.
    """
    if n_frames is None:
        return torch.ones_like(feats[..., :1], dtype=torch.bool)
    steps = torch.arange(feats.shape[1], device=feats.device)
    return (steps[None, :] < n_frames[:, None]).unsqueeze(-1)


def floor_below_peak(db: torch.Tensor, n_frames: torch.Tensor | None, top_db: float) -> torch.Tensor:
    """Floor ``db`` ``(B, frames, bins)`` at ``top_db`` dB under each clip's loudest valid value.

    The same as ``librosa.power_to_db(S, top_db=top_db)`` on each clip alone. A gain ``g``
    shifts every value of a clip, its peak included, by ``20 log10 g`` dB, so the floored
    clip shifts by exactly that and per-clip mean normalisation removes it.
    """
    peak = db.masked_fill(~valid_frames(db, n_frames), float("-inf")).amax(dim=(1, 2), keepdim=True)
    return torch.maximum(db, peak - top_db)


def normalize_utterance(feats: torch.Tensor, n_frames: torch.Tensor | None, mode: str) -> torch.Tensor:
    """Per-clip mean (``"cmn"``) or mean and variance (``"cmvn"``) normalisation over the valid
    frames of ``feats`` ``(B, frames, n_features)``."""
    mask = valid_frames(feats, n_frames).to(feats.dtype)
    count = mask.sum(dim=1, keepdim=True).clamp(min=1.0)
    mean = (feats * mask).sum(dim=1, keepdim=True) / count
    feats = feats - mean
    if mode == "cmvn":
        var = (feats * feats * mask).sum(dim=1, keepdim=True) / count
        feats = feats / torch.sqrt(var + 1e-10)
    return feats
