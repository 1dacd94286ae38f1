"""The one feature front-end: ``FeatureExtractor`` (torch) and NumPy/librosa references.

``FeatureExtractor`` turns a batch of waveforms ``(B, samples)`` into time-first features
``(B, frames, n_features)``. It is used for training, notebooks and inference alike, so the
features a model sees never depend on where it runs.

How the STFT is computed
------------------------
A short-time Fourier transform is "cut the signal into frames, multiply by a window, take the DFT".
We do exactly that: ``Tensor.unfold`` cuts overlapping frames (a view, no copy), the window is a
buffer, and ``torch.fft.rfft`` takes the DFT of every frame at once. Only plain real-valued ops
come out of it (``|X|^2 = Re^2 + Im^2``), so the module runs on any device and exports with
``torch.export`` and ``torch.onnx.export(dynamo=True)`` (rfft becomes the ONNX ``DFT`` op,
opset >= 17), while staying faster than librosa on CPU. For the Kaldi ``fbank`` kind the per-frame
DC removal and pre-emphasis are two more tensor ops on the frames.

The NumPy functions at the bottom (``stft``, ``log_mel``, ``mfcc`` ...) are thin librosa calls
used by the tutorials and by the parity tests.
"""

from __future__ import annotations

from typing import Any

import librosa
import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F

__all__ = [
    "KINDS",
    "FeatureExtractor",
    "bins_to_hz",
    "frames_to_seconds",
    "kaldi_mel_filterbank",
    "log_mel",
    "mel_frequencies",
    "mfcc",
    "stft",
]

KINDS = ("spectrogram", "log_mel", "mfcc", "fbank")
NORMALIZE = (None, "cmn", "cmvn")
KALDI_WINDOWS = ("povey", "hann", "hanning", "hamming", "rectangular")
# Kaldi floors the mel energies at float32 machine epsilon before the natural log.
KALDI_EPS = float(np.finfo(np.float32).eps)


# ---------------------------------------------------------------------------------------------
# Matrices (NumPy, float64; computed once per extractor and stored as buffers)
# ---------------------------------------------------------------------------------------------


def kaldi_mel(f_hz: np.ndarray | float) -> np.ndarray:
    """Kaldi's mel scale ``1127 ln(1 + f / 700)`` (Hz -> mel).

    Notebook: 04_mel_mfcc_fbank
    """
    return 1127.0 * np.log1p(np.asarray(f_hz, dtype=np.float64) / 700.0)


def kaldi_mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float = 20.0, f_max: float | None = None
) -> np.ndarray:
    """Kaldi-style triangular mel filterbank, shape ``(n_mels, n_fft // 2 + 1)``.

    librosa has no Kaldi filterbank: Kaldi places triangles evenly on its own mel scale
    (``1127 ln(1 + f/700)``), computes each weight *in the mel domain* (triangle in mel, not in Hz),
    does not normalise the area (librosa's ``norm="slaney"`` does) and gives the Nyquist bin zero
    weight. So it is written out here, following the Kaldi ``MelBanks`` definition.

    Parameters
    ----------
    sample_rate : int
        Sampling rate in Hz.
    n_fft : int
        FFT size in samples (the padded frame length).
    n_mels : int
        Number of triangular filters.
    f_min, f_max : float
        Lowest / highest filter edge in Hz. ``f_max`` None or <= 0 means Nyquist + f_max (Kaldi).

    Notebook: 04_mel_mfcc_fbank
    """
    nyquist = 0.5 * sample_rate
    high = nyquist if f_max is None else (f_max if f_max > 0 else nyquist + f_max)
    if not 0.0 <= f_min < high <= nyquist:
        raise ValueError(
            f"features: need 0 <= f_min < f_max <= Nyquist, got f_min={f_min}, f_max={high}"
        )
    mel_low, mel_high = kaldi_mel(f_min), kaldi_mel(high)
    delta = (mel_high - mel_low) / (n_mels + 1)
    n_bins = n_fft // 2 + 1
    mel = kaldi_mel(np.arange(n_bins) * sample_rate / n_fft)  # (n_bins,)
    left = mel_low + delta * np.arange(n_mels)[:, None]
    center, right = left + delta, left + 2 * delta
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    fb = np.where((mel > left) & (mel < right), np.where(mel <= center, up, down), 0.0)
    fb[:, -1] = 0.0  # Kaldi uses only the first n_fft // 2 bins
    return fb


