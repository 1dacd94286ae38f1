"""Robustness report: what each perturbation claims (measured), and the report through the Predictor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from audiokit import robustness as R
from audiokit import train
from audiokit.augment import schroeder_rt60
from audiokit.evaluate import evaluate

sys.path.insert(0, str(Path(__file__).parent))
from test_train import make_tones, tiny_config

SR = 16000


def db(x: np.ndarray) -> float:
    """RMS level in dB re 1.0 (dBFS as the kit defines it)."""
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def tone(f_hz: float = 440.0, seconds: float = 0.4, amp: float = 0.3, sr: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)


def level_at(y: np.ndarray, f_hz: float, sr: int = SR) -> float:
    """dB of the Hann-windowed spectrum's peak within 50 Hz of ``f_hz`` (one sinusoid's level)."""
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    f = np.fft.rfftfreq(len(y), 1 / sr)
    return 20 * np.log10(spec[np.abs(f - f_hz) < 50].max() + 1e-30)


# -- the perturbations -----------------------------------------------------------------------


def test_registry_names_and_default_order():
    assert R.DEFAULT_PERTURBATIONS == (
        "clean", "pad", "pad+noise-60dBFS", "offset", "noise-snr30", "noise-snr20", "noise-snr10",
        "gain-20dB", "gain+6dB", "telephone", "reverb")
    assert all(p.description for p in R.PERTURBATIONS.values())
    assert R.resolve_perturbations("telephone, pad") == ["clean", "telephone", "pad"]
    with pytest.raises(ValueError, match=r"unknown perturbation 'hum'; choose from clean, pad"):
        R.resolve_perturbations(["pad", "hum"])


def test_clean_pad_and_offset_place_the_clip_exactly():
    y = tone()
    assert np.array_equal(R.perturb("clean", y, SR), y)
    out = R.perturb("pad", y, SR)
    assert len(out) == len(y) + 4000 + 8000  # 0.25 s and 0.5 s at 16 kHz
    assert not out[:4000].any() and not out[-8000:].any() and np.array_equal(out[4000:-8000], y)
    starts = set()
    for index in range(6):
        out = R.perturb("offset", y, SR, seed=0, index=index)
        assert len(out) == 24000  # the 1.5 s window
        start = int(np.flatnonzero(out)[0]) - 1  # the tone starts at sin(0) = 0
        assert np.array_equal(out[start: start + len(y)], y)
        assert not out[:start].any() and not out[start + len(y):].any()
        starts.add(start)
    assert len(starts) == 6  # a different offset per clip
    long = tone(seconds=2.0)
    assert np.array_equal(R.perturb("offset", long, SR), long)  # fills the window already


def test_noise_floor_is_minus_60_dbfs_over_the_padded_clip():
    y = tone()
    out = R.perturb("pad+noise-60dBFS", y, SR, seed=3, index=1)
    added = out - R.perturb("pad", y, SR)
    # NoiseFloor scales the drawn noise to the level exactly; 0.5 dB leaves room for float32 sums
    assert db(added) == pytest.approx(-60.0, abs=0.5)
    assert db(added[:4000]) == pytest.approx(-60.0, abs=0.5)  # the silence too, not only the sound


@pytest.mark.parametrize("snr", [30, 20, 10])
def test_noise_snr_is_measured_against_the_clip_rms(snr):
    y = tone()
    out = R.perturb(f"noise-snr{snr}", y, SR, seed=0, index=5)
    assert len(out) == len(y)
    assert db(y) - db(out - y) == pytest.approx(snr, abs=0.5)  # as for the noise floor


def test_gain_down_and_up_with_clipping():
    y = tone(amp=0.3)
    np.testing.assert_allclose(R.perturb("gain-20dB", y, SR), 0.1 * y, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(R.perturb("gain+6dB", y, SR), 10 ** (6 / 20) * y, rtol=1e-5, atol=1e-8)
    loud = R.perturb("gain+6dB", tone(amp=0.8), SR)
    assert loud.max() == 1.0 and loud.min() == -1.0  # 0.8 * 2.0 clipped to full scale


def test_telephone_keeps_the_voice_band_and_removes_5_khz():
    t = np.arange(SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 5000 * t)).astype(np.float32)
    out = R.perturb("telephone", y, SR)
    assert len(out) == len(y)
    assert level_at(y, 5000) - level_at(out, 5000) >= 30.0
    # 1 kHz is mid-band: it passes within 1 dB (band ripple, mu-law quantisation noise ~ -38 dB)
    assert level_at(out, 1000) == pytest.approx(level_at(y, 1000), abs=1.0)


def test_reverb_is_one_fixed_room_with_its_tail():
    impulse = np.zeros(800, np.float32)
    impulse[0] = 0.5
    h = R.perturb("reverb", impulse, SR)
    assert len(h) == 800 + round(0.4 * SR)  # the tail rings out into added silence
    assert schroeder_rt60(h, SR) == pytest.approx(0.4, rel=0.15)  # T20 of one noise draw
    for seed, index in [(0, 1), (7, 3)]:  # the same room whatever the seed or clip
        assert np.array_equal(R.perturb("reverb", impulse, SR, seed=seed, index=index), h)


@pytest.mark.parametrize("name", R.DEFAULT_PERTURBATIONS)
def test_each_perturbation_is_reproducible(name):
    y = tone() + 0.01 * np.random.default_rng(0).standard_normal(6400).astype(np.float32)
    a = R.perturb(name, y, SR, seed=4, index=2)
    assert a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, R.perturb(name, y, SR, seed=4, index=2))
    if name in ("pad+noise-60dBFS", "offset", "noise-snr30", "noise-snr20", "noise-snr10"):
        assert not np.array_equal(a, R.perturb(name, y, SR, seed=5, index=2))
        assert not np.array_equal(a, R.perturb(name, y, SR, seed=4, index=3))


# -- the report ------------------------------------------------------------------------------


TRIM = {"top_db": 30.0, "margin_s": 0.01, "frame_length": 512, "hop_length": 128,
        "precise_start": False}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model on two tone classes, saved with a trimming rule; training duration = clip
    length, so the Predictor sees each clip in one window, as ``evaluate`` does."""
    tmp = tmp_path_factory.mktemp("robust")
    tones = make_tones(tmp / "tones", n_per_class=8)
    cfg = tiny_config(tones, tmp / "run", epochs=2, duration=0.4, augment={})
    run = train.fit(cfg.replace(**{"data.trim": TRIM}), progress=False)
    return run.best_checkpoint, f"folder:{tones}"


