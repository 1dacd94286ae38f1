"""``FeatureExtractor``: waveforms ``(B, samples)`` -> features ``(B, frames, n_features)`` in torch.

Notebook: 04_mel_mfcc_fbank
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from audiokit.features.checks import check_arguments, check_waveforms
from audiokit.features.filterbanks import (
    KALDI_EPS,
    dct_matrix,
    kaldi_mel_filterbank,
    kaldi_window,
    mel_filterbank,
    next_pow2,
    stft_window,
)
from audiokit.features.utterance import floor_below_peak, normalize_utterance

__all__ = ["FeatureExtractor"]


class FeatureExtractor(torch.nn.Module):
    """Waveforms ``(B, samples)`` -> features ``(B, frames, n_features)``.

    Parameters
    ----------
    kind : str
        ``"spectrogram"`` (power in dB, ``n_fft // 2 + 1`` bins), ``"log_mel"`` (librosa
        melspectrogram + ``power_to_db(ref=1.0, top_db=None)``), ``"mfcc"`` (DCT-II ortho of the
        dB log-mel, like ``librosa.feature.mfcc``) or ``"fbank"`` (Kaldi log mel filterbank, like
        ``kaldi_native_fbank`` / ``compute-fbank-feats``).
    sample_rate : int
        Sampling rate in Hz.
    n_fft : int
        FFT size in samples (STFT kinds). ``fbank`` uses the next power of two of ``win_length``.
    win_length, hop_length : int
        Frame length and hop in samples (400 / 160 = 25 ms / 10 ms at 16 kHz).
    n_mels, n_mfcc : int
        Mel bands (log_mel, mfcc, fbank) and cepstral coefficients (mfcc).
    f_min, f_max : float
        Mel filterbank range in Hz; ``f_max`` None means Nyquist.
    window : str or None
        STFT window (any librosa/scipy name, periodic). None means ``"hann"`` for the STFT
        kinds and ``"povey"`` for fbank (fbank also takes ``"hann"``, ``"hamming"``,
        ``"rectangular"`` in Kaldi's symmetric form).
    center : bool
        STFT kinds: pad ``n_fft // 2`` samples on both sides so frame ``t`` is centred at
        ``t * hop_length`` (librosa's default).
    pad_mode : {"constant", "reflect"}
        STFT kinds with ``center``: what those padded samples are. ``"constant"`` pads zeros
        (librosa's default); ``"reflect"`` mirrors the clip without repeating its edge sample,
        like ``librosa.stft`` / ``torch.stft`` with ``pad_mode="reflect"`` (the PANNs front-end),
        and needs clips longer than ``n_fft // 2`` samples. With ``lengths`` each clip is
        mirrored at its own end, not at the batch's zero padding.
    power : float
        Exponent of the magnitude (2.0 = power spectrum, 1.0 = magnitude).
    log_floor : float
        Floor before ``10 log10`` for the dB kinds (librosa's ``amin``), in units of the power.
    top_db : float or None
        The dB kinds: floor each clip's dB values at ``top_db`` dB under that clip's loudest
        value (over its valid frames and all bins), like ``librosa.power_to_db(top_db=...)``
        applied to one clip. Unlike ``log_floor``, this floor moves with the clip's level, so a
        quieter recording of the same sound gives the same features after ``normalize``.
        None (the default) applies no such floor. Not for ``fbank`` (Kaldi has none).
    normalize : None, "cmn" or "cmvn"
        Per-utterance mean (and variance) normalisation over the valid frames.
    preemphasis : float
        fbank only: Kaldi pre-emphasis coefficient.
    dither : float
        fbank only: std of Gaussian noise added to samples in training mode (Kaldi dither,
        in units of the waveform; 0 disables it).
    snip_edges : bool
        fbank only: True keeps only frames that fit inside the clip (Kaldi default); False
        centres frames on ``t * hop + hop / 2`` and mirrors the signal at the edges.

    Notes
    -----
    All matrices (window x DFT, mel filterbank, DCT) are built once with NumPy/librosa in float64
    and kept as float32 buffers, so ``.to(device)`` moves them and exported graphs contain them.

    Notebook: 04_mel_mfcc_fbank
    """

    def __init__(
        self,
        kind: str = "log_mel",
        sample_rate: int = 16000,
        n_fft: int = 512,
        win_length: int = 400,
        hop_length: int = 160,
        n_mels: int = 80,
        n_mfcc: int = 40,
        f_min: float = 20.0,
        f_max: float | None = None,
        window: str | None = None,
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        log_floor: float = 1e-10,
        top_db: float | None = None,
        normalize: str | None = None,
        preemphasis: float = 0.97,
        dither: float = 0.0,
        snip_edges: bool = True,
    ) -> None:
        super().__init__()
        check_arguments(locals())
        self.kind = kind
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.win_length = int(win_length)
        self.hop_length = int(hop_length)
        self.n_mels = int(n_mels)
        self.n_mfcc = int(n_mfcc)
        self.f_min = float(f_min)
        self.f_max = None if f_max is None else float(f_max)
        self.window = str(window or ("povey" if kind == "fbank" else "hann"))
        self.center = bool(center)
        self.pad_mode = pad_mode
        self.power = float(power)
        self.log_floor = float(log_floor)
        self.top_db = None if top_db is None else float(top_db)
        self.normalize = normalize
        self.preemphasis = float(preemphasis)
        self.dither = float(dither)
        self.snip_edges = bool(snip_edges)
        self._register_matrices()

    def _register_matrices(self) -> None:
        """Window, (n_bins, n_features) filterbank and DCT as float32 buffers."""
        if self.kind == "fbank":
            self.fft_size = next_pow2(self.win_length)
            window = kaldi_window(self.window, self.win_length)
        else:
            self.fft_size = self.n_fft
            window = stft_window(self.window, self.win_length, self.n_fft)
        self.n_bins = self.fft_size // 2 + 1
        if self.kind == "fbank":
            fb = kaldi_mel_filterbank(
                self.sample_rate, self.fft_size, self.n_mels, self.f_min, self.f_max
            )
        elif self.kind in ("log_mel", "mfcc"):
            fb = mel_filterbank(
                self.sample_rate, self.fft_size, self.n_mels, self.f_min, self.f_max
            )
        else:
            fb = np.eye(self.n_bins)

        def buffer(name: str, value: np.ndarray) -> None:
            self.register_buffer(name, torch.tensor(value, dtype=torch.float32), persistent=False)

        buffer("window_fn", window)
        buffer("mel_fb", fb.T)  # features = power @ mel_fb
        # The bins any filter touches (all of them but a few at the edges, or half of them for
        # a filterbank that stops at 4 kHz): the product only reads those. Each row is repeated
        # for the interleaved [Re^2, Im^2] layout of ``squared_spectrum``.
        used = np.flatnonzero(np.abs(fb).sum(axis=0) > 0) if self.kind != "spectrogram" else [0]
        self.bins = (int(used[0]), int(used[-1]) + 1) if self.kind != "spectrogram" else (
            0, self.n_bins)
        lo, hi = self.bins
        self.register_buffer("mel_fb2", self.mel_fb[lo:hi].repeat_interleave(2, dim=0),
                             persistent=False)
        if self.kind == "mfcc":
            buffer("dct", dct_matrix(self.n_mels, self.n_mfcc).T)
        else:
            self.dct = None

    # ----- shape bookkeeping -----------------------------------------------------------------

    @property
    def n_features(self) -> int:
        """Number of features per frame."""
        return {
            "spectrogram": self.n_bins,
            "log_mel": self.n_mels,
            "mfcc": self.n_mfcc,
            "fbank": self.n_mels,
        }[self.kind]

    def num_frames(self, n_samples: int) -> int:
        """Frames produced for a clip of ``n_samples`` samples (same rule as librosa / Kaldi)."""
        return int(self.frame_lengths(torch.tensor([int(n_samples)]))[0])

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Valid frames per clip, int64 ``(B,)``, for ``lengths`` in samples ``(B,)``."""
        n = lengths.to(torch.int64)
        hop = self.hop_length
        if self.kind == "fbank":
            if self.snip_edges:
                return torch.where(
                    n < self.win_length,
                    torch.zeros_like(n),
                    1 + torch.div(n - self.win_length, hop, rounding_mode="floor"),
                )
            return torch.div(n + hop // 2, hop, rounding_mode="floor")
        if self.center:
            return 1 + torch.div(n + 2 * (self.n_fft // 2) - self.n_fft, hop, rounding_mode="floor")
        return torch.where(
            n < self.n_fft,
            torch.zeros_like(n),
            1 + torch.div(n - self.n_fft, hop, rounding_mode="floor"),
        )

    # ----- config ----------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-serialisable dict (``from_config`` rebuilds it)."""
        return {
            "kind": self.kind,
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "win_length": self.win_length,
            "hop_length": self.hop_length,
            "n_mels": self.n_mels,
            "n_mfcc": self.n_mfcc,
            "f_min": self.f_min,
            "f_max": self.f_max,
            "window": self.window,
            "center": self.center,
            "pad_mode": self.pad_mode,
            "power": self.power,
            "log_floor": self.log_floor,
            "top_db": self.top_db,
            "normalize": self.normalize,
            "preemphasis": self.preemphasis,
            "dither": self.dither,
            "snip_edges": self.snip_edges,
        }

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> FeatureExtractor:
        """Rebuild an extractor from ``config()``; unknown keys raise ``ValueError``.

        Missing keys take the constructor's defaults, so configs saved before a setting existed
        rebuild the front-end they were trained with (no ``pad_mode`` = ``"constant"``).
        """
        if not isinstance(cfg, dict):
            raise ValueError(  # noqa: TRY004
                f"FeatureExtractor.from_config: expected a dict, got {type(cfg).__name__}"
            )
        known = set(cls().config())
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(
                f"FeatureExtractor.from_config: unknown key(s) {unknown}; known keys: {sorted(known)}"
            )
        return cls(**cfg)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config().items())

    # ----- forward ---------------------------------------------------------------------------

    def _pad(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Pad ``x`` so that unfold frame ``t`` is the STFT / Kaldi frame ``t``."""
        if self.kind == "fbank":
            if self.snip_edges:
                return x
            # Kaldi centres frames on t*hop + hop/2 and mirrors without repeating the edge
            # sample: x[left-1], ..., x[0] | x | x[-1], ... (enough on the right; extra frames
            # are dropped).
            left, right = self.win_length // 2 - self.hop_length // 2, self.win_length
            return torch.cat([x[:, :left].flip(-1), x, x[:, -right:].flip(-1)], dim=-1)
        if not self.center:
            return x
        pad = self.n_fft // 2
        if self.pad_mode == "constant":
            return F.pad(x, (pad, pad))
        padded = F.pad(x.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        if lengths is None:
            return padded
        # Mirror each clip at its own end: padded[n + pad + j] = x[n - 2 - j], j < pad.
        j = torch.arange(pad, device=x.device)
        n = lengths.to(device=x.device, dtype=torch.int64).unsqueeze(1)
        tail = x.gather(1, (n - 2 - j).clamp(min=0))
        return padded.scatter(1, n + pad + j, tail)

    def frames(self, waveforms: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Windowed frames ``(B, frames, fft_size)``, zero-padded to the FFT size.

        STFT kinds follow librosa: frames of ``n_fft`` samples with the ``win_length`` window
        centred inside them. fbank follows Kaldi: frames of ``win_length`` samples, DC removed,
        pre-emphasised, windowed, then zero-padded at the end to the next power of two.
        ``lengths`` (samples, ``(B,)``) only matter for ``pad_mode="reflect"``.
        """
        if self.kind != "fbank":
            frames = self._pad(waveforms, lengths).unfold(-1, self.fft_size, self.hop_length)
            return frames * self.window_fn.to(frames.dtype)
        frames = self._pad(waveforms).unfold(-1, self.win_length, self.hop_length)
        if not self.snip_edges:
            frames = frames[:, : (waveforms.shape[-1] + self.hop_length // 2) // self.hop_length]
        frames = frames - frames.mean(dim=-1, keepdim=True)  # remove DC per frame
        c = self.preemphasis  # Kaldi: y[0] = x[0] - c x[0], y[i] = x[i] - c x[i-1]
        frames = torch.cat(
            [frames[..., :1] * (1.0 - c), frames[..., 1:] - c * frames[..., :-1]], dim=-1
        )
        frames = frames * self.window_fn.to(frames.dtype)
        return F.pad(frames, (0, self.fft_size - self.win_length))

    def squared_spectrum(
        self, waveforms: torch.Tensor, lengths: torch.Tensor | None = None,
        bins: tuple[int, int] | None = None,
    ) -> torch.Tensor:
        """``[Re^2, Im^2]`` interleaved per bin, shape ``(B, frames, 2 * n_bins)`` (or only the
        bins ``lo:hi`` of ``bins``).

        Summing neighbouring pairs gives the power spectrum; for the mel kinds that sum is folded
        into the filterbank matrix product (each filterbank row is repeated twice), which saves
        one pass over the spectrum.
        """
        spec = torch.fft.rfft(self.frames(waveforms, lengths), dim=-1)
        if bins is not None:
            spec = spec[..., bins[0]:bins[1]]
        return torch.view_as_real(spec).square().flatten(-2)

    def power_spectrum(
        self, waveforms: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``|STFT|^power``, shape ``(B, frames, n_bins)`` (frames as ``num_frames``)."""
        sq = self.squared_spectrum(waveforms, lengths)
        power = sq[..., 0::2] + sq[..., 1::2]
        if self.power != 2.0:
            power = power.pow(self.power / 2.0)
        return power

    def forward(self, waveforms: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Compute features.

        Parameters
        ----------
        waveforms : torch.Tensor
            Float waveforms ``(B, samples)`` or ``(samples,)``.
        lengths : torch.Tensor, optional
            True length of each clip in samples ``(B,)``; frames past it are not used by
            ``normalize``, and their values are unspecified.

        Returns
        -------
        torch.Tensor
            Features ``(B, frames, n_features)``, like a torchaudio transform. The valid frames
            of each clip are ``frame_lengths(lengths)``.
        """
        x = check_waveforms(self, waveforms, lengths)
        step = self._chunk(x)
        if step < x.shape[0]:
            parts = zip(x.split(step), lengths.split(step) if lengths is not None else
                        [None] * -(-x.shape[0] // step))
            return torch.cat([self._features(xs, ls) for xs, ls in parts])
        return self._features(x, lengths)

    #: Samples of windowed frames one chunk of the batch may hold on the CPU (4 MB of float32).
    CHUNK_ELEMENTS = 1 << 20

    def _chunk(self, x: torch.Tensor) -> int:
        """Clips per chunk: the whole batch on accelerators and in exported graphs; on the CPU
        as many clips as keep a chunk's frames within :attr:`CHUNK_ELEMENTS`.

        Why: each step (framing, FFT, power, mel product) reads and writes an array of
        frames x FFT size; for 64 clips of 3 s that is 40 MB per array, far beyond the caches,
        and the steps run at memory speed. In chunks of ~4 MB the arrays stay in cache between
        the steps: 64 x 3 s log-mel went from 144 to 32 ms on one thread of an AMD EPYC (and
        from 0.88x to over 2x librosa's batched call, benchmarks/speed.py), the same results
        within float32 rounding (each clip's features depend on that clip alone either way).
        On an Intel Xeon (2026-12-05, best of 15), chunked / whole: 22.9 / 59.7 ms on one
        thread, 12.6 / 22.2 on two (fbank 37.1 / 65.9, 20.3 / 48.5); chunks of 512 K to 2 M
        elements were within 6 % of 1 M.
        """
        if x.device.type != "cpu" or x.shape[0] == 1 or _tracing():
            return x.shape[0]
        per_clip = (x.shape[-1] // self.hop_length + 1) * self.fft_size
        return max(1, min(x.shape[0], self.CHUNK_ELEMENTS // max(per_clip, 1)))

    def _features(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """:meth:`forward` on one chunk of clips."""
        if self.kind == "fbank" and self.dither > 0 and self.training:
            x = x + self.dither * torch.randn_like(x)
        n_frames = None if lengths is None else self.frame_lengths(lengths.to(x.device))
        if self.kind == "spectrogram":
            power = self.power_spectrum(x, lengths)
            feats = self._db(power, n_frames)
        else:
            if self.power == 2.0:  # pair-sum folded into the filterbank product
                sq = self.squared_spectrum(x, lengths, self.bins)
                mel = torch.matmul(sq, self.mel_fb2.to(sq.dtype))
            else:
                lo, hi = self.bins
                power = self.power_spectrum(x, lengths)[..., lo:hi]
                mel = torch.matmul(power, self.mel_fb[lo:hi].to(power.dtype))
            if self.kind == "fbank":
                feats = torch.log(torch.clamp(mel, min=KALDI_EPS))
            else:
                feats = self._db(mel, n_frames)
                if self.dct is not None:
                    feats = torch.matmul(feats, self.dct.to(feats.dtype))
        if self.normalize is not None:
            feats = normalize_utterance(feats, n_frames, self.normalize)
        return feats

    def _db(self, power: torch.Tensor, n_frames: torch.Tensor | None) -> torch.Tensor:
        """``10 log10(max(power, log_floor))``, then the ``top_db`` floor when there is one."""
        db = 10.0 * torch.log10(torch.clamp(power, min=self.log_floor))
        return db if self.top_db is None else floor_below_peak(db, n_frames, self.top_db)


def _tracing() -> bool:
    """True while torch.export, ONNX export, TorchScript tracing or torch.compile builds a graph
    (the graph must hold one computation for any batch size, not a loop over this one's)."""
    compiler = getattr(torch, "compiler", None)
    return bool(torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
                or (compiler is not None and compiler.is_compiling()))