def kaldi_window(name: str, size: int) -> np.ndarray:
    """Kaldi frame windows (symmetric: denominators use ``size - 1``), shape ``(size,)``.

    Notebook: 04_mel_mfcc_fbank
    """
    a = 2.0 * np.pi / (size - 1)
    i = np.arange(size)
    if name == "povey":
        return (0.5 - 0.5 * np.cos(a * i)) ** 0.85
    if name in ("hann", "hanning"):
        return 0.5 - 0.5 * np.cos(a * i)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(a * i)
    if name == "rectangular":
        return np.ones(size)
    raise ValueError(f"features: fbank window must be one of {KALDI_WINDOWS}, got {name!r}")


def _next_pow2(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


# ---------------------------------------------------------------------------------------------
# FeatureExtractor
# ---------------------------------------------------------------------------------------------


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
        STFT kinds: pad ``n_fft // 2`` zeros on both sides so frame ``t`` is centred at
        ``t * hop_length`` (librosa's default, ``pad_mode="constant"``).
    power : float
        Exponent of the magnitude (2.0 = power spectrum, 1.0 = magnitude).
    log_floor : float
        Floor before ``10 log10`` for the dB kinds (librosa's ``amin``).
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
        power: float = 2.0,
        log_floor: float = 1e-10,
        normalize: str | None = None,
        preemphasis: float = 0.97,
        dither: float = 0.0,
        snip_edges: bool = True,
    ) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"FeatureExtractor: kind must be one of {KINDS}, got {kind!r}")
        if normalize not in NORMALIZE:
            raise ValueError(
                f"FeatureExtractor: normalize must be None, 'cmn' or 'cmvn', got {normalize!r}"
            )
        for name, value in (
            ("sample_rate", sample_rate),
            ("n_fft", n_fft),
            ("win_length", win_length),
            ("hop_length", hop_length),
            ("n_mels", n_mels),
            ("n_mfcc", n_mfcc),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"FeatureExtractor: {name} must be a positive int, got {value!r}")
        if kind != "fbank" and win_length > n_fft:
            raise ValueError(
                f"FeatureExtractor: win_length ({win_length}) must be <= n_fft ({n_fft})"
            )
        if kind == "mfcc" and n_mfcc > n_mels:
            raise ValueError(f"FeatureExtractor: n_mfcc ({n_mfcc}) must be <= n_mels ({n_mels})")
        if power <= 0 or log_floor <= 0 or dither < 0:
            raise ValueError("FeatureExtractor: power and log_floor must be > 0, dither >= 0")
        window = window or ("povey" if kind == "fbank" else "hann")

        self.kind = kind
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.win_length = int(win_length)
        self.hop_length = int(hop_length)
        self.n_mels = int(n_mels)
        self.n_mfcc = int(n_mfcc)
        self.f_min = float(f_min)
        self.f_max = None if f_max is None else float(f_max)
        self.window = str(window)
        self.center = bool(center)
        self.power = float(power)
        self.log_floor = float(log_floor)
        self.normalize = normalize
        self.preemphasis = float(preemphasis)
        self.dither = float(dither)
        self.snip_edges = bool(snip_edges)

        if kind == "fbank":
            fft_size = _next_pow2(self.win_length)
            window_np = kaldi_window(self.window, self.win_length)
        else:
            fft_size = self.n_fft
            try:
                window_np = librosa.filters.get_window(self.window, self.win_length, fftbins=True)
            except Exception as exc:  # scipy raises ValueError / KeyError / TypeError
                raise ValueError(
                    f"FeatureExtractor: unknown window {self.window!r} ({exc})"
                ) from exc
            window_np = librosa.util.pad_center(window_np, size=fft_size)
        self.fft_size = fft_size
        self.register_buffer(
            "window_fn", torch.tensor(window_np, dtype=torch.float32), persistent=False
        )

        n_bins = fft_size // 2 + 1
        self.n_bins = n_bins
        if kind == "fbank":
            fb = kaldi_mel_filterbank(
                self.sample_rate, fft_size, self.n_mels, self.f_min, self.f_max
            )
        elif kind in ("log_mel", "mfcc"):
            fb = librosa.filters.mel(
                sr=self.sample_rate,
                n_fft=fft_size,
                n_mels=self.n_mels,
                fmin=self.f_min,
                fmax=self.f_max,
                htk=False,
                norm="slaney",
                dtype=np.float64,
            )
        else:
            fb = np.eye(n_bins)
        # (n_bins, n_features_before_dct): features = power @ mel_fb
        self.register_buffer("mel_fb", torch.tensor(fb.T, dtype=torch.float32), persistent=False)
        self.register_buffer("mel_fb2", self.mel_fb.repeat_interleave(2, dim=0), persistent=False)
        if kind == "mfcc":
            dct = scipy.fft.dct(np.eye(self.n_mels), type=2, norm="ortho", axis=0)[: self.n_mfcc]
            self.register_buffer("dct", torch.tensor(dct.T, dtype=torch.float32), persistent=False)
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
        n = int(n_samples)
        if self.kind == "fbank":
            if self.snip_edges:
                return 0 if n < self.win_length else 1 + (n - self.win_length) // self.hop_length
            return (n + self.hop_length // 2) // self.hop_length
        if self.center:
            return 1 + (n + 2 * (self.n_fft // 2) - self.n_fft) // self.hop_length
        return 0 if n < self.n_fft else 1 + (n - self.n_fft) // self.hop_length

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
            "power": self.power,
            "log_floor": self.log_floor,
            "normalize": self.normalize,
            "preemphasis": self.preemphasis,
            "dither": self.dither,
            "snip_edges": self.snip_edges,
        }

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> FeatureExtractor:
        """Rebuild an extractor from ``config()``; unknown keys raise ``ValueError``."""
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

    def _frame_padding(self) -> tuple[int, int]:
        """(left, right) samples to pad so that unfold frame t is the STFT / Kaldi frame t."""
        if self.kind == "fbank":
            if self.snip_edges:
                return 0, 0
            left = self.win_length // 2 - self.hop_length // 2  # Kaldi centres on t*hop + hop/2
            return left, self.win_length  # enough on the right; extra frames are dropped
        pad = self.n_fft // 2 if self.center else 0
        return pad, pad

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        left, right = self._frame_padding()
        if self.kind == "fbank" and not self.snip_edges:
            # Kaldi mirrors without repeating the edge sample: x[left-1], ..., x[0] | x | x[-1], ...
            return torch.cat([x[:, :left].flip(-1), x, x[:, -right:].flip(-1)], dim=-1)
        return F.pad(x, (left, right)) if left or right else x

    def _check(self, waveforms: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        if not isinstance(waveforms, torch.Tensor):
            raise ValueError(  # noqa: TRY004 (the API promises ValueError for bad input)
                f"FeatureExtractor: waveforms must be a torch.Tensor, got {type(waveforms).__name__}"
            )
        if not waveforms.is_floating_point():
            raise ValueError(
                f"FeatureExtractor: waveforms must be float (e.g. float32 in [-1, 1]), got "
                f"{waveforms.dtype}; convert int PCM with x.float() / 32768"
            )
        if waveforms.dim() == 1:
            waveforms = waveforms.unsqueeze(0)
        if waveforms.dim() != 2:
            raise ValueError(
                f"FeatureExtractor: waveforms must have shape (batch, samples) or (samples,), "
                f"got {tuple(waveforms.shape)}"
            )
        if lengths is not None and (
            not isinstance(lengths, torch.Tensor)
            or lengths.dim() != 1
            or lengths.shape[0] != waveforms.shape[0]
        ):
            raise ValueError(
                f"FeatureExtractor: lengths must be a 1-D tensor with one entry per clip "
                f"({waveforms.shape[0]}), got "
                f"{tuple(lengths.shape) if isinstance(lengths, torch.Tensor) else lengths!r}"
            )
        min_len = self.win_length if self.kind == "fbank" else (1 if self.center else self.n_fft)
        if waveforms.shape[-1] < min_len:
            raise ValueError(
                f"FeatureExtractor: waveforms have {waveforms.shape[-1]} samples, need at least "
                f"{min_len}"
            )
        return waveforms

    def frames(self, waveforms: torch.Tensor) -> torch.Tensor:
        """Windowed frames ``(B, frames, fft_size)``, zero-padded to the FFT size.

        STFT kinds follow librosa: frames of ``n_fft`` samples with the ``win_length`` window
        centred inside them. fbank follows Kaldi: frames of ``win_length`` samples, DC removed,
        pre-emphasised, windowed, then zero-padded at the end to the next power of two.
        """
        if self.kind != "fbank":
            frames = self._pad(waveforms).unfold(-1, self.fft_size, self.hop_length)
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

    def squared_spectrum(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``[Re^2, Im^2]`` interleaved per bin, shape ``(B, frames, 2 * n_bins)``.

        Summing neighbouring pairs gives the power spectrum; for the mel kinds that sum is folded
        into the filterbank matrix product (each filterbank row is repeated twice), which saves
        one pass over the spectrum.
        """
        spec = torch.view_as_real(torch.fft.rfft(self.frames(waveforms), dim=-1))
        return spec.square().flatten(-2)

    def power_spectrum(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``|STFT|^power``, shape ``(B, frames, n_bins)`` (frames as ``num_frames``)."""
        sq = self.squared_spectrum(waveforms)
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
        x = self._check(waveforms, lengths)
        if self.kind == "fbank" and self.dither > 0 and self.training:
            x = x + self.dither * torch.randn_like(x)
        if self.kind == "spectrogram":
            power = self.power_spectrum(x)
            feats = 10.0 * torch.log10(torch.clamp(power, min=self.log_floor))
        else:
            if self.power == 2.0:  # pair-sum folded into the filterbank product
                sq = self.squared_spectrum(x)
                mel = torch.matmul(sq, self.mel_fb2.to(sq.dtype))
            else:
                power = self.power_spectrum(x)
                mel = torch.matmul(power, self.mel_fb.to(power.dtype))
            if self.kind == "fbank":
                feats = torch.log(torch.clamp(mel, min=KALDI_EPS))
            else:
                feats = 10.0 * torch.log10(torch.clamp(mel, min=self.log_floor))
                if self.dct is not None:
                    feats = torch.matmul(feats, self.dct.to(feats.dtype))
        if self.normalize is not None:
            n_frames = None if lengths is None else self.frame_lengths(lengths.to(feats.device))
            feats = self._normalize(feats, n_frames)
        return feats

    def _normalize(self, feats: torch.Tensor, n_frames: torch.Tensor | None) -> torch.Tensor:
        """Per-utterance CMN / CMVN over the valid frames (all frames when lengths is None)."""
        if n_frames is None:
            mask = torch.ones_like(feats[..., :1])
        else:
            steps = torch.arange(feats.shape[1], device=feats.device)
            mask = (steps[None, :] < n_frames[:, None]).to(feats.dtype).unsqueeze(-1)
        count = mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        mean = (feats * mask).sum(dim=1, keepdim=True) / count
        feats = feats - mean
        if self.normalize == "cmvn":
            var = (feats * feats * mask).sum(dim=1, keepdim=True) / count
            feats = feats / torch.sqrt(var + 1e-10)
        return feats


# ---------------------------------------------------------------------------------------------
# NumPy / librosa references for teaching (and for the parity tests)
# ---------------------------------------------------------------------------------------------


def stft(
    y: np.ndarray,
    n_fft: int = 512,
    hop_length: int = 160,
    win_length: int = 400,
    window: str = "hann",
    center: bool = True,
) -> np.ndarray:
    """Complex short-time Fourier transform (librosa), shape ``(n_fft // 2 + 1, frames)``.

    Parameters
    ----------
    y : np.ndarray
        Waveform ``(samples,)``.
    n_fft, hop_length, win_length : int
        FFT size, hop and window length in samples. Bin ``k`` is ``k * sr / n_fft`` Hz; frame
        ``t`` is centred at ``t * hop_length / sr`` seconds when ``center`` is True.
    window : str
        Window name (periodic form).

    Notebook: 03_fourier_and_stft
    """
    return librosa.stft(
        np.asarray(y),
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode="constant",
    )


def log_mel(
    y: np.ndarray,
    sr: int = 16000,
    n_fft: int = 512,
    hop_length: int = 160,
    win_length: int = 400,
    n_mels: int = 80,
    f_min: float = 20.0,
    f_max: float | None = None,
    window: str = "hann",
    center: bool = True,
    power: float = 2.0,
    log_floor: float = 1e-10,
) -> np.ndarray:
    """Log-mel spectrogram in dB (librosa), shape ``(n_mels, frames)``.

    ``10 log10(max(mel_power, log_floor))`` with ``ref=1.0`` and no ``top_db`` clipping, the same
    numbers as ``FeatureExtractor("log_mel")`` (which is time-first).

    Parameters
    ----------
    y : np.ndarray
        Waveform ``(samples,)`` at ``sr`` Hz.
    f_min, f_max : float
        Filterbank range in Hz (``f_max`` None = ``sr / 2``).

    Notebook: 04_mel_mfcc_fbank
    """
    S = librosa.feature.melspectrogram(
        y=np.asarray(y),
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode="constant",
        power=power,
        n_mels=n_mels,
        fmin=f_min,
        fmax=f_max,
    )
    return librosa.power_to_db(S, ref=1.0, amin=log_floor, top_db=None)


def mfcc(
    y: np.ndarray,
    sr: int = 16000,
    n_mfcc: int = 40,
    n_fft: int = 512,
    hop_length: int = 160,
    win_length: int = 400,
    n_mels: int = 80,
    f_min: float = 20.0,
    f_max: float | None = None,
    window: str = "hann",
    center: bool = True,
) -> np.ndarray:
    """MFCCs (librosa): DCT-II (ortho) of the dB log-mel, shape ``(n_mfcc, frames)``.

    Unlike ``librosa.feature.mfcc(y=...)`` this applies no ``top_db=80`` clipping to the log-mel
    first (so it matches ``FeatureExtractor("mfcc")`` on any signal; the two agree whenever the
    log-mel spans less than 80 dB).

    Notebook: 04_mel_mfcc_fbank
    """
    S = log_mel(
        y,
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        n_mels=n_mels,
        f_min=f_min,
        f_max=f_max,
        window=window,
        center=center,
    )
    return librosa.feature.mfcc(S=S, n_mfcc=n_mfcc, dct_type=2, norm="ortho")


def frames_to_seconds(frames: np.ndarray | int, sr: int, hop_length: int) -> np.ndarray:
    """Frame index -> time in seconds (``frames * hop_length / sr``; centre of a centred frame).

    Notebook: 03_fourier_and_stft
    """
    return np.asarray(frames, dtype=np.float64) * hop_length / sr


def bins_to_hz(bins: np.ndarray | int, sr: int, n_fft: int) -> np.ndarray:
    """FFT bin index -> frequency in Hz (``bins * sr / n_fft``).

    Notebook: 03_fourier_and_stft
    """
    return np.asarray(bins, dtype=np.float64) * sr / n_fft


def mel_frequencies(
    n_mels: int = 80, f_min: float = 20.0, f_max: float = 8000.0, htk: bool = False
) -> np.ndarray:
    """``n_mels`` frequencies in Hz evenly spaced on the mel scale (librosa; Slaney unless htk).

    Notebook: 04_mel_mfcc_fbank
    """
    return librosa.mel_frequencies(n_mels=n_mels, fmin=f_min, fmax=f_max, htk=htk)
