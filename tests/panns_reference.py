"""An official-layout PANNs model and checkpoint files, written from the published facts.

The reference for tests/test_pretrained.py and tests/test_finetune.py: front-end 32 kHz 1024/320
or 16 kHz 512/160, periodic Hann, reflect-padded centred STFT, power 2, Slaney mel 64 bins,
10 log10(max(x, 1e-10)); bn0 over the mel bins; conv blocks (conv -> BN -> ReLU) x n, 2x2 average
pooling (CNN14's last block none), dropout; mean over frequency, max + mean over time, fc1 + ReLU
= embedding, sigmoid(fc_audioset) = clipwise_output. Its front-end is torchlibrosa when installed
(the official code's own front-end library), else a conv1d DFT written here.
"""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# (sample rate, n_fft = window, hop, f_max, n_blocks, kernel) of the official models
FACTS = {"Cnn6": (32000, 1024, 320, 14000, 4, 5), "Cnn10": (32000, 1024, 320, 14000, 4, 3),
         "Cnn14": (32000, 1024, 320, 14000, 6, 3), "Cnn14_16k": (16000, 512, 160, 8000, 6, 3)}
CHANNELS = (64, 128, 256, 512, 1024, 2048)


class _STFT(nn.Module):
    """conv1d DFT of a reflect-padded, Hann-windowed signal (fallback front-end)."""

    def __init__(self, n_fft: int, hop: int) -> None:
        super().__init__()
        n, k = np.arange(n_fft), np.arange(n_fft // 2 + 1)[:, None]
        w = librosa.filters.get_window("hann", n_fft, fftbins=True)
        self.conv_real = nn.Conv1d(1, len(k), n_fft, stride=hop, bias=False)
        self.conv_imag = nn.Conv1d(1, len(k), n_fft, stride=hop, bias=False)
        self.conv_real.weight.data = torch.tensor(np.cos(2 * np.pi * k * n / n_fft) * w,
                                                  dtype=torch.float32)[:, None]
        self.conv_imag.weight.data = torch.tensor(-np.sin(2 * np.pi * k * n / n_fft) * w,
                                                  dtype=torch.float32)[:, None]
        self.pad = n_fft // 2

    def forward(self, x):
        x = F.pad(x[:, None], (self.pad, self.pad), mode="reflect")
        return self.conv_real(x), self.conv_imag(x)


class _Spectrogram(nn.Module):
    def __init__(self, n_fft: int, hop: int) -> None:
        super().__init__()
        self.stft = _STFT(n_fft, hop)

    def forward(self, x):  # (B, 1, T, bins)
        re_, im = self.stft(x)
        return (re_ ** 2 + im ** 2).transpose(1, 2)[:, None]


class _LogMel(nn.Module):
    def __init__(self, sr: int, n_fft: int, f_max: float) -> None:
        super().__init__()
        mel = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=64, fmin=50, fmax=f_max)
        self.melW = nn.Parameter(torch.tensor(mel.T, dtype=torch.float32), requires_grad=False)

    def forward(self, x):
        return 10.0 * torch.log10(torch.clamp(x @ self.melW, min=1e-10))