@pytest.fixture(scope="module")
def report(trained):
    ckpt, data = trained
    return R.robustness(ckpt, data, device="cpu", batch_size=8, seed=0)


def test_report_has_every_row_and_clean_matches_evaluate(trained, report):
    ckpt, data = trained
    assert report.names == list(R.DEFAULT_PERTURBATIONS)
    assert all(r.clips == 16 for r in report.rows)
    assert report.trim == {**TRIM, "strip_zeros": False, "peak_dbfs": None}  # trim="auto": the checkpoint's rule, as evaluate applies it
    ev = evaluate(ckpt, data, device="cpu")
    assert report["clean"].accuracy == ev.accuracy
    # the same clips through the same front-end and model, one window each: float32 batching only
    np.testing.assert_allclose(report["clean"].probs, ev.probs, atol=1e-5)
    assert np.array_equal(report.targets, ev.targets)
    for r in report.rows:
        assert r.change == pytest.approx(100 * (r.accuracy - ev.accuracy))
        assert r.accuracy == np.mean(r.probs.argmax(1) == report.targets)


def test_report_is_reproducible_and_a_subset_perturbs_each_clip_alike(trained, report):
    ckpt, data = trained
    again = R.robustness(ckpt, data, perturbations="offset,noise-snr10", device="cpu", seed=0,
                         max_clips=4)
    assert again.names == ["clean", "offset", "noise-snr10"]
    picked = [0, 5, 10, 15]  # evenly spaced through 16 clips
    assert again["clean"].clips == 4
    for name in again.names:
        np.testing.assert_allclose(again[name].probs, report[name].probs[picked], atol=1e-6)


def test_report_table_and_json(report):
    lines = report.table().splitlines()
    assert lines[0].startswith("| perturbation") and "accuracy %" in lines[0]
    assert set(lines[1]) <= set("|-:") and len(lines) == 2 + len(report.rows)
    clean = report["clean"]
    cells = [c.strip() for c in lines[2].split("|")[1:5]]
    assert cells == ["clean", f"{100 * clean.accuracy:.1f}", "16", "+0.0"]
    back = json.loads(report.to_json())
    assert [r["perturbation"] for r in back["rows"]] == report.names
    assert back["rows"][0] == {"perturbation": "clean", "description": clean.description,
                               "accuracy": clean.accuracy, "clips": 16, "change_points": 0.0}


