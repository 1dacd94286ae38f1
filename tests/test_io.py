"""audiokit.io: every format, bit depth and channel count, and every bad-input case."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audiokit import io, signals


def _tone(n=8000, channels=1, sr=16000):
    t = np.arange(n) / sr
    y = np.stack([0.5 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)])
    return y.astype(np.float32)


# Worst-case rounding error of each integer grid (half a step of 2**(bits-1) levels), plus slack.
WAV_SUBTYPES = {"PCM_U8": 2 / 2**8, "PCM_16": 2 / 2**16, "PCM_24": 2 / 2**24,
                "PCM_32": 2 / 2**31, "FLOAT": 0.0, "DOUBLE": 0.0}


@pytest.mark.parametrize("subtype,tol", WAV_SUBTYPES.items())
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_wav_round_trip_all_bit_depths_and_channels(tmp_path, subtype, tol, channels):
    y = _tone(channels=channels)
    path = io.save(tmp_path / "x.wav", y, 16000, subtype=subtype)
    x, sr = io.load(path, mono=False)
    assert sr == 16000 and x.dtype == np.float32 and x.shape == (channels, 8000)
    assert np.abs(x - y).max() <= tol + 1e-7
    assert np.abs(x).max() <= 1.0
    mono, _ = io.load(path)
    assert mono.shape == (8000,)
    np.testing.assert_allclose(mono, x.mean(0), atol=1e-6)
    i = io.info(path)
    expected_bits = {"PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32,
                     "DOUBLE": 64}[subtype]
    assert (i.sample_rate, i.channels, i.frames, i.format, i.subtype, i.bit_depth) == (
        16000, channels, 8000, "WAV", subtype, expected_bits)
    assert i.duration == pytest.approx(0.5)


@pytest.mark.parametrize("ext,subtype,snr_min", [("flac", "PCM_16", 80), ("flac", "PCM_24", 120),
                                                  ("ogg", "VORBIS", 15), ("opus", "OPUS", 5),
                                                  ("mp3", "MPEG_LAYER_III", 5)])
def test_compressed_formats(tmp_path, ext, subtype, snr_min):
    y = _tone(n=48000, sr=48000)[0]
    path = io.save(tmp_path / f"x.{ext}", y, 48000, subtype=subtype)
    x, sr = io.load(path)
    assert sr == 48000 and x.dtype == np.float32
    if ext in ("flac",):
        assert len(x) == len(y)
        snr = 10 * np.log10(np.sum(y**2) / np.sum((x - y) ** 2))
        assert snr > snr_min
    else:
        # Lossy codecs add encoder delay/padding; the level must still match.
        assert abs(len(x) - len(y)) < 4000
        assert np.sqrt(np.mean(x**2)) == pytest.approx(np.sqrt(np.mean(y**2)), rel=0.25)
    assert io.info(path).bit_depth == (16 if subtype == "PCM_16" else 24 if subtype == "PCM_24"
                                       else None)


def test_load_resamples_with_resampy(tmp_path):
    sr0 = 44100
    y = _tone(n=sr0, sr=sr0)[0]
    path = io.save(tmp_path / "x.wav", y, sr0, subtype="FLOAT")
    for res_type in ("kaiser_best", "kaiser_fast"):
        x, sr = io.load(path, sr=16000, res_type=res_type)
        assert sr == 16000 and len(x) == 16000
        # A 220 Hz tone survives resampling: compare with the ideal tone away from the edges.
        ideal = _tone(n=16000, sr=16000)[0]
        assert np.abs(x[500:-500] - ideal[500:-500]).max() < 1e-2


def test_resample_rejects_unknown_filter():
    with pytest.raises(ValueError, match="kaiser_best"):
        io.resample(np.zeros(100, np.float32), 16000, 8000, res_type="sinc_magic")


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        io.load("nope.wav")


def test_directory(tmp_path):
    with pytest.raises(io.AudioError, match="is a directory"):
        io.load(tmp_path)


def test_empty_bytes(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(io.AudioError, match=r"empty\.wav: the file is empty"):
        io.load(p)


def test_zero_frames(tmp_path):
    p = tmp_path / "zero.wav"
    sf.write(p, np.zeros(0), 16000)
    with pytest.raises(io.AudioError, match=r"zero\.wav: the file holds no audio"):
        io.load(p)


def test_truncated_wav(tmp_path):
    p = io.save(tmp_path / "full.wav", _tone()[0], 16000)
    data = p.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(io.AudioError, match=r"cut\.wav: the file is truncated"):
        io.load(cut)
    with pytest.raises(io.AudioError, match="truncated"):
        io.info(cut)


def test_truncated_flac(tmp_path):
    p = io.save(tmp_path / "full.flac", _tone(n=32000)[0], 16000)
    data = p.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(io.AudioError, match=r"cut\.flac"):
        io.load(cut)


def test_header_only(tmp_path):
    p = io.save(tmp_path / "full.wav", _tone()[0], 16000)
    hdr = tmp_path / "hdr.wav"
    hdr.write_bytes(p.read_bytes()[:30])
    with pytest.raises(io.AudioError, match=r"hdr\.wav"):
        io.load(hdr)


def test_not_audio_with_audio_extension(tmp_path):
    p = tmp_path / "notes.mp3"
    p.write_text("these are my notes, not a song\n" * 20)
    with pytest.raises(io.AudioError, match=r"notes\.mp3: not a valid MP3 file"):
        io.load(p)
    q = tmp_path / "notes.wav"
    q.write_text("RIFF? no.\n" * 20)
    with pytest.raises(io.AudioError, match=r"notes\.wav: not a valid WAV file"):
        io.info(q)


def test_unsupported_format(tmp_path):
    p = tmp_path / "clip.xyz"
    p.write_bytes(b"\x00\x01" * 100)
    with pytest.raises(io.AudioError, match=r"clip\.xyz: unsupported format '\.xyz'"):
        io.load(p)
    with pytest.raises(io.AudioError, match="unsupported format"):
        io.save(tmp_path / "out.xyz", np.zeros(10), 16000)


def test_nan_and_inf(tmp_path):
    for bad in (np.nan, np.inf):
        p = tmp_path / f"bad_{bad}.wav"
        sf.write(p, np.array([0.0, bad, 0.1]), 16000, subtype="FLOAT")
        with pytest.raises(io.AudioError, match="NaN or infinite"):
            io.load(p)
    with pytest.raises(io.AudioError, match="NaN"):
        io.save(tmp_path / "x.wav", np.array([np.nan, 0.0]), 16000)


def test_save_is_atomic(tmp_path, monkeypatch):
    target = io.save(tmp_path / "keep.wav", _tone()[0], 16000)
    before = target.read_bytes()

    def broken_write(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(io.sf, "write", broken_write)
    with pytest.raises(io.AudioError, match="keep.wav: could not write"):
        io.save(target, np.zeros(100), 16000)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.wav"]  # no temp file left


def test_to_mono_and_fix_length(rng):
    y = np.stack([np.ones(10), -np.ones(10), np.full(10, 4.0)]).astype(np.float32)
    np.testing.assert_allclose(io.to_mono(y), np.full(10, 4 / 3), rtol=1e-6)
    x = np.arange(10, dtype=np.float32)
    assert io.fix_length(x, 15).tolist() == list(range(10)) + [0] * 5
    assert io.fix_length(x, 4, mode="pad").tolist() == [0, 1, 2, 3]
    assert io.fix_length(x, 4, mode="crop").tolist() == [3, 4, 5, 6]
    a = io.fix_length(x, 4, mode="random_crop", rng=np.random.default_rng(1))
    b = io.fix_length(x, 4, mode="random_crop", rng=np.random.default_rng(1))
    assert a.tolist() == b.tolist() and np.all(np.diff(a) == 1)
    with pytest.raises(ValueError, match="unknown mode"):
        io.fix_length(x, 4, mode="stretch")


def test_normalize_loudness():
    y = _tone()[0]
    z = io.normalize_loudness(y, target_db=-20)
    assert 20 * np.log10(np.sqrt(np.mean(z.astype(np.float64) ** 2))) == pytest.approx(-20, abs=1e-3)
    assert np.all(io.normalize_loudness(np.zeros(10)) == 0)


# -- trim_silence ----------------------------------------------------------------------------

TRIM_HOP, TRIM_FRAME = 128, 512


def _builder_rule(y: np.ndarray, top_db: float, margin_s: float, sr: int = 16000) -> np.ndarray:
    """The rule the shipped clips were cut with, as the first data builder spelled it out
    (data/make_datasets.py before it called audiokit.io.trim_silence; a rebuild through
    io.trim_silence came out byte-identical)."""
    import librosa

    _, (start, end) = librosa.effects.trim(y, top_db=top_db, frame_length=512, hop_length=128)
    margin = round(margin_s * sr)
    return y[max(0, start - margin): min(len(y), end + margin)]


@pytest.mark.parametrize("margin_s", [0.02, 0.002])  # spoken digits, drum hits
def test_trim_silence_is_the_rule_the_datasets_were_built_with(margin_s):
    rng = np.random.default_rng(5)
    for k in range(6):  # noise bursts of random length and place in quiet noise at 16 kHz
        y = (1e-4 * rng.standard_normal(16000)).astype(np.float32)
        a = int(rng.integers(0, 8000))
        y[a: a + int(rng.integers(200, 6000))] += 0.3 * rng.standard_normal(1).astype(np.float32)
        y[a: a + 2000] *= np.float32(1 + k)
        got = io.trim_silence(y, 16000, top_db=40, margin_s=margin_s)
        want = _builder_rule(y, top_db=40, margin_s=margin_s)
        np.testing.assert_array_equal(got, want)


def test_trim_silence_recovers_a_padded_clip():
    sr, margin = 16000, 320  # 0.02 s at 16 kHz
    t = np.arange(6400) / sr
    clip = (0.3 * np.sin(2 * np.pi * 2500 * t + 0.5)).astype(np.float32)  # loud from sample 0
    onset = 4000  # 0.25 s of silence before, 0.5 s after
    y = np.concatenate([np.zeros(onset, np.float32), clip, np.zeros(8000, np.float32)])
    out = io.trim_silence(y, sr)
    # out is a view of y: where it starts and ends in y
    start = (out.ctypes.data - y.ctypes.data) // y.itemsize
    end = start + len(out)
    assert np.array_equal(out, y[start:end])
    # The first loud frame is the first centred 512-sample frame that overlaps the clip: its
    # centre (a multiple of the hop) lies in (onset - 256, onset - 128], so the cut is
    # margin + [hop, frame/2) before the onset; symmetrically the end is
    # margin + [frame/2, frame/2 + hop) after the clip.
    lead, tail = onset - start, end - (onset + len(clip))
    assert margin + TRIM_HOP <= lead < margin + TRIM_FRAME // 2
    assert margin + TRIM_FRAME // 2 <= tail < margin + TRIM_FRAME // 2 + TRIM_HOP
    assert (lead, tail) == (480, 672)  # the values for this onset (4000 = 31 hops + 32 samples)
    assert np.array_equal(out[lead: lead + len(clip)], clip)


@pytest.mark.parametrize("onset", [0, 100, 4000, 4037])
def test_trim_silence_precise_start_cuts_at_the_first_loud_sample(onset):
    sr, margin = 16000, 32  # the drums' 0.002 s
    rng = np.random.default_rng(onset)
    hit = (0.5 * np.exp(-np.arange(8000) / 800) * rng.standard_normal(8000)).astype(np.float32)
    hit[0] = 0.5  # the onset is loud from its first sample, like a drum one-shot's
    y = np.concatenate([np.zeros(onset, np.float32), hit, np.zeros(8000, np.float32)])
    framed = io.trim_silence(y, sr, top_db=40, margin_s=0.002)
    precise = io.trim_silence(y, sr, top_db=40, margin_s=0.002, precise_start=True)
    first = lambda t: int(np.argmax(np.abs(t) > 0))
    # the frame grid leaves up to frame/2 samples before the onset; precise_start the margin
    assert first(precise) == min(onset, margin)
    assert onset < 1000 or first(framed) >= margin + TRIM_HOP
    assert len(framed) - len(precise) == first(framed) - first(precise)  # the end is the same
    # a noise floor 60 dB under the peak before the hit is not taken for the onset
    noisy = y + (0.5e-3 * rng.standard_normal(len(y))).astype(np.float32)
    cut = io.trim_silence(noisy, sr, top_db=40, margin_s=0.002, precise_start=True)
    start = (cut.ctypes.data - noisy.ctypes.data) // noisy.itemsize
    assert start == max(0, onset - margin)
    # channels: the first loud sample of any channel
    stereo = np.stack([y, np.roll(y, 50)])
    both = io.trim_silence(stereo, sr, top_db=40, margin_s=0.002, precise_start=True)
    assert both.shape[0] == 2 and first(both[0]) == min(onset, margin)


def test_trim_silence_strip_zeros_cuts_digital_silence_not_room_noise():
    # A noisy recording (floor 17 dB under the words, as the FSDD speaker nicolas) padded with
    # digital silence: the frame grid and the margin keep zeros at both ends; strip_zeros not.
    sr, rng = 16000, np.random.default_rng(3)
    t = np.arange(6000) / sr
    word = (0.3 * np.sin(2 * np.pi * 220 * t) * np.hanning(6000)).astype(np.float32)
    room = (0.3 * 10 ** (-17 / 20) / np.sqrt(2) * rng.standard_normal(10000)).astype(np.float32)
    room[2000:8000] += word
    padded = np.concatenate([np.zeros(4000, np.float32), room, np.zeros(8000, np.float32)])
    kept = io.trim_silence(padded, sr)
    assert kept[0] == 0 and kept[-1] == 0  # digital silence the rule alone leaves
    cut = io.trim_silence(padded, sr, strip_zeros=True)
    assert cut[0] != 0 and cut[-1] != 0
    assert np.array_equal(cut, room)  # the room noise is all there, the zeros all gone
    assert (cut.ctypes.data - padded.ctypes.data) // padded.itemsize == 4000  # a view
    # without digital silence nothing changes; all-zero input is kept, never emptied
    assert np.array_equal(io.trim_silence(room, sr, strip_zeros=True), io.trim_silence(room, sr))
    zeros = np.zeros(1000, np.float32)
    assert signals.strip_zero_ends(zeros).shape == (1000,)
    # channels: from the first to the last sample that is non-zero in any channel
    stereo = np.stack([np.r_[0, 0, 1, 2, 0, 0], np.r_[0, 3, 0, 0, 0, 0]]).astype(np.float32)
    assert signals.strip_zero_ends(stereo).tolist() == [[0, 1, 2], [3, 0, 0]]


def test_trim_silence_keeps_what_it_cannot_trim():
    empty = np.zeros(0, np.float32)
    assert io.trim_silence(empty, 16000).shape == (0,)
    zeros = np.zeros(1000, np.float32)  # all quiet: nothing is above "40 dB below the loudest"
    assert len(io.trim_silence(zeros, 16000)) == 1000
    loud = _tone(4000)[0]
    assert len(io.trim_silence(loud, 16000)) == 4000
    stereo = np.concatenate([np.zeros((2, 3000), np.float32), _tone(4000, channels=2),
                             np.zeros((2, 3000), np.float32)], axis=1)
    out = io.trim_silence(stereo, 16000, margin_s=0.0)
    assert out.shape[0] == 2 and 4000 <= out.shape[1] < 4000 + 2 * (TRIM_FRAME // 2 + TRIM_HOP)
