"""The computations behind the notebooks' explorers: plain numbers in, a dict of arrays out.

Each ``*_demo`` function runs one lesson's experiment (sample a tone, resample a sweep, take an
STFT, compute mel features, augment a clip) with the package's own building blocks and returns
everything there is to draw or hear. :mod:`audiokit.plots` draws these dicts
(``plot_sampling(sampling_demo(...))`` ...) and :mod:`audiokit.widgets` puts sliders on them; the
tests call them directly.

Notebook: 01_digital_audio, 02_reading_and_resampling, 03_fourier_and_stft, 04_mel_mfcc_fbank,
05_datasets_and_augmentation
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from audiokit import augment, datasets, io, signals
from audiokit.features import FeatureExtractor, stft

__all__ = [
    "AUGMENT_STRENGTH",
    "RESAMPLING_METHODS",
    "STFT_WINDOWS",
    "augmentation_demo",
    "mel_demo",
    "resampling_demo",
    "sampling_demo",
    "stft_demo",
    "voice_profile",
    "voices_demo",
]

#: Resampling methods offered by :func:`resampling_demo`.
RESAMPLING_METHODS = ("kaiser_best", "kaiser_fast", "naive")
#: Windows offered by :func:`stft_demo`.
STFT_WINDOWS = ("hann", "hamming", "blackman", "boxcar")
#: Strength ``s`` in [0, 1] -> options of each waveform augmentation (every transform of
#: :mod:`audiokit.augment`, in the order it applies them); one slider drives them all.
AUGMENT_STRENGTH = augment.WAVEFORM_STRENGTH


def sampling_demo(
    freq_hz: float = 440.0,
    sr: int = 8000,
    bits: int = 16,
    amplitude: float = 0.5,
    duration: float = 1.0,
    view_s: float = 0.004,
) -> dict[str, Any]:
    """Sample and quantise a tone; return what to plot and hear.

    Parameters
    ----------
    freq_hz : float
        Tone frequency in Hz (may exceed the Nyquist frequency ``sr / 2`` to show aliasing).
    sr : int
        Sample rate in Hz.
    bits : int
        Bit depth of the quantiser (1 to 32).
    amplitude : float
        Peak amplitude (1.0 = full scale).
    duration : float
        Length of the sampled tone in seconds (the spectrum and the sound use all of it).
    view_s : float
        Length of the zoomed time view in seconds.

    Returns
    -------
    dict
        ``t_cont, y_cont``: the "continuous" tone on a dense grid over ``view_s`` (s, amplitude);
        ``y_alias``: the tone actually heard (at the folded frequency) on the same grid;
        ``t, y, y_q``: sample times (s), samples and quantised samples over ``view_s``;
        ``audio``: the quantised tone, ``duration`` seconds at ``sr``;
        ``freqs, spectrum_db``: magnitude spectrum of ``audio`` (Hz, dB re full scale);
        ``nyquist_hz``, ``alias_hz``, ``aliased`` (bool), ``snr_db`` (measured),
        ``snr_theory_db`` and the input parameters.

    Notebook: 01_digital_audio
    """
    if not 1 <= int(bits) <= 32:
        raise ValueError(f"bits must be between 1 and 32, got {bits}")
    sr, bits = int(sr), int(bits)
    y_full = signals.sine(freq_hz, duration=duration, sr=sr, amplitude=amplitude)
    y_q_full = signals.quantize(y_full, bits)
    n_view = max(2, round(view_s * sr))
    t_cont = np.linspace(0.0, n_view / sr, 4000, endpoint=False)
    window = np.hanning(len(y_q_full))
    spectrum = np.abs(np.fft.rfft(y_q_full * window)) / (window.sum() / 2)  # 0 dB = full scale
    alias = signals.alias_frequency(freq_hz, sr)
    return {
        "freq_hz": float(freq_hz),
        "sr": sr,
        "bits": bits,
        "amplitude": float(amplitude),
        "t_cont": t_cont,
        "y_cont": amplitude * np.sin(2 * np.pi * freq_hz * t_cont),
        "y_alias": amplitude * np.sin(2 * np.pi * signals.folded_frequency(freq_hz, sr) * t_cont),
        "t": np.arange(n_view) / sr,
        "y": y_full[:n_view],
        "y_q": y_q_full[:n_view],
        "audio": y_q_full,
        "freqs": np.fft.rfftfreq(len(y_q_full), 1.0 / sr),
        "spectrum_db": signals.amplitude_to_db(spectrum, floor_db=-160.0),
        "nyquist_hz": sr / 2,
        "alias_hz": alias,
        "aliased": bool(abs(alias - abs(freq_hz)) > 1e-9),
        "snr_db": signals.quantization_snr(y_full, bits),
        "snr_theory_db": signals.theoretical_snr(bits, amplitude),
    }


def _sweep(sr: int, duration: float) -> np.ndarray:
    """A linear chirp from 100 Hz to 0.45 * sr: it crosses every lower Nyquist frequency."""
    return signals.chirp(100.0, 0.45 * sr, duration=duration, sr=sr, amplitude=0.5)


def resampling_demo(
    orig_sr: int = 48000,
    target_sr: int = 16000,
    method: str = "kaiser_best",
    duration: float = 1.0,
    y: np.ndarray | None = None,
    n_fft: int = 512,
) -> dict[str, Any]:
    """Resample a signal (default: a chirp up to ``0.45 * orig_sr``) and measure the result.

    Parameters
    ----------
    orig_sr, target_sr : int
        Sample rates in Hz.
    method : {"kaiser_best", "kaiser_fast", "naive"}
        resampy's filters (:func:`audiokit.io.resample`), or ``naive`` decimation that keeps
        every ``round(orig_sr / target_sr)``-th sample with no low-pass filter
        (:func:`audiokit.signals.decimate_naive`); its rate is ``orig_sr / factor``.
    duration : float
        Length of the default chirp in seconds.
    y : np.ndarray, optional
        Your own signal at ``orig_sr`` instead of the chirp.
    n_fft : int
        FFT size of the output spectrogram (hop ``n_fft // 4``).

    Returns
    -------
    dict
        ``y_in``, ``y_out``, ``sr_out`` (Hz), ``seconds`` (time spent resampling),
        ``S_db`` (output spectrogram in dB), ``n_fft``, ``hop_length``, ``method``, ``orig_sr``.

    Notebook: 02_reading_and_resampling
    """
    if method not in RESAMPLING_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(RESAMPLING_METHODS)}")
    orig_sr, target_sr = int(orig_sr), int(target_sr)
    y_in = _sweep(orig_sr, duration) if y is None else np.asarray(y, dtype=np.float32)
    start = time.perf_counter()
    if method == "naive":
        factor = max(1, round(orig_sr / target_sr))
        y_out = signals.decimate_naive(y_in, factor)
        sr_out = round(orig_sr / factor)
    else:
        y_out = io.resample(y_in, orig_sr, target_sr, res_type=method)
        sr_out = target_sr
    seconds = time.perf_counter() - start
    hop = n_fft // 4
    # |X| / (sum(hann) / 2) = peak amplitude of a sinusoid, so 0 dB is a full-scale tone
    X = np.abs(stft(y_out, n_fft=n_fft, hop_length=hop, win_length=n_fft)) / (n_fft / 4)
    return {
        "orig_sr": orig_sr,
        "target_sr": target_sr,
        "method": method,
        "y_in": y_in,
        "y_out": y_out,
        "sr_out": sr_out,
        "seconds": seconds,
        "S_db": signals.amplitude_to_db(X),
        "n_fft": n_fft,
        "hop_length": hop,
    }


def stft_demo(
    window: str = "hann",
    n_fft: int = 512,
    hop_length: int = 128,
    sr: int = 16000,
    duration: float = 1.0,
    y: np.ndarray | None = None,
) -> dict[str, Any]:
    """Spectrogram of :func:`audiokit.signals.chirp_and_clicks` (or ``y``) with a window as long
    as ``n_fft``.

    Parameters
    ----------
    window : str
        Window name (``hann``, ``hamming``, ``blackman``, ``boxcar`` = rectangular).
    n_fft : int
        Frame and FFT length in samples: frequency resolution ``sr / n_fft`` Hz, time extent
        ``n_fft / sr`` seconds.
    hop_length : int
        Samples between frames.

    Returns
    -------
    dict
        ``y``, ``S_db`` ``(n_fft // 2 + 1, frames)``, ``bin_hz`` (Hz per bin), ``frame_s``
        (window length in s), ``hop_s`` (s), ``n_frames`` and the parameters.

    Notebook: 03_fourier_and_stft
    """
    if hop_length <= 0 or n_fft <= 0:
        raise ValueError(f"n_fft and hop_length must be positive, got {n_fft}, {hop_length}")
    y = signals.chirp_and_clicks(sr, duration) if y is None else np.asarray(y, dtype=np.float32)
    X = stft(y, n_fft=int(n_fft), hop_length=int(hop_length), win_length=int(n_fft), window=window)
    return {
        "y": y,
        "sr": int(sr),
        "window": window,
        "n_fft": int(n_fft),
        "hop_length": int(hop_length),
        "S_db": signals.amplitude_to_db(np.abs(X)),
        "bin_hz": sr / n_fft,
        "frame_s": n_fft / sr,
        "hop_s": hop_length / sr,
        "n_frames": X.shape[1],
    }


def _vowel_like(sr: int, duration: float) -> np.ndarray:
    """A harmonic tone whose pitch glides 120 -> 240 Hz, then a noise burst: speech-like bands."""
    n = round(duration * sr)
    t = np.arange(n) / sr
    f0 = 120.0 * 2 ** (t / max(duration, 1e-9))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    y = sum(np.sin(k * phase) / k for k in range(1, 30) if k * 240.0 < sr / 2)
    y = 0.3 * y / np.abs(y).max()
    env = signals.adsr(n, sr, attack=0.02, decay=0.1, sustain=0.7, release=0.1)
    burst = signals.noise(duration, sr, amplitude=0.05, seed=1)
    burst[: int(0.7 * n)] = 0
    return (y * env + burst).astype(np.float32)


def mel_demo(
    kind: str = "log_mel",
    n_mels: int = 40,
    n_mfcc: int = 13,
    f_max: float | None = None,
    sr: int = 16000,
    duration: float = 1.0,
    y: np.ndarray | None = None,
    normalize: str | None = None,
) -> dict[str, Any]:
    """Features of a speech-like test signal (or ``y``) from the package's ``FeatureExtractor``.

    Parameters
    ----------
    kind : {"log_mel", "mfcc", "fbank"}
        Feature kind (see :class:`audiokit.features.FeatureExtractor`).
    n_mels, n_mfcc : int
        Mel bands and cepstral coefficients (``n_mfcc`` is capped at ``n_mels``).
    f_max : float, optional
        Highest filter edge in Hz (None = Nyquist ``sr / 2``).
    normalize : None, "cmn" or "cmvn"
        Per-utterance normalisation.

    Returns
    -------
    dict
        ``features`` ``(frames, n_features)``, ``filterbank`` ``(n_mels, n_bins)`` (weights over
        FFT bins from 0 to ``sr / 2``), ``extractor`` (the module), ``y`` and the parameters.

    Notebook: 04_mel_mfcc_fbank
    """
    n_mfcc = min(int(n_mfcc), int(n_mels))
    ext = FeatureExtractor(
        kind,
        sample_rate=sr,
        n_mels=int(n_mels),
        n_mfcc=n_mfcc,
        f_max=None if f_max is None else float(f_max),
        normalize=normalize,
    )
    y = _vowel_like(sr, duration) if y is None else np.asarray(y, dtype=np.float32)
    with torch.no_grad():
        feats = ext(torch.from_numpy(y)[None])
    return {
        "kind": kind,
        "sr": int(sr),
        "n_mels": int(n_mels),
        "n_mfcc": n_mfcc,
        "f_max": sr / 2 if f_max is None else float(f_max),
        "y": y,
        "extractor": ext,
        "features": feats[0].numpy(),
        "filterbank": ext.mel_fb.T.numpy(),
        "hop_length": ext.hop_length,
    }


def augmentation_demo(
    y: np.ndarray,
    name: str = "noise",
    strength: float = 0.5,
    sr: int = 16000,
    seed: int = 0,
    extractor: FeatureExtractor | None = None,
) -> dict[str, Any]:
    """Apply one waveform augmentation at a ``strength`` in [0, 1] to one clip.

    Parameters
    ----------
    y : np.ndarray
        The clip ``(samples,)`` at ``sr`` Hz.
    name : str
        One of :data:`AUGMENT_STRENGTH` (every waveform augmentation: ``placement``, ``telephone`` ...),
        applied with :func:`audiokit.augment.preview`.
    strength : float
        0 = barely, 1 = a lot (see :data:`AUGMENT_STRENGTH` for what that means per transform).
    extractor : FeatureExtractor, optional
        Front-end for the features; default a 64-band log-mel.

    Returns
    -------
    dict
        ``y`` (original), ``y_aug`` (augmented samples), ``options`` (the transform's keyword
        arguments), ``features`` and ``features_aug`` (``(frames, n_features)``), ``sr``,
        ``hop_length``, ``kind``, ``name``, ``strength``.

    Notebook: 05_datasets_and_augmentation
    """
    if name not in AUGMENT_STRENGTH:
        raise ValueError(f"unknown augmentation {name!r}; choose from {', '.join(AUGMENT_STRENGTH)}")
    options = AUGMENT_STRENGTH[name](float(strength))
    y = np.asarray(y, dtype=np.float32)
    y_aug = augment.preview(y, sr, name, seed=seed, **options)
    fe = extractor or FeatureExtractor("log_mel", sample_rate=sr, n_mels=64)
    with torch.no_grad():
        feats = fe(torch.from_numpy(y)[None])[0].numpy()
        feats_aug = fe(torch.from_numpy(y_aug)[None])[0].numpy()
    return {
        "y": y,
        "y_aug": y_aug,
        "options": options,
        "features": feats,
        "features_aug": feats_aug,
        "sr": sr,
        "hop_length": fe.hop_length,
        "kind": fe.kind,
        "name": name,
        "strength": float(strength),
    }


def voices_demo(word: str = "seven", per_engine: int = 20, nperseg: int = 512) -> dict[str, Any]:
    """The same word from every engine of the shipped ``spoken_digits``, side by side.

    Synthetic voices (espeak-ng, flite, festival) are rendered at 16 kHz; the natural ones
    (engine ``human``, the FSDD speakers) were recorded at 8 kHz, so above 4 kHz they hold
    nothing. A model can learn that edge as "this is a person" unless the recipe hides it.

    Parameters
    ----------
    word : str
        One of the digit words.
    per_engine : int
        Clips averaged per engine (evenly spaced through the dataset, so several speakers).
    nperseg : int
        Welch segment length in samples (32 ms at 16 kHz).

    Returns
    -------
    dict
        ``sr`` (Hz), ``word``, ``engines`` (names), ``examples`` (engine -> (samples, speaker)),
        ``freqs`` (Hz), ``spectra_db`` (engine -> mean power spectral density in dB, 0 dB at its
        maximum), ``above_4k_db`` (engine -> power above 4.1 kHz relative to all power, dB),
        ``clips`` (engine -> clips averaged).

    Notebook: 05_datasets_and_augmentation
    """
    import scipy.signal

    full = datasets.load_builtin("spoken_digits")
    if word not in full.classes:
        raise ValueError(f"word must be one of {', '.join(full.classes)}, got {word!r}")
    label = full.classes.index(word)
    engines, speakers = full.column("engine"), full.column("speaker")
    out: dict[str, Any] = {"sr": full.sample_rate, "word": word, "engines": [], "examples": {},
                           "spectra_db": {}, "above_4k_db": {}, "clips": {}}
    for engine in sorted(set(engines)):
        idx = [i for i, (lab, e) in enumerate(zip(full.labels, engines)) if lab == label and e == engine]
        chosen = [idx[int(k)] for k in np.linspace(0, len(idx) - 1, min(per_engine, len(idx)))]
        psd = []
        for i in chosen:
            y = full[i][0].numpy()
            freqs, p = scipy.signal.welch(y, full.sample_rate, nperseg=min(nperseg, len(y)))
            psd.append(np.interp(np.fft.rfftfreq(nperseg, 1 / full.sample_rate), freqs, p))
        freqs = np.fft.rfftfreq(nperseg, 1 / full.sample_rate)
        mean = np.mean(psd, axis=0)
        out["engines"].append(engine)
        out["examples"][engine] = (full[chosen[0]][0].numpy(), speakers[chosen[0]])
        out["spectra_db"][engine] = 10 * np.log10(mean / mean.max() + 1e-12)
        out["above_4k_db"][engine] = float(10 * np.log10(mean[freqs > 4100].sum() / mean.sum() + 1e-12))
        out["clips"][engine] = len(chosen)
    out["freqs"] = freqs
    return out


def voice_profile(y: np.ndarray, sr: int = 16000) -> dict[str, float]:
    """Four measurable ways one recording of a word differs from another: level, band, room, pitch.

    Parameters
    ----------
    y : np.ndarray
        Mono samples ``(n,)`` at ``sr`` Hz (silence around the word allowed).
    sr : int
        Sample rate in Hz.

    Returns
    -------
    dict
        ``peak dBFS`` and ``RMS dBFS`` (of the word, cut by :func:`audiokit.io.trim_silence`);
        ``roll-off Hz`` (the frequency below which 95 % of the word's power lies, mean over
        frames); ``not-word %`` (the share of the recording outside the word: silence, hum,
        reverberation tail); ``pitch Hz`` (median fundamental frequency by pYIN, nan when
        nothing is voiced).

    Notebook: 18_record_yourself
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.size == 0:
        raise ValueError("voice_profile: the recording is empty")
    word = io.trim_silence(y, sr)
    f0, voiced, _ = librosa.pyin(word, fmin=60, fmax=500, sr=sr, frame_length=1024)
    rolloff = float(librosa.feature.spectral_rolloff(y=word, sr=sr, roll_percent=0.95).mean())
    rms = float(np.sqrt(np.mean(word.astype(np.float64) ** 2))) + 1e-12
    return {"peak dBFS": float(20 * np.log10(np.abs(y).max() + 1e-12)),
            "RMS dBFS": float(20 * np.log10(rms)), "roll-off Hz": rolloff,
            "not-word %": 100.0 * (1 - len(word) / len(y)),
            "pitch Hz": float(np.nanmedian(f0)) if np.any(voiced) else float("nan")}
