"""Tests for audiokit.features: parity with librosa / Kaldi, shapes, normalisation, export.

Tolerances (float32 input, float32 features):
- log_mel vs librosa melspectrogram + power_to_db(ref=1.0, top_db=None): max |diff| <= 0.01 dB
  on every bin (and with top_db=60 against power_to_db(top_db=60)); the same with
  pad_mode="reflect" at PANNs' settings, alone and in a padded batch (measured <= 3.3e-5 dB).
- spectrogram vs librosa |stft|^2 in dB: max |diff| <= 0.01 dB on bins within 80 dB of the
  clip's maximum. Bins far below that are float32 rounding noise of the DFT (both sides) and
  differ by more dB although they differ by < 1e-7 in power.
- mfcc vs librosa.feature.mfcc: max |diff| <= 1e-3 * max |reference| (relative to the scale of
  the coefficients; per-coefficient relative error is meaningless near zero).
- fbank vs kaldi_native_fbank (dither 0, same frame and mel options): max |diff| <= 0.01 (natural
  log energy).
- ONNX (onnxruntime) vs torch: compared in the power domain, relative to each clip's peak power.
  A float32 DFT + filterbank sum rounds with an *absolute* error of a few eps32 * n_fft times the
  peak (eps32 = 1.2e-7, n_fft = 512): |P_onnx - P_torch| <= 1e-5 * peak (measured <= 1e-6). In log
  units that same absolute error is large only for bins far below the peak (one bin 87 dB below
  it measured 1.06e-3 on one CPU, 4.7e-4 on another: which SIMD kernels run decides), so log
  values are held to 1e-3 only on bins within 60 dB of the peak (measured <= 7e-5).
"""

from __future__ import annotations

import json

import kaldi_native_fbank as knf
import librosa
import numpy as np
import pytest
import scipy.signal
import torch

from audiokit import features
from audiokit.features import FeatureExtractor

DB_TOL = 0.01
MFCC_REL_TOL = 1e-3
FBANK_TOL = 0.01
ONNX_POWER_TOL = 1e-5  # x the clip's peak power
ONNX_LOG_TOL = 1e-3  # log units (dB or natural log), bins within ONNX_RANGE_DB of the peak
ONNX_RANGE_DB = 60.0
RATES = (16000, 22050)
# PANNs' front-end (torchlibrosa Spectrogram + LogmelFilterBank): 1024-sample Hann frames, hop
# 320, 64 Slaney mel bands from 50 Hz, centred with pad_mode="reflect", 10 log10 with ref 1.0.
PANNS = {"n_fft": 1024, "win_length": 1024, "hop_length": 320, "n_mels": 64, "f_min": 50.0}
# f_max 14 kHz at 32 kHz (the released PANNs); at 16 kHz 14 kHz is above Nyquist, so the bands
# above 8 kHz would be empty (librosa warns): there it is Nyquist, as in PANNs' 16 kHz models.
PANNS_RATES = ((16000, 8000.0), (32000, 14000.0))


def chirp_noise(sr: int, seconds: float = 1.5, seed: int = 0) -> np.ndarray:
    """A chirp sweeping 100 Hz .. 0.9 Nyquist plus white noise, float32."""
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(seed)
    y = 0.5 * scipy.signal.chirp(t, 100.0, seconds, 0.45 * sr) + 0.05 * rng.standard_normal(t.size)
    return y.astype(np.float32)


def ours(kind: str, y: np.ndarray, **kw) -> np.ndarray:
    """(n_features, frames) like librosa."""
    fe = FeatureExtractor(kind, **kw)
    return fe(torch.from_numpy(y))[0].numpy().T


def kaldi_fbank(y: np.ndarray, sr: int, snip_edges: bool = True, n_mels: int = 80) -> np.ndarray:
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = sr
    opts.frame_opts.snip_edges = snip_edges
    opts.frame_opts.frame_length_ms = 400 * 1000 / sr
    opts.frame_opts.frame_shift_ms = 160 * 1000 / sr
    opts.mel_opts.num_bins = n_mels
    opts.mel_opts.low_freq = 20.0
    opts.mel_opts.high_freq = 0.0
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(sr, y.tolist())
    fb.input_finished()
    return np.stack([np.asarray(fb.get_frame(i)) for i in range(fb.num_frames_ready)])


