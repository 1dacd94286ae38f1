"""Batched signal operations the transforms share: FFT convolution, FFT filtering, FFT resampling.

All work on ``(B, n)`` tensors on any device; nothing here draws random numbers.

Notebook: 05_datasets_and_augmentation
"""

from __future__ import annotations

import math

import torch

__all__ = ["apply_response", "fft_convolve", "resample_fft", "rfft_size"]


def rfft_size(n: int) -> int:
    """Smallest power of two ``>= n`` (FFT length for a linear, not circular, convolution).

    Notebook: 05_datasets_and_augmentation
    """
    return 1 << max(0, (int(n) - 1).bit_length())


def fft_convolve(x: torch.Tensor, h: torch.Tensor, delay: int = 0) -> torch.Tensor:
    """Linear convolution ``x * h`` cut to ``x``'s length, starting ``delay`` samples in.

    Parameters
    ----------
    x : torch.Tensor
        Signals ``(B, n)``.
    h : torch.Tensor
        Impulse responses ``(B, k)`` (one per example) or ``(k,)`` (the same for all).
    delay : int
        Samples dropped at the start: ``0`` keeps a causal filter causal; ``(k - 1) // 2``
        re-centres a linear-phase FIR so its output lines up with its input.

    Returns
    -------
    torch.Tensor
        ``(B, n)``: ``y[t] = sum_j h[j] x[t + delay - j]``.

    Notebook: 05_datasets_and_augmentation
    """
    n, k = x.shape[-1], h.shape[-1]
    nfft = rfft_size(n + k - 1)
    h = h.to(device=x.device, dtype=x.dtype)
    spec = torch.fft.rfft(x, nfft) * torch.fft.rfft(h, nfft)
    return torch.fft.irfft(spec, nfft)[..., delay : delay + n]


def apply_response(x: torch.Tensor, response, nfft: int) -> torch.Tensor:
    """Filter ``x`` by a frequency response given on the ``nfft // 2 + 1`` rfft bins of ``nfft``.

    ``response`` is a tensor ``(B, nfft // 2 + 1)`` or ``(nfft // 2 + 1,)`` (complex for a filter
    with phase, real for zero phase), or a callable ``f_cycles -> response`` taking the bin
    frequencies in cycles per sample (0 .. 0.5). Choose ``nfft >= n + (length of the filter's
    impulse response)`` so the filtering is linear, not circular.

    Notebook: 05_datasets_and_augmentation
    """
    n = x.shape[-1]
    if callable(response):
        f = torch.fft.rfftfreq(nfft, device=x.device, dtype=torch.float64)
        response = response(f)
    spec = torch.fft.rfft(x.double(), nfft) * response.to(x.device)
    return torch.fft.irfft(spec, nfft)[..., :n].to(x.dtype)


def resample_fft(
    x: torch.Tensor, orig_sr: int, new_sr: int, n_out: int | None = None
) -> torch.Tensor:
    """Band-limited resampling of ``(B, n)`` from ``orig_sr`` to ``new_sr`` Hz, by FFT.

    The clip is zero-padded (so its end does not wrap onto its start) to a length whose duration is
    a whole number of samples at both rates, transformed, cut or zero-extended to the new rate's
    bins (an ideal low-pass at the lower Nyquist frequency) and transformed back.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, n)`` at ``orig_sr``.
    orig_sr, new_sr : int
        Sample rates in Hz.
    n_out : int, optional
        Samples to return; default ``round(n * new_sr / orig_sr)``.

    Notebook: 05_datasets_and_augmentation
    """
    if orig_sr == new_sr:
        return x if n_out is None else x[..., :n_out]
    n = x.shape[-1]
    g = math.gcd(int(orig_sr), int(new_sr))
    step_in, step_out = orig_sr // g, new_sr // g
    margin = max(64, n // 8)
    blocks = math.ceil((n + margin) / step_in)
    n_in, n_new = blocks * step_in, blocks * step_out
    spec = torch.fft.rfft(x.double(), n_in)
    bins = n_new // 2 + 1
    if spec.shape[-1] >= bins:
        spec = spec[..., :bins]
    else:
        spec = torch.cat([spec, spec.new_zeros(spec.shape[:-1] + (bins - spec.shape[-1],))], -1)
    y = torch.fft.irfft(spec, n_new) * (n_new / n_in)
    if n_out is None:
        n_out = round(n * new_sr / orig_sr)
    return y[..., :n_out].to(x.dtype)