def test_compare_puts_reports_side_by_side(report):
    from audiokit.robustness import compare

    sub = type(report)(report.rows[:2], report.classes, report.targets)
    lines = compare({"all": report, "first two": sub}).splitlines()
    assert [c.strip() for c in lines[0].split("|")[1:4]] == ["perturbation", "all", "first two"]
    assert len(lines) == 2 + len(report.rows)
    acc = f"{100 * report.rows[1].accuracy:.1f}"
    assert [c.strip() for c in lines[3].split("|")[1:4]] == [report.rows[1].name, acc, acc]
    assert [c.strip() for c in lines[-1].split("|")[1:4]][2] == "-"  # not in the short report


def test_cli_prints_the_table_and_json(trained, capsys):
    from audiokit.cli import main

    ckpt, data = trained
    assert main(["evaluate", str(ckpt), "--data", data, "--robustness",
                 "--perturbations", "pad,gain-20dB", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and "perturbation" not in ln]
    assert [r.split("|")[1].strip() for r in rows] == ["clean", "pad", "gain-20dB"]
    assert "trim top_db=30" in out  # the caption names the rule in force
    assert main(["evaluate", str(ckpt), "--data", data, "--robustness", "--perturbations", "pad",
                 "--device", "cpu", "--json", "--no-trim"]) == 0
    back = json.loads(capsys.readouterr().out)
    assert [r["perturbation"] for r in back["rows"]] == ["clean", "pad"] and back["trim"] is None


def test_cli_unknown_perturbation_is_one_line(trained, capsys):
    from audiokit.cli import main

    ckpt, data = trained
    assert main(["evaluate", str(ckpt), "--data", data, "--robustness",
                 "--perturbations", "pad,hum"]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "'hum'" in err[0] and "telephone" in err[0] and "reverb" in err[0]


def test_cli_evaluate_no_trim_reaches_evaluate(trained, tmp_path, capsys):
    import soundfile as sf

    from audiokit.cli import main

    ckpt, data = trained
    for label in ("high", "low"):  # clips with 0.3 s of digital silence on each side
        (tmp_path / label).mkdir()
        for f in sorted((Path(data.split(":", 1)[1]) / label).glob("*.wav"))[:3]:
            y, sr = sf.read(f, dtype="float32")
            sf.write(tmp_path / label / f.name, np.pad(y, 4800), sr)
    padded = f"folder:{tmp_path}"
    trimmed, kept = (evaluate(ckpt, padded, device="cpu", trim=t) for t in ("auto", None))
    assert abs(trimmed.loss - kept.loss) > 1e-3  # the silence matters to this model
    assert main(["evaluate", str(ckpt), "--data", padded, "--device", "cpu", "--json",
                 "--no-trim"]) == 0
    assert json.loads(capsys.readouterr().out)["loss"] == pytest.approx(kept.loss, abs=1e-6)


@pytest.fixture(scope="module")
def robust_model(tmp_path_factory):
    """A small model trained the way the default recipes are: the trimming rule saved, and the
    sound placed in silence with a noise floor around it."""
    tmp = tmp_path_factory.mktemp("robust_aug")
    tones = make_tones(tmp / "tones", n_per_class=8)
    waveform = {"placement": {"p": 0.8, "max_lead_s": 0.2, "max_trail_s": 0.3},
                "noise_floor": {"p": 0.5}, "gain": {"p": 0.5}}
    cfg = tiny_config(tones, tmp / "run", epochs=6, duration=0.4, augment={"waveform": waveform})
    run = train.fit(cfg.replace(**{"data.trim": TRIM}), progress=False)
    return run.best_checkpoint, f"folder:{tones}"


def test_silence_and_noise_floor_cost_at_most_3_points(robust_model):
    """DESIGN.md's bar (no train/serve skew) on a small model: served with the checkpoint's
    trimming rule, silence around the clip and a -60 dBFS noise floor over it cost at most 3
    points (of 16 clips: none). It can fail: served without the rule, the same model scored 0.5
    on pad (measured)."""
    ckpt, data = robust_model
    rep = R.robustness(ckpt, data, perturbations="pad,pad+noise-60dBFS,offset", device="cpu")
    clean = rep["clean"].accuracy
    assert clean >= 0.9, clean  # two easy tone classes: a model that learned them
    for name in ("pad", "pad+noise-60dBFS", "offset"):
        assert rep[name].accuracy >= clean - 0.03, (name, rep[name].accuracy, clean)