# ----- parity -----------------------------------------------------------------------------


@pytest.mark.parametrize("sr", RATES)
def test_log_mel_matches_librosa(sr):
    y = chirp_noise(sr)
    S = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=512, hop_length=160, win_length=400, n_mels=80, fmin=20.0
    )
    ref = librosa.power_to_db(S, ref=1.0, top_db=None)
    got = ours("log_mel", y, sample_rate=sr)
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() <= DB_TOL
    np.testing.assert_allclose(features.log_mel(y, sr), ref, atol=1e-6)


def librosa_log_mel(y: np.ndarray, sr: int, f_min: float, f_max: float, **kw) -> np.ndarray:
    """librosa melspectrogram (centred, reflect-padded) + power_to_db(ref=1, top_db=None)."""
    S = librosa.feature.melspectrogram(
        y=y, sr=sr, center=True, pad_mode="reflect", fmin=f_min, fmax=f_max, **kw
    )
    return librosa.power_to_db(S, ref=1.0, top_db=None)


@pytest.mark.parametrize(("sr", "f_max"), PANNS_RATES)
def test_log_mel_reflect_matches_librosa(sr, f_max):
    y = chirp_noise(sr)
    ref = librosa_log_mel(y, sr, f_max=f_max, **PANNS)
    got = ours("log_mel", y, sample_rate=sr, f_max=f_max, pad_mode="reflect", **PANNS)
    assert got.shape == ref.shape == (64, 1 + len(y) // 320)
    assert np.abs(got - ref).max() <= DB_TOL
    # the edge frames are where the two modes differ: zeros would be a wrong PANNs front-end
    zeros = ours("log_mel", y, sample_rate=sr, f_max=f_max, **PANNS)
    assert np.abs(zeros - ref)[:, [0, -1]].max() > 1.0
    np.testing.assert_allclose(np.abs(zeros - ref)[:, 2:-2], 0.0, atol=DB_TOL)
    lib = {"n_fft": 1024, "hop_length": 320, "win_length": 1024, "n_mels": 64, "f_min": 50.0}
    np.testing.assert_allclose(
        features.log_mel(y, sr, f_max=f_max, pad_mode="reflect", **lib), ref, atol=1e-6
    )


@pytest.mark.parametrize(("sr", "f_max"), PANNS_RATES)
def test_log_mel_reflect_in_a_padded_batch(sr, f_max):
    """With lengths, each clip is mirrored at its own end: its valid frames are those of the clip
    alone (the batch's zero padding is not mirrored in)."""
    y = chirp_noise(sr)
    lengths = [len(y), 9001, 3000, 700]  # 700 > n_fft // 2 = 512, the shortest reflect allows
    batch = torch.zeros(len(lengths), len(y))
    for i, n in enumerate(lengths):
        batch[i, :n] = torch.from_numpy(y[:n])
    fe = FeatureExtractor("log_mel", sample_rate=sr, f_max=f_max, pad_mode="reflect", **PANNS)
    lengths = torch.tensor(lengths)
    feats, n_frames = fe(batch, lengths), fe.frame_lengths(lengths)
    for i, n in enumerate(lengths.tolist()):
        ref = librosa_log_mel(y[:n], sr, f_max=f_max, **PANNS)
        got = feats[i, : n_frames[i]].numpy().T
        assert got.shape == ref.shape
        assert np.abs(got - ref).max() <= DB_TOL
    # without lengths the short clips' last frames mirror the zero padding instead
    last = int(n_frames[2]) - 1
    ref = librosa_log_mel(y[:3000], sr, f_max=f_max, **PANNS)
    assert np.abs(fe(batch)[2, last].numpy() - ref[:, last]).max() > 1.0


def test_reflect_errors():
    fe = FeatureExtractor("log_mel", pad_mode="reflect")  # n_fft 512: needs > 256 samples
    assert fe(torch.zeros(1, 257)).shape == (1, 2, 80)
    with pytest.raises(ValueError, match="reflect.*more than 256 samples; waveforms have 256"):
        fe(torch.zeros(1, 256))
    with pytest.raises(ValueError, match="lengths range from 200 to 16000"):
        fe(torch.zeros(2, 16000), torch.tensor([16000, 200]))
    with pytest.raises(ValueError, match="pad_mode must be one of"):
        FeatureExtractor(pad_mode="edge")
    with pytest.raises(ValueError, match="fbank"):
        FeatureExtractor("fbank", pad_mode="reflect")
    assert FeatureExtractor("log_mel", center=False, pad_mode="reflect").num_frames(512) == 1


@pytest.mark.parametrize("sr", RATES)
def test_spectrogram_matches_librosa(sr):
    y = chirp_noise(sr)
    ref = librosa.power_to_db(
        np.abs(librosa.stft(y, n_fft=512, hop_length=160, win_length=400)) ** 2,
        ref=1.0,
        top_db=None,
    )
    got = ours("spectrogram", y, sample_rate=sr)
    assert got.shape == ref.shape == (257, 1 + len(y) // 160)
    keep = ref > ref.max() - 80.0
    assert keep.mean() > 0.99
    assert np.abs(got - ref)[keep].max() <= DB_TOL


@pytest.mark.parametrize("sr", RATES)
def test_mfcc_matches_librosa(sr):
    y = chirp_noise(sr)
    kw = {
        "sr": sr,
        "n_mfcc": 40,
        "n_fft": 512,
        "hop_length": 160,
        "win_length": 400,
        "n_mels": 80,
        "fmin": 20.0,
    }
    ref = librosa.feature.mfcc(y=y, **kw)
    # librosa.feature.mfcc clips the log-mel to max - 80 dB; ours does not. On this signal the
    # log-mel spans less than 80 dB, so the clip is inactive and both must agree.
    assert np.ptp(features.log_mel(y, sr)) < 80.0
    got = ours("mfcc", y, sample_rate=sr)
    assert got.shape == ref.shape == (40, 1 + len(y) // 160)
    assert np.abs(got - ref).max() <= MFCC_REL_TOL * np.abs(ref).max()
    np.testing.assert_allclose(features.mfcc(y, sr), ref, atol=MFCC_REL_TOL * np.abs(ref).max())


@pytest.mark.parametrize("sr", RATES)
@pytest.mark.parametrize("snip_edges", [True, False])
def test_fbank_matches_kaldi_native_fbank(sr, snip_edges):
    y = chirp_noise(sr)
    ref = kaldi_fbank(y, sr, snip_edges=snip_edges)
    fe = FeatureExtractor("fbank", sample_rate=sr, snip_edges=snip_edges)
    got = fe(torch.from_numpy(y))[0].numpy()
    assert got.shape == ref.shape == (fe.num_frames(len(y)), 80)
    assert np.abs(got - ref).max() <= FBANK_TOL


def test_kaldi_filterbank_edges():
    fb = features.kaldi_mel_filterbank(16000, 512, 40)
    assert fb.shape == (40, 257)
    assert fb.max() <= 1.0 and fb.min() >= 0.0
    assert np.all(fb[:, -1] == 0.0)  # Nyquist bin unused, as in Kaldi
    assert np.all(fb.sum(axis=1) > 0)


# ----- shapes and bookkeeping ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,n_features", [("spectrogram", 257), ("log_mel", 80), ("mfcc", 40), ("fbank", 80)]
)
def test_shapes_and_frame_lengths(kind, n_features):
    fe = FeatureExtractor(kind)
    assert fe.n_features == n_features
    x = torch.randn(3, 16000) * 0.1
    lengths = torch.tensor([16000, 12345, 400])
    feats = fe(x, lengths)
    n = fe.frame_lengths(lengths)
    assert isinstance(feats, torch.Tensor) and isinstance(fe(x), torch.Tensor)
    assert feats.shape == (3, fe.num_frames(16000), n_features)
    assert feats.dtype == torch.float32
    assert n.dtype == torch.int64
    assert n.tolist() == [fe.num_frames(int(v)) for v in lengths]
    one = fe(x[0])
    assert one.shape == (1,) + feats.shape[1:]
    torch.testing.assert_close(one[0], feats[0])


def test_num_frames_rules():
    assert FeatureExtractor("log_mel").num_frames(16000) == 101  # 1 + n // hop (centred)
    assert FeatureExtractor("log_mel", center=False).num_frames(16000) == 1 + (16000 - 512) // 160
    assert FeatureExtractor("fbank").num_frames(16000) == 98  # 1 + (n - 400) // 160
    assert FeatureExtractor("fbank").num_frames(399) == 0
    assert FeatureExtractor("fbank", snip_edges=False).num_frames(16000) == 100
    fe = FeatureExtractor("log_mel", center=False)
    assert fe(torch.zeros(2, 16000)).shape[1] == fe.num_frames(16000)


@pytest.mark.parametrize("kind", ["log_mel", "fbank", "mfcc"])
@pytest.mark.parametrize("normalize", ["cmn", "cmvn"])
def test_normalize_ignores_padding(kind, normalize):
    fe = FeatureExtractor(kind, normalize=normalize)
    torch.manual_seed(0)
    short = torch.randn(9000) * 0.1
    batch = torch.zeros(2, 16000)
    batch[0] = torch.randn(16000) * 0.1
    batch[1, :9000] = short
    feats = fe(batch, torch.tensor([16000, 9000]))
    n = fe.frame_lengths(torch.tensor([16000, 9000]))
    alone = fe(short[None], torch.tensor([9000]))
    n_alone = fe.frame_lengths(torch.tensor([9000]))
    valid = int(n[1])
    assert valid == int(n_alone[0]) == alone.shape[1]
    torch.testing.assert_close(feats[1, :valid], alone[0], atol=2e-4, rtol=0)
    mean = feats[1, :valid].mean(dim=0)
    assert mean.abs().max() < 1e-4
    if normalize == "cmvn":
        std = feats[1, :valid].std(dim=0, unbiased=False)
        torch.testing.assert_close(std, torch.ones_like(std), atol=1e-3, rtol=0)


def quiet_start(sr: int) -> np.ndarray:
    """chirp_noise after 0.3 s of digital silence: a log-mel spanning far more than 80 dB."""
    return np.concatenate([np.zeros(int(0.3 * sr), np.float32), chirp_noise(sr)])


@pytest.mark.parametrize("sr", RATES)
def test_top_db_matches_librosa(sr):
    y = quiet_start(sr)
    ref = librosa.power_to_db(
        librosa.feature.melspectrogram(y=y, sr=sr, n_fft=512, hop_length=160, win_length=400,
                                       n_mels=80, fmin=20.0), ref=1.0, top_db=60.0)
    assert np.ptp(features.log_mel(y, sr)) > 100.0  # the floor is active on this clip
    got = ours("log_mel", y, sample_rate=sr, top_db=60.0)
    assert np.isclose(np.ptp(got), 60.0, atol=DB_TOL)
    assert np.abs(got - ref).max() <= DB_TOL
    np.testing.assert_allclose(features.log_mel(y, sr, top_db=60.0), ref, atol=1e-6)
    # librosa.feature.mfcc floors its log-mel at 80 dB under the peak: top_db=80 is that mfcc
    ref_mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40, n_fft=512, hop_length=160,
                                    win_length=400, n_mels=80, fmin=20.0)
    got_mfcc = ours("mfcc", y, sample_rate=sr, top_db=80.0)
    assert np.abs(got_mfcc - ref_mfcc).max() <= MFCC_REL_TOL * np.abs(ref_mfcc).max()
    assert np.abs(ours("mfcc", y, sample_rate=sr) - ref_mfcc).max() > 1.0  # without: not that


@pytest.mark.parametrize("kind", ["spectrogram", "log_mel", "mfcc"])
def test_top_db_follows_the_level_and_ignores_padding(kind):
    fe = FeatureExtractor(kind, top_db=50.0, normalize="cmn")
    y = torch.from_numpy(quiet_start(16000))
    # a gain moves each clip's peak with it: after CMN the features do not change
    # (float32 rounding of 10 log10, summed by CMN and the DCT: measured <= 3e-4 dB)
    torch.testing.assert_close(fe(0.01 * y), fe(y), atol=1e-3, rtol=0)
    fixed = FeatureExtractor(kind, log_floor=1e-6, normalize="cmn")
    assert (fixed(0.01 * y) - fixed(y)).abs().max() > 1.0  # an absolute floor does not
    # batch-mate content past a clip's length (here: louder than the clip) must not set its peak
    n = 9000
    batch = torch.zeros(2, y.numel())
    batch[0] = y
    batch[1, :n] = 0.01 * y[-n:]
    batch[1, n + 400:] = 1.0
    got = fe(batch, torch.tensor([y.numel(), n]))
    alone = fe(batch[1:, :n])
    valid = int(fe.frame_lengths(torch.tensor([n]))[0])
    torch.testing.assert_close(got[1, :valid], alone[0], atol=1e-4, rtol=0)
    torch.testing.assert_close(got[0], fe(y[None])[0], atol=1e-4, rtol=0)


def test_config_round_trip():
    fe = FeatureExtractor("fbank", sample_rate=22050, n_mels=64, normalize="cmvn", f_max=8000.0)
    cfg = json.loads(json.dumps(fe.config()))
    fe2 = FeatureExtractor.from_config(cfg)
    assert fe2.config() == fe.config()
    assert fe.config()["window"] == "povey"
    x = torch.randn(2, 8000)
    torch.testing.assert_close(fe(x), fe2(x))
    with pytest.raises(ValueError, match="unknown key"):
        FeatureExtractor.from_config({**cfg, "n_melz": 3})


def test_config_pad_mode_round_trip_and_old_configs():
    fe = FeatureExtractor("log_mel", sample_rate=32000, pad_mode="reflect", **PANNS)
    cfg = json.loads(json.dumps(fe.config()))
    assert cfg["pad_mode"] == "reflect"
    assert FeatureExtractor.from_config(cfg).config() == fe.config()
    # a checkpoint saved before pad_mode existed rebuilds the zero-padding front-end
    # and one saved before top_db existed, the front-end with no floor under the peak
    old = {k: v for k, v in FeatureExtractor().config().items() if k not in ("pad_mode", "top_db")}
    rebuilt = FeatureExtractor.from_config(old)
    assert rebuilt.pad_mode == "constant" and rebuilt.top_db is None
    floored = FeatureExtractor(top_db=70.0)
    assert FeatureExtractor.from_config(json.loads(json.dumps(floored.config()))).top_db == 70.0
    x = torch.randn(1, 4000)
    torch.testing.assert_close(rebuilt(x), FeatureExtractor()(x), atol=0, rtol=0)


def test_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        FeatureExtractor("melspec")
    with pytest.raises(ValueError, match="normalize"):
        FeatureExtractor(normalize="zscore")
    with pytest.raises(ValueError, match="win_length"):
        FeatureExtractor(win_length=1024, n_fft=512)
    with pytest.raises(ValueError, match="window"):
        FeatureExtractor(window="no-such-window")
    fe = FeatureExtractor()
    with pytest.raises(ValueError, match="float"):
        fe(torch.zeros(2, 16000, dtype=torch.int16))
    with pytest.raises(ValueError, match="shape"):
        fe(torch.zeros(2, 1, 16000))
    with pytest.raises(ValueError, match="lengths"):
        fe(torch.zeros(2, 16000), torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="samples"):
        FeatureExtractor("fbank")(torch.zeros(1, 100))
    with pytest.raises(ValueError, match="top_db is for the dB kinds"):
        FeatureExtractor("fbank", top_db=60.0)
    for bad in (0.0, -3.0, "60", True):
        with pytest.raises(ValueError, match="top_db must be"):
            FeatureExtractor("log_mel", top_db=bad)


# ----- devices and export --------------------------------------------------------------------


def test_buffers_follow_the_module():
    fe = FeatureExtractor("mfcc").to(torch.float64)
    assert fe.window_fn.dtype == torch.float64
    feats = fe(torch.randn(1, 4000, dtype=torch.float64))
    assert feats.dtype == torch.float64
    names = {name for name, _ in FeatureExtractor("mfcc").named_buffers()}
    assert {"window_fn", "mel_fb", "dct"} <= names


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize(
    ("kind", "pad_mode"), [("log_mel", "constant"), ("fbank", "constant"), ("log_mel", "reflect")]
)
def test_cuda_matches_cpu(kind, pad_mode):
    fe = FeatureExtractor(kind, normalize="cmn", pad_mode=pad_mode)
    x = torch.randn(4, 16000) * 0.1
    lengths = torch.tensor([16000, 9000, 4000, 12000])
    cpu, n_cpu = fe(x, lengths), fe.frame_lengths(lengths)
    gpu, n_gpu = fe.to("cuda")(x.cuda(), lengths.cuda()), fe.frame_lengths(lengths.cuda())
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-3, rtol=0)
    assert n_gpu.cpu().tolist() == n_cpu.tolist()