def _front_end(sr: int, n_fft: int, hop: int, f_max: float) -> tuple[nn.Module, nn.Module]:
    try:
        from torchlibrosa.stft import LogmelFilterBank, Spectrogram
    except ImportError:
        return _Spectrogram(n_fft, hop), _LogMel(sr, n_fft, f_max)
    return (Spectrogram(n_fft=n_fft, hop_length=hop, win_length=n_fft, window="hann", center=True,
                        pad_mode="reflect", freeze_parameters=True),
            LogmelFilterBank(sr=sr, n_fft=n_fft, n_mels=64, fmin=50, fmax=f_max, ref=1.0,
                             amin=1e-10, top_db=None, freeze_parameters=True))


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, n_convs: int) -> None:
        super().__init__()
        self.n = n_convs
        for i in range(1, n_convs + 1):
            setattr(self, f"conv{i}", nn.Conv2d(cin if i == 1 else cout, cout, kernel,
                                                padding=kernel // 2, bias=False))
        for i in range(1, n_convs + 1):
            setattr(self, f"bn{i}", nn.BatchNorm2d(cout))

    def forward(self, x, pool: int):
        for i in range(1, self.n + 1):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        return F.avg_pool2d(x, pool)


class OfficialPANNs(nn.Module):
    """The official model's layout and forward pass, maps (time, frequency)."""

    def __init__(self, arch: str) -> None:
        super().__init__()
        sr, n_fft, hop, f_max, n_blocks, kernel = FACTS[arch]
        self.spectrogram_extractor, self.logmel_extractor = _front_end(sr, n_fft, hop, f_max)
        self.bn0 = nn.BatchNorm2d(64)
        cin = 1
        for i, cout in enumerate(CHANNELS[:n_blocks], start=1):
            setattr(self, f"conv_block{i}", _Block(cin, cout, kernel, 1 if kernel == 5 else 2))
            cin = cout
        self.pools = [2] * n_blocks if n_blocks == 4 else [2] * 5 + [1]
        self.fc1 = nn.Linear(cin, cin)
        self.fc_audioset = nn.Linear(cin, 527)

    def forward(self, wave):
        x = self.logmel_extractor(self.spectrogram_extractor(wave))  # (B, 1, T, 64)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for i, pool in enumerate(self.pools, start=1):
            x = F.dropout(getattr(self, f"conv_block{i}")(x, pool), 0.2, self.training)
        x = x.mean(dim=3)
        x = x.max(dim=2).values + x.mean(dim=2)
        x = F.relu(self.fc1(F.dropout(x, 0.5, self.training)))
        return {"clipwise_output": torch.sigmoid(self.fc_audioset(x)), "embedding": x}


def clips(sr: int, seconds: float, n: int = 3, seed: int = 0) -> torch.Tensor:
    """Noise, a tone and a chirp (in [-1, 1]), one clip each, over a -60 dBFS noise floor.

    The floor is what any recording has. Without it a pure tone leaves mel bands ~140 dB below
    its peak, where every float32 front-end is rounding noise: there the official model in
    float32 differs from itself in float64 by ~4e-5 (measured), so no float32 implementation
    could be held to 1e-4 against it. With the floor both agree with float64 to ~1e-6.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * sr)) / sr
    out = [0.3 * rng.standard_normal(len(t)), 0.5 * np.sin(2 * np.pi * 440 * t),
           0.4 * np.sin(2 * np.pi * (100 + 2000 * t / seconds) * t)]
    floor = 1e-3 * rng.standard_normal((n, len(t)))
    return torch.tensor(np.stack(out[:n]) + floor, dtype=torch.float32)


def randomised_official(arch: str, seed: int = 0) -> OfficialPANNs:
    """Random weights with BatchNorm statistics of real activations, then perturbed."""
    torch.manual_seed(seed)
    ref = OfficialPANNs(arch)
    bns = [m for m in ref.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.momentum = None  # cumulative average: the stats of the calibration batch
    ref.train()
    with torch.no_grad():
        ref(clips(FACTS[arch][0], 1.0, seed=seed + 1))
        for m in bns:
            m.running_mean += 0.1 * torch.randn_like(m.running_mean) * m.running_var.sqrt()
            m.running_var *= torch.empty_like(m.running_var).uniform_(0.7, 1.4)
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.1)
            m.momentum = 0.1
    return ref.eval()


def official_file(path: Path, state: dict) -> Path:
    rs = np.random.RandomState(0)
    sampler = {"indexes_per_class": [np.arange(5), np.arange(3)], "queue": [np.int64(4)],
               "pointers_of_classes": [0, 1], "random_state": rs.get_state()}
    torch.save({"iteration": 123, "model": state, "sampler": sampler}, path)
    return path