# reflect needs more than n_fft // 2 = 256 samples, and export checks the range it is given
MIN_SAMPLES = {"constant": 400, "reflect": 257}


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_torch_export_dynamic(pad_mode):
    fe = FeatureExtractor("log_mel", pad_mode=pad_mode).eval()
    x = torch.randn(2, 16000) * 0.1
    dims = {
        "waveforms": {
            0: torch.export.Dim("batch", max=1024),
            1: torch.export.Dim("samples", min=MIN_SAMPLES[pad_mode], max=10**7),
        },
        "lengths": None,
    }
    ep = torch.export.export(fe, (x, None), dynamic_shapes=dims)
    x2 = torch.randn(3, 12345) * 0.1
    torch.testing.assert_close(ep.module()(x2, None), fe(x2))


def test_torch_export_reflect_with_lengths():
    """The per-clip mirror (gather + scatter on lengths) exports too."""
    fe = FeatureExtractor("log_mel", pad_mode="reflect").eval()
    batch = torch.export.Dim("batch", max=1024)
    dims = {
        "waveforms": {0: batch, 1: torch.export.Dim("samples", min=257, max=10**7)},
        "lengths": {0: batch},
    }
    ep = torch.export.export(
        fe, (torch.randn(2, 16000), torch.tensor([16000, 9000])), dynamic_shapes=dims
    )
    x2, lengths = torch.randn(3, 12345) * 0.1, torch.tensor([12345, 7000, 600])
    torch.testing.assert_close(ep.module()(x2, lengths), fe(x2, lengths))


@pytest.mark.parametrize(
    ("kind", "pad_mode", "top_db"),
    [("log_mel", "constant", None), ("fbank", "constant", None), ("log_mel", "reflect", None),
     ("log_mel", "constant", 60.0)],
)
def test_onnx_export_matches_torch(kind, pad_mode, top_db, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")

    class Wrapper(torch.nn.Module):
        def __init__(self, fe):
            super().__init__()
            self.fe = fe

        def forward(self, waveforms):
            return self.fe(waveforms)

    model = Wrapper(FeatureExtractor(kind, pad_mode=pad_mode, top_db=top_db)).eval()
    x = torch.randn(2, 16000) * 0.1
    dims = {
        "waveforms": {
            0: torch.export.Dim("batch", max=1024),
            1: torch.export.Dim("samples", min=MIN_SAMPLES[pad_mode], max=10**7),
        }
    }
    program = torch.onnx.export(model, (x,), dynamo=True, dynamic_shapes=dims, verbose=False)
    path = tmp_path / f"{kind}-{pad_mode}-{top_db}.onnx"
    program.save(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for shape in [(2, 16000), (3, 23456)]:  # includes a shape not seen at export
        y = torch.from_numpy(chirp_noise(16000, seconds=shape[1] / 16000, seed=1)).repeat(
            shape[0], 1
        )
        got = session.run(None, {session.get_inputs()[0].name: y.numpy()})[0]
        want = model(y).detach().numpy()
        assert got.shape == want.shape
        assert_log_features_close(got, want, kind)


def assert_log_features_close(got: np.ndarray, want: np.ndarray, kind: str) -> None:
    """Log features (B, T, F) equal up to float32 rounding (see the module docstring)."""
    if kind == "fbank":  # natural log of the mel energy
        p_got, p_want = np.exp(got.astype(np.float64)), np.exp(want.astype(np.float64))
    else:  # 10 log10 of the power
        p_got, p_want = 10 ** (got.astype(np.float64) / 10), 10 ** (want.astype(np.float64) / 10)
    peak = p_want.max(axis=(1, 2), keepdims=True)
    assert (np.abs(p_got - p_want) / peak).max() <= ONNX_POWER_TOL
    loud = p_want >= peak * 10 ** (-ONNX_RANGE_DB / 10)
    assert np.abs(got - want)[loud].max() <= ONNX_LOG_TOL


# ----- NumPy references ---------------------------------------------------------------------


def test_numpy_references():
    y = chirp_noise(16000, seconds=0.5)
    X = features.stft(y)
    assert X.shape == (257, 1 + len(y) // 160) and np.iscomplexobj(X)
    np.testing.assert_allclose(features.frames_to_seconds([0, 100], 16000, 160), [0.0, 1.0])
    np.testing.assert_allclose(features.bins_to_hz([0, 256], 16000, 512), [0.0, 8000.0])
    mels = features.mel_frequencies(10, 20.0, 8000.0)
    assert (
        mels.shape == (10,) and mels[0] == pytest.approx(20.0) and mels[-1] == pytest.approx(8000.0)
    )
    assert features.log_mel(y, 16000).shape == (80, X.shape[1])
    assert features.mfcc(y, 16000, n_mfcc=13).shape == (13, X.shape[1])


@pytest.mark.parametrize("kind", ["log_mel", "mfcc", "fbank", "spectrogram"])
def test_cpu_chunks_give_the_whole_batch_result(kind, monkeypatch):
    """The CPU path computes the batch in cache-sized chunks of clips; each clip's features depend
    on that clip alone, so chunked and whole-batch results agree to float32 rounding (the matrix
    products may sum in another order)."""
    rng = np.random.default_rng(0)
    x = torch.from_numpy((0.1 * rng.standard_normal((7, 8000))).astype(np.float32))
    lengths = torch.tensor([8000, 7000, 6000, 5000, 8000, 3000, 4000])
    fe = FeatureExtractor(kind, n_mels=40, normalize="cmn" if kind != "spectrogram" else None,
                          pad_mode="reflect" if kind in ("log_mel", "mfcc") else "constant").eval()
    monkeypatch.setattr(FeatureExtractor, "CHUNK_ELEMENTS", 1 << 40)
    assert fe._chunk(x) == 7
    whole = fe(x, lengths)
    monkeypatch.setattr(FeatureExtractor, "CHUNK_ELEMENTS", 3 * (8000 // 160 + 1) * fe.fft_size)
    assert fe._chunk(x) == 3
    chunked = fe(x, lengths)
    valid = fe.frame_lengths(lengths)
    for i, n in enumerate(valid.tolist()):
        torch.testing.assert_close(chunked[i, :n], whole[i, :n], atol=1e-4, rtol=0)
    assert chunked.shape == whole.shape


def test_mel_product_reads_only_the_bins_the_filters_use():
    fe = FeatureExtractor("log_mel", n_mels=40, f_max=3700.0)
    lo, hi = fe.bins
    used = np.flatnonzero(fe.mel_fb.numpy().sum(axis=1) > 0)
    assert (lo, hi) == (used[0], used[-1] + 1) and hi <= 3700 / 16000 * 512 + 2
    assert fe.mel_fb2.shape == (2 * (hi - lo), 40)
    assert FeatureExtractor("spectrogram").bins == (0, 257)
