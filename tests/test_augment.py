"""audiokit.augment: shapes, probabilities, seeding, measured effects, factories, devices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import torch

from audiokit import augment as A
from audiokit import io as aio

SR = 16000
CUDA = torch.cuda.is_available()


def _batch(b: int = 6, n: int = 8000, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / SR
    tone = torch.sin(2 * torch.pi * 440.0 * t)[None, :]
    return (0.3 * tone + 0.05 * torch.randn(b, n, generator=g)).float()


def _waveform_transforms(seed: int = 0, p: float = 1.0) -> list[torch.nn.Module]:
    return [
        A.Gain(p=p, seed=seed),
        A.AddNoise(p=p, seed=seed),
        A.AddNoise(kind="pink", p=p, seed=seed),
        A.SpeedPerturb(factors=(0.9, 1.1), p=p, seed=seed),
        A.TimeShift(0.05, SR, p=p, seed=seed),
        A.TimeShift(0.05, SR, p=p, mode="zero", seed=seed),
        A.Reverb(sample_rate=SR, p=p, seed=seed),
    ]


@pytest.mark.parametrize("i", range(7))
def test_waveform_shape_identity_change_and_seed(i: int) -> None:
    x = _batch()
    lengths = torch.full((x.shape[0],), x.shape[1])
    t = _waveform_transforms(p=1.0)[i]
    y, out_len = t(x, lengths)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert out_len.shape == lengths.shape
    assert not torch.allclose(y, x)
    y0, len0 = _waveform_transforms(p=0.0)[i](x, lengths)
    assert torch.equal(y0, x) and torch.equal(len0, lengths)
    y1, _ = _waveform_transforms(seed=3)[i](x, lengths)
    y2, _ = _waveform_transforms(seed=3)[i](x, lengths)
    assert torch.equal(y1, y2)
    gen = torch.Generator().manual_seed(3)  # an explicit generator works the same as seed=
    y3, _ = type(t)(**_kwargs(t), generator=gen)(x, lengths)
    assert torch.equal(y3, y2)


def _kwargs(t: torch.nn.Module) -> dict:
    if isinstance(t, A.Gain):
        return {"p": 1.0}
    if isinstance(t, A.AddNoise):
        return {"p": 1.0, "kind": t.kind}
    if isinstance(t, A.SpeedPerturb):
        return {"p": 1.0, "factors": t.factors}
    if isinstance(t, A.TimeShift):
        return {"max_shift_s": 0.05, "sample_rate": SR, "p": 1.0, "mode": t.mode}
    return {"sample_rate": SR, "p": 1.0}


def test_probability_is_per_example() -> None:
    x = _batch(b=400, n=64)
    y, _ = A.Gain(min_db=3, max_db=6, p=0.5, seed=0)(x)
    changed = (~torch.isclose(y, x).all(dim=1)).float().mean().item()
    assert 0.4 < changed < 0.6


def test_unchosen_examples_untouched() -> None:
    x = _batch(b=64, n=2000)
    lengths = torch.full((64,), 2000)
    y, new = A.SpeedPerturb(factors=(1.25,), p=0.5, seed=0)(x, lengths)
    same = (y == x).all(dim=1)
    assert 0 < int(same.sum()) < 64
    assert torch.equal(new[same], lengths[same])
    assert (new[~same] == 1600).all()
    y, new = A.SpeedPerturb(factors=(1.25,), p=0.5, seed=0)(x)
    assert new is None


def test_gain_range() -> None:
    x = _batch(b=200, n=100)
    y, _ = A.Gain(min_db=-6, max_db=6, p=1.0, seed=0)(x)
    db = 20 * torch.log10(y.norm(dim=1) / x.norm(dim=1))
    assert db.min() >= -6.001 and db.max() <= 6.001 and db.std() > 2.0


@pytest.mark.parametrize("kind", ["white", "pink", "folder"])
def test_noise_snr_within_half_db(kind: str, tmp_path: Path) -> None:
    if kind == "folder":
        rng = np.random.default_rng(0)
        for i in range(2):
            aio.save(
                tmp_path / f"n{i}.wav", (0.2 * rng.standard_normal(3000)).astype(np.float32), SR
            )
        kind = str(tmp_path)
    x = _batch(b=8, n=8000)
    lengths = torch.tensor([8000, 6000, 4000, 8000, 5000, 7000, 3000, 8000])
    x = x * (torch.arange(8000)[None, :] < lengths[:, None])
    t = A.AddNoise(snr_db=(10.0, 10.0), kind=kind, p=1.0, seed=0)
    y, _ = t(x, lengths)
    for b in range(8):
        n = int(lengths[b])
        sig = x[b, :n].double().square().mean()
        noise = (y[b, :n] - x[b, :n]).double().square().mean()
        assert abs(10 * torch.log10(sig / noise).item() - 10.0) < 0.5
        assert torch.all(y[b, n:] == 0)  # padding stays silent


def test_pink_noise_slope() -> None:
    t = A.AddNoise(kind="pink", snr_db=(0, 0), p=1.0, seed=0)
    x = torch.zeros(4, 32768)
    x[:, 0] = 1.0  # a click: gives nonzero power to scale against
    noise = t(x)[0] - x
    spec = torch.fft.rfft(noise, dim=-1).abs().square().mean(0)
    lo = spec[100:200].mean()
    hi = spec[1000:2000].mean()
    assert 6.0 < 10 * torch.log10(lo / hi).item() < 14.0  # ~10 dB per decade


def test_speed_perturb_changes_length_and_pitch() -> None:
    n = 16000
    t = torch.arange(n) / SR
    x = torch.sin(2 * torch.pi * 500 * t)[None, :].float()
    y, lengths = A.SpeedPerturb(factors=(1.25,), p=1.0, seed=0)(x, torch.tensor([n]))
    assert lengths.tolist() == [12800]
    assert torch.all(y[0, 12800:] == 0)
    peak = torch.fft.rfft(y[0, :12800]).abs().argmax().item() * SR / 12800
    assert abs(peak - 625.0) < 5.0
    y, lengths = A.SpeedPerturb(factors=(0.8,), p=1.0, seed=0)(x, torch.tensor([8000]))
    assert lengths.tolist() == [10000]


def test_time_shift_roll_keeps_content() -> None:
    x = _batch(b=4, n=1000)
    y, _ = A.TimeShift(0.01, SR, p=1.0, seed=1)(x)
    for b in range(4):
        assert torch.allclose(torch.sort(y[b]).values, torch.sort(x[b]).values)
    lengths = torch.tensor([1000, 600, 500, 900])
    xz = x * (torch.arange(1000)[None, :] < lengths[:, None])
    y, new = A.TimeShift(0.01, SR, p=1.0, mode="zero", seed=1)(xz, lengths)
    assert ((new - lengths).abs() <= 160).all()
    for b in range(4):
        assert torch.all(y[b, int(new[b]) :] == 0)


def test_reverb_keeps_level_and_spreads_energy() -> None:
    x = torch.zeros(3, 16000)
    x[:, 1000] = 1.0
    lengths = torch.tensor([16000, 12000, 8000])
    y, _ = A.Reverb(rt60=(0.5, 0.5), sample_rate=SR, p=1.0, seed=0)(x, lengths)
    assert torch.allclose(y.norm(dim=1), x.norm(dim=1), rtol=1e-4)
    assert torch.count_nonzero(y[0].abs() > 1e-4) > 1000  # a decaying tail
    assert torch.all(y[2, 8000:] == 0)
    early = y[0, 1000:3000].square().sum()
    late = y[0, 7000:9000].square().sum()
    assert early > 10 * late


def test_reverb_ir_folder(tmp_path: Path) -> None:
    ir = np.zeros(800, dtype=np.float32)
    ir[100] = 0.5
    ir[500] = 0.25
    aio.save(tmp_path / "ir.wav", ir, SR, subtype="FLOAT")
    x = torch.zeros(1, 2000)
    x[0, 10] = 1.0
    y, _ = A.Reverb(sample_rate=SR, ir_folder=tmp_path, p=1.0, seed=0)(x)
    peaks = torch.nonzero(y[0].abs() > 1e-3).flatten().tolist()
    assert peaks == [10, 410]  # aligned on the direct path, echo 400 samples later
    with pytest.raises(FileNotFoundError, match="nowhere"):
        A.Reverb(ir_folder=tmp_path / "nowhere")


def test_specaugment_masks_requested_amount() -> None:
    b, t, f = 256, 100, 40
    x = torch.randn(b, t, f) + 5.0
    only_freq = A.SpecAugment(
        freq_masks=1, freq_width=8, time_masks=0, p=1.0, mask_value=0.0, seed=0
    )
    y, _ = only_freq(x)
    masked = (y == 0).all(dim=1)  # (B, F): whole bands masked
    widths = masked.sum(1).float()
    assert widths.max() <= 8 and abs(widths.mean().item() - 4.0) < 0.5  # uniform in [0, 8]
    for row in masked[:20]:  # contiguous bands
        idx = torch.nonzero(row).flatten()
        if len(idx):
            assert idx[-1] - idx[0] + 1 == len(idx)
    assert torch.equal((y == 0).sum(), (masked.sum(1) * t).sum())
    lengths = torch.full((b,), 50)
    only_time = A.SpecAugment(
        freq_masks=0, time_masks=2, time_width=10, p=1.0, mask_value=0.0, seed=0
    )
    y, out_len = only_time(x, lengths)
    tmask = (y == 0).all(dim=2)
    assert torch.equal(out_len, lengths)
    assert not tmask[:, 50:].any()  # masks stay inside the true frames
    assert tmask.sum(1).max() <= 20 and tmask.sum(1).float().mean() > 5
    y0, _ = A.SpecAugment(p=0.0, seed=0)(x)
    assert torch.equal(y0, x)
    a, _ = A.SpecAugment(seed=4)(x)
    c, _ = A.SpecAugment(seed=4)(x)
    assert torch.equal(a, c) and not torch.equal(a, x)


def test_specaugment_mean_fill() -> None:
    x = torch.randn(2, 30, 10) + 3.0
    y, _ = A.SpecAugment(freq_masks=1, freq_width=10, time_masks=0, seed=1)(x)
    changed = y != x
    mean = x.mean(dim=(1, 2))
    for b in range(2):
        if changed[b].any():
            assert torch.allclose(y[b][changed[b]], mean[b].expand(int(changed[b].sum())))


def test_mixup_soft_targets() -> None:
    x = torch.randn(16, 20, 8)
    labels = torch.arange(16) % 4
    mix = A.Mixup(alpha=0.4, num_classes=4, seed=0)
    y, soft, lengths = mix(x, labels, torch.full((16,), 20))
    assert y.shape == x.shape and soft.shape == (16, 4) and lengths.shape == (16,)
    assert torch.allclose(soft.sum(1), torch.ones(16))
    own = soft[torch.arange(16), labels]
    assert (own >= 0.5 - 1e-6).all() and (own < 1).any()
    y2, soft2, _ = A.Mixup(alpha=0.4, num_classes=4, seed=0)(x, labels)
    assert torch.equal(y, y2) and torch.equal(soft, soft2)
    y0, soft0, _ = A.Mixup(alpha=0.4, num_classes=4, p=0.0, seed=0)(x, labels)
    assert torch.equal(y0, x) and torch.equal(soft0.argmax(1), labels) and soft0.max() == 1
    loss = torch.nn.functional.cross_entropy(torch.randn(16, 4), soft)
    assert torch.isfinite(loss)
    with pytest.raises(ValueError, match="num_classes"):
        A.Mixup()(x, labels)


def test_compose_and_factories() -> None:
    cfg = {
        "gain": {"p": 1.0},
        "noise": {"snr_db": [20, 20], "p": 1.0},
        "speed": True,
        "reverb": False,
    }
    aug = A.build_waveform_augment(cfg, sample_rate=SR, seed=0)
    assert [type(t).__name__ for t in aug.transforms] == ["SpeedPerturb", "AddNoise", "Gain"]
    x = _batch()
    lengths = torch.full((x.shape[0],), x.shape[1])
    y, out_len = aug(x, lengths)
    assert y.shape == x.shape and out_len.shape == lengths.shape
    y2, _ = A.build_waveform_augment(cfg, sample_rate=SR, seed=0)(x, lengths)
    assert torch.equal(y, y2)
    assert len(A.build_waveform_augment({})) == 0
    with pytest.raises(ValueError, match="unknown waveform augmentation.*'echo'"):
        A.build_waveform_augment({"echo": {}})
    with pytest.raises(TypeError, match="'gain'.*db_max"):
        A.build_waveform_augment({"gain": {"db_max": 3}})
    spec = A.build_spec_augment({"specaugment": {"freq_masks": 1}, "mixup": {"alpha": 0.2}}, seed=0)
    assert len(spec) == 1 and isinstance(spec.transforms[0], A.SpecAugment)
    with pytest.raises(ValueError, match="unknown feature augmentation"):
        A.build_spec_augment({"cutout": {}})
    mix = A.build_mixup({"mixup": {"alpha": 0.3}}, num_classes=5)
    assert isinstance(mix, A.Mixup) and mix.num_classes == 5
    assert A.build_mixup({}, num_classes=5) is None


@pytest.mark.parametrize("name", list(A.WAVEFORM_AUGMENTS))
def test_preview(name: str) -> None:
    y = _batch(b=1, n=4000)[0].numpy()
    out = A.preview(y, SR, name)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert np.array_equal(out, A.preview(y, SR, name))
    if name == "placement":  # the silence before and after the clip comes back too
        assert out.shape[0] > y.shape[0]
        out = out[: y.shape[0]]
    else:
        assert out.shape == y.shape
    assert not np.allclose(out, y)
    with pytest.raises(ValueError, match="unknown augmentation"):
        A.preview(y, SR, "warp")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="p must be"):
        A.Gain(p=1.5)
    with pytest.raises(FileNotFoundError, match="neither"):
        A.AddNoise(kind="brown")
    with pytest.raises(ValueError, match="factors"):
        A.SpeedPerturb(factors=(0.0,))


# --------------------------------------------------------------------------------------------
# The transforms for recordings as users have them: silence, noise floor, channel, EQ, pitch
# --------------------------------------------------------------------------------------------

#: Constructors of the newer waveform transforms, with settings that make their effect clear.
NEW = {
    "placement": lambda **kw: A.RandomPlacement(0.1, 0.2, sample_rate=SR, **kw),
    "noise_floor": lambda **kw: A.NoiseFloor(**kw),
    "telephone": lambda **kw: A.TelephoneBand(sample_rate=SR, **kw),
    "mulaw": lambda **kw: A.MuLaw(codec_rate=8000, sample_rate=SR, **kw),
    "eq": lambda **kw: A.RandomEQ(sample_rate=SR, **kw),
    "pitch": lambda **kw: A.PitchShift(sample_rate=SR, **kw),
    "edge_cut": lambda **kw: A.EdgeCut(0.3, 0.2, **kw),
}
DETERMINISTIC = {"telephone", "mulaw"}  # nothing drawn but p


def _padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([8000, 6000, 4000, 8000, 5000, 7000])
    x = _batch() * (torch.arange(8000)[None, :] < lengths[:, None])
    return x, lengths


def _tone(f_hz: float, n: int = SR, amp: float = 0.5, sr: int = SR) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / sr
    return (amp * torch.sin(2 * torch.pi * f_hz * t)).float()[None, :]


def _db(a: torch.Tensor, b: torch.Tensor) -> float:
    """Level of ``a`` relative to ``b`` in dB (RMS ratio)."""
    return 20 * torch.log10(a.double().norm() / b.double().norm()).item()


@pytest.mark.parametrize("name", list(NEW))
def test_new_transforms_seed_probability_and_padding(name: str) -> None:
    make = NEW[name]
    x, lengths = _padded_batch()
    y, new = make(p=1.0, seed=3)(x, lengths)
    assert y.dtype == x.dtype and new.dtype == torch.long and new.shape == lengths.shape
    assert y.shape[1] == max(x.shape[1], int(new.max()))
    assert not torch.allclose(y[:, : x.shape[1]], x)
    for b in range(x.shape[0]):  # padding past the returned lengths stays zero
        assert torch.all(y[b, int(new[b]) :] == 0)
    y2, new2 = make(p=1.0, seed=3)(x, lengths)
    assert torch.equal(y, y2) and torch.equal(new, new2)
    y3, _ = make(p=1.0, generator=torch.Generator().manual_seed(3))(x, lengths)
    assert torch.equal(y3, y)
    if name not in DETERMINISTIC:
        assert not torch.equal(make(p=1.0, seed=4)(x, lengths)[0], y)
    y0, new0 = make(p=0.0, seed=3)(x, lengths)
    assert torch.equal(y0, x) and torch.equal(new0, lengths)
    assert make(p=1.0, seed=3)(x)[1] is None  # None stays None


@pytest.mark.parametrize("name", list(NEW))
def test_new_transforms_leave_unchosen_examples_alone(name: str) -> None:
    x = _batch(b=32, n=4000)
    lengths = torch.full((32,), 4000)
    y, new = NEW[name](p=0.5, seed=0)(x, lengths)
    same = (y[:, :4000] == x).all(dim=1) & (y[:, 4000:] == 0).all(dim=1)
    assert 0 < int(same.sum()) < 32
    assert torch.equal(new[same], lengths[same])


def test_random_placement_pinned_adds_exact_silence() -> None:
    x, lengths = _padded_batch()
    place = A.RandomPlacement(0.25, 0.5, sample_rate=SR, min_lead_s=0.25, min_trail_s=0.5, p=1.0)
    y, new = place(x, lengths)
    lead, trail = 4000, 8000
    assert torch.equal(new, lengths + lead + trail)
    assert y.shape == (6, 8000 + lead + trail)
    for b in range(6):
        n = int(lengths[b])
        assert torch.all(y[b, :lead] == 0)
        assert torch.equal(y[b, lead : lead + n], x[b, :n])
        assert torch.all(y[b, lead + n :] == 0)


def test_random_placement_draws_within_range() -> None:
    x = torch.ones(400, 100)
    y, new = A.RandomPlacement(0.01, 0.02, sample_rate=SR, p=1.0, seed=0)(
        x, torch.full((400,), 100)
    )
    lead = (y == 0).long().cumprod(dim=1).sum(dim=1)  # zeros before the first sample of the clip
    trail = new - 100 - lead
    assert lead.min() == 0 and lead.max() == 160 and trail.min() == 0 and trail.max() == 320
    assert abs(lead.float().mean().item() - 80) < 8  # uniform over 0..160: mean 80, s.e. ~2.3
    assert y.shape[1] == int(new.max())


def test_edge_cut_keeps_the_middle_of_the_clip_at_the_start() -> None:
    x, lengths = _padded_batch()
    y, new = A.EdgeCut(0.3, 0.2, p=1.0, seed=0)(x, lengths)
    assert y.shape == x.shape
    for b in range(6):
        n, m = int(lengths[b]), int(new[b])
        # the kept part is one contiguous run of the original, moved to sample 0
        lead = int(torch.nonzero((x[b, :n].unfold(0, m, 1) == y[b, :m]).all(dim=1))[0])
        trail = n - lead - m
        assert 0 <= lead <= 0.3 * n and 0 <= trail <= 0.2 * n
        assert torch.all(y[b, m:] == 0)


def test_edge_cut_draws_cover_their_range() -> None:
    x = torch.arange(1, 1001, dtype=torch.float32).repeat(400, 1)
    y, new = A.EdgeCut(0.3, 0.2, p=1.0, seed=0)(x, torch.full((400,), 1000))
    lead = (y[:, 0] - 1).long()  # sample values are their index + 1
    trail = 1000 - lead - new
    assert lead.min() >= 0 and lead.max() <= 300 and lead.max() > 280  # uniform over 0..300
    assert trail.min() >= 0 and trail.max() <= 200 and trail.max() > 180
    assert abs(lead.float().mean().item() - 150) < 15  # mean 150, s.e. ~4.3
    with pytest.raises(ValueError, match="max_lead"):
        A.EdgeCut(max_lead=0.5)
    with pytest.raises(ValueError, match="max_trail"):
        A.EdgeCut(max_trail=-0.1)


def test_seed_offsets_keep_older_recipes_draws() -> None:
    """A transform added later takes the next offset: the others draw exactly as before."""
    assert set(A.SEED_OFFSET) == set(A.WAVEFORM_AUGMENTS)
    assert sorted(A.SEED_OFFSET.values()) == list(range(len(A.SEED_OFFSET)))
    assert [A.SEED_OFFSET[k] for k in ("speed", "pitch", "shift", "placement", "reverb", "noise",
                                       "eq", "gain", "noise_floor", "telephone", "mulaw")] \
        == list(range(11))
    x, lengths = _padded_batch()
    chain = A.build_waveform_augment({"gain": {"p": 1.0}}, SR, seed=5)
    assert torch.equal(chain(x, lengths)[0], A.Gain(p=1.0, seed=5 + 7)(x, lengths)[0])


def test_placement_then_noise_floor_covers_the_silence() -> None:
    x, lengths = _padded_batch()
    chain = A.build_waveform_augment(
        {"placement": {"p": 1.0}, "noise_floor": {"level_db": -60, "p": 1.0}}, SR, seed=0
    )
    y, new = chain(x, lengths)
    assert torch.all(new > lengths)  # silence added (0.25 s + 0.5 s at most)
    for b in range(6):
        n = int(new[b])
        assert torch.all(y[b, :n] != 0)  # no digital silence left inside the valid length
        assert torch.all(y[b, n:] == 0)


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_noise_floor_absolute_level(kind: str) -> None:
    x, lengths = _padded_batch()
    floor = A.NoiseFloor(level_db=(-60, -60), kind=kind, p=1.0, seed=0)
    y, _ = floor(x, lengths)
    y_loud, _ = A.NoiseFloor(level_db=-60, kind=kind, p=1.0, seed=0)(10 * x, lengths)
    for b in range(6):
        n = int(lengths[b])
        noise = (y[b, :n] - x[b, :n]).double()
        level = 20 * torch.log10(noise.square().mean().sqrt()).item()
        assert abs(level - (-60.0)) < 0.01  # set exactly; 0.01 dB covers float32 rounding
        assert torch.all(y[b, n:] == 0)
        # the level does not follow the clip's (x10 louder input, same noise)
        assert torch.allclose(y_loud[b, :n] - 10 * x[b, :n], noise.float(), atol=1e-5)
    spread = A.NoiseFloor(level_db=(-90, -45), p=1.0, seed=1)(torch.zeros(200, 2000))[0]
    levels = 20 * torch.log10(spread.double().square().mean(1).sqrt())
    assert levels.min() >= -90.01 and levels.max() <= -44.99 and levels.std() > 10


def test_telephone_band_removes_out_of_band_energy() -> None:
    tel = A.TelephoneBand(sample_rate=SR, p=1.0)
    mid = slice(1000, SR - 1000)  # skip the test tone's abrupt start and end (broadband clicks)
    for f_hz in (100.0, 5000.0):
        x = _tone(f_hz)
        y, _ = tel(x)
        assert _db(y[0, mid], x[0, mid]) <= -30.0
    for f_hz in (400.0, 1000.0, 3000.0):
        x = _tone(f_hz)
        y, _ = tel(x)
        assert abs(_db(y[0, mid], x[0, mid])) < 0.1  # designed ripple is 0.01 dB
    x = _tone(1000.0)
    assert torch.allclose(tel(x)[0][0, mid], x[0, mid], atol=1e-3)  # linear phase, no delay
    narrow = A.TelephoneBand(sample_rate=8000, p=1.0)  # works at a telephone's own rate
    x8 = _tone(1000.0, n=8000, sr=8000)
    assert abs(_db(narrow(x8)[0][0, 500:7500], x8[0, 500:7500])) < 0.1
    with pytest.raises(ValueError, match="sample_rate/2"):
        A.TelephoneBand(high_hz=3400, sample_rate=6000)


def _snr_db(y: torch.Tensor, x: torch.Tensor) -> float:
    return 10 * torch.log10(x.double().square().sum() / (y - x).double().square().sum()).item()


def test_mulaw_snr_and_relative_precision() -> None:
    full = _tone(1000.3, amp=1.0)  # not locked to the sample grid, so the error is noise-like
    y, _ = A.MuLaw(sample_rate=SR, p=1.0)(full)
    assert (
        abs(_snr_db(y, full) - 38.0) < 2.0
    )  # textbook 8-bit mu-law: 6.02*8 + 4.77 - 20 log10 ln 256
    y8, _ = A.MuLaw(codec_rate=8000, sample_rate=SR, p=1.0)(full)
    assert abs(_snr_db(y8, full) - 38.0) < 2.0
    quiet = full * 0.01  # -40 dB
    linear8 = torch.round(quiet * 127) / 127
    assert _snr_db(A.mulaw_codec(quiet), quiet) > 30.0  # within 8 dB of full scale
    assert _snr_db(linear8, quiet) < 12.0  # what 8-bit linear PCM keeps at -40 dB
    ramp = torch.linspace(-1, 1, 200001)
    levels = torch.unique(A.mulaw_codec(ramp))
    assert len(levels) == 255  # 256 codes; +0 and -0 both decode to 0
    assert torch.allclose(A.mulaw_codec(levels), levels)  # decoded values are fixed points


@pytest.mark.parametrize(
    "kind, f0, gain, at_f0",
    [
        ("peak", 1000, 6, 6),
        ("peak", 250, -9, -9),
        ("peak", 4000, 12, 12),
        ("low_shelf", 200, -6, -3),
        ("high_shelf", 3000, 8, 4),
    ],  # a shelf is half-way at f0
)
def test_eq_response_at_centre_matches_design(
    kind: str, f0: float, gain: float, at_f0: float
) -> None:
    eq = A.RandomEQ(
        gain_db=gain,
        n_bands=1,
        freq_hz=f0,
        q=1.0,
        tilt_db_per_octave=0,
        kinds=(kind,),
        sample_rate=SR,
        p=1.0,
    )
    x = _tone(f0)
    y, _ = eq(x)
    mid = slice(4000, 12000)  # steady state, away from the tone's onset
    assert abs(_db(y[0, mid], x[0, mid]) - at_f0) < 0.5


def test_random_eq_bands_measure_as_drawn() -> None:
    b = 12

    def make() -> A.RandomEQ:
        return A.RandomEQ(
            gain_db=(-9, 9),
            n_bands=1,
            freq_hz=(100, 5000),
            q=(0.7, 2),
            tilt_db_per_octave=0,
            kinds=("peak",),
            sample_rate=SR,
            p=1.0,
            seed=5,
        )

    settings = make().design(b)  # the same draws forward() makes with the same seed
    f0, gain = settings["freq_hz"][:, 0], settings["gain_db"][:, 0]
    x = torch.cat([_tone(float(f)) for f in f0])
    y, _ = make()(x)
    for i in range(b):
        assert abs(_db(y[i, 4000:12000], x[i, 4000:12000]) - float(gain[i])) < 0.5
    assert gain.abs().max() > 4 and gain.std() > 2  # really drawn over the range


def test_random_eq_tilt_and_band_count() -> None:
    tilt = A.RandomEQ(n_bands=0, tilt_db_per_octave=3.0, sample_rate=SR, p=1.0)
    for f_hz, expected in ((500, -3.0), (2000, 3.0), (4000, 6.0)):
        x = _tone(f_hz)
        assert abs(_db(tilt(x)[0][0, 4000:12000], x[0, 4000:12000]) - expected) < 0.1
    settings = A.RandomEQ(n_bands=(1, 3), seed=0).design(300)
    used = (settings["gain_db"] != 0).sum(1)
    assert used.min() == 1 and used.max() == 3 and settings["gain_db"].abs().max() <= 6


@pytest.mark.parametrize("semitones", [2.0, -3.0])
def test_pitch_shift_moves_the_peak_and_keeps_the_length(semitones: float) -> None:
    x = _tone(440.0)
    y, lengths = A.PitchShift(semitones=semitones, sample_rate=SR, p=1.0)(x, torch.tensor([SR]))
    assert y.shape == x.shape and lengths.tolist() == [SR]
    spec = torch.fft.rfft(y[0].double() * torch.hann_window(SR, dtype=torch.float64)).abs()
    peak_hz = spec.argmax().item() * SR / SR  # 1 Hz bins
    assert abs(peak_hz - 440.0 * 2 ** (semitones / 12)) <= 1.0  # within one FFT bin
    assert abs(_db(y, x)) < 0.01  # RMS restored
    near = spec[int(peak_hz) - 20 : int(peak_hz) + 21].square().sum() / spec.square().sum()
    assert near > 0.99  # one clean partial, not a smear


def test_pitch_shift_per_example_and_padding() -> None:
    x = torch.cat([_tone(440.0) for _ in range(6)])
    lengths = torch.tensor([16000, 12000, 9000, 16000, 14000, 10000])
    x = x * (torch.arange(SR)[None, :] < lengths[:, None])
    y, new = A.PitchShift(semitones=(-3, 3), sample_rate=SR, p=1.0, seed=2)(x, lengths)
    assert torch.equal(new, lengths)
    peaks = []
    for b in range(6):
        n = int(lengths[b])
        assert torch.all(y[b, n:] == 0)
        peaks.append(torch.fft.rfft(y[b, :n].double(), SR).abs().argmax().item())
    assert all(440 * 2**-0.25 - 2 <= f <= 440 * 2**0.25 + 2 for f in peaks)
    assert len(set(peaks)) > 3  # each example its own shift


def _voice() -> torch.Tensor:
    """A 160 Hz pulse train through two resonances (700 and 1800 Hz): harmonics + formants."""
    x = np.zeros(SR)
    x[::100] = 1.0
    y = (scipy.signal.lfilter(*scipy.signal.iirpeak(700, 4, fs=SR), x)
         + 0.7 * scipy.signal.lfilter(*scipy.signal.iirpeak(1800, 6, fs=SR), x))
    return torch.tensor(0.5 * y / np.abs(y).max(), dtype=torch.float32)[None]


def _centroid_and_f0(y: torch.Tensor) -> tuple[float, float]:
    """Power centroid in 200-3500 Hz (where the formants are) and the harmonic spacing (f0), Hz."""
    spec = np.abs(np.fft.rfft(y[0].double().numpy() * np.hanning(SR)))  # 1 Hz bins
    f = np.arange(spec.size)
    band = (f > 200) & (f < 3500)
    peaks, _ = scipy.signal.find_peaks(spec, distance=60, height=0.05 * spec.max())
    return float((spec[band] ** 2 * f[band]).sum() / (spec[band] ** 2).sum()), float(
        np.median(np.diff(peaks)))


@pytest.mark.parametrize("semitones, formants, f0_ratio, centroid_ratio", [
    (0.0, 1.25, 1.0, (1.15, 1.30)),        # vocal tract 25 % shorter: formants up, pitch kept
    (0.0, 0.8, 1.0, (0.82, 0.94)),
    (5.0, 1.0, 2 ** (5 / 12), (0.98, 1.12)),   # pitch up a fourth, formants kept ...
    (5.0, None, 2 ** (5 / 12), (1.17, 1.30)),  # ... unlike the default, which moves them too
    (-5.0, 1.0, 2 ** (-5 / 12), (0.95, 1.05)),
    (-5.0, None, 2 ** (-5 / 12), (0.70, 0.83)),
])
def test_pitch_shift_formants_move_independently(semitones, formants, f0_ratio, centroid_ratio):
    # Bounds: measured 1.21, 0.88, 1.09, 1.22, 1.00, 0.77 (x86-64, torch 2.13) with room for
    # another FFT library's rounding; the pitch is read from 1 Hz harmonic spacing (+-1 Hz).
    x = _voice()
    fixed = None if formants is None else (formants, formants)
    y, _ = A.PitchShift(semitones=(semitones, semitones), formants=fixed, sample_rate=SR,
                        p=1.0)(x, torch.tensor([SR]))
    (c0, f0), (c1, f1) = _centroid_and_f0(x), _centroid_and_f0(y)
    assert abs(f1 - f0 * f0_ratio) <= 1.0
    assert centroid_ratio[0] <= c1 / c0 <= centroid_ratio[1]
    assert abs(_db(y, x)) < 0.01


def test_pitch_shift_formants_validation_and_draws() -> None:
    with pytest.raises(ValueError, match="formants must be ratios within 0.5 .. 2"):
        A.PitchShift(formants=(0.3, 1.2))
    with pytest.raises(ValueError, match="positive"):
        A.PitchShift(formants=(-1.0, 1.2))
    t = A.PitchShift(semitones=(0, 0), formants=(0.9, 1.1), sample_rate=SR, p=1.0, seed=0)
    assert "formants=(0.9, 1.1)" in repr(t)
    x = torch.cat([_voice()] * 4)
    y, _ = t(x, torch.full((4,), SR))
    centroids = [_centroid_and_f0(y[i:i + 1])[0] for i in range(4)]
    assert len({round(c) for c in centroids}) == 4  # each example its own formant ratio


def test_schroeder_rt60_measures_a_known_decay() -> None:
    t = np.arange(SR) / SR
    envelope = np.exp(-3 * np.log(10) * t / 0.4)  # 60 dB down at 0.4 s, no noise
    assert abs(A.schroeder_rt60(envelope, SR) - 0.4) < 0.004  # 1 %: the truncation at 1 s


@pytest.mark.parametrize("rt60", [0.3, 0.6, 1.0])
def test_reverb_synthetic_rt60_as_claimed(rt60: float) -> None:
    h = A.Reverb(rt60=rt60, sample_rate=SR, p=1.0, seed=0).impulse_responses(8)
    measured = np.array([A.schroeder_rt60(h[i].numpy(), SR) for i in range(8)])
    # the tail is one draw of Gaussian noise: each EDC wobbles by a few percent
    assert np.all(np.abs(measured / rt60 - 1) < 0.1) and abs(measured.mean() / rt60 - 1) < 0.05


def test_reverb_measured_rirs_from_a_folder(tmp_path: Path) -> None:
    for i, (delay, echo) in enumerate([(50, 300), (10, 800)]):
        ir = np.zeros(1200, dtype=np.float32)
        ir[delay] = 0.8
        ir[delay + echo] = 0.4
        aio.save(tmp_path / "sub" / f"rir{i}.wav", ir, SR, subtype="FLOAT")
    x = torch.zeros(40, 3000)
    x[:, 100] = 1.0
    lengths = torch.full((40,), 2500)
    rev = A.Reverb(ir_folder=tmp_path, sample_rate=SR, p=1.0, seed=0)
    y, _ = rev(x, lengths)
    echoes = {tuple(torch.nonzero(row.abs() > 1e-3).flatten().tolist()) for row in y}
    assert echoes == {(100, 400), (100, 900)}  # both files used, each aligned on its direct path
    assert torch.all(y[:, 2500:] == 0)
    assert torch.equal(
        y, A.Reverb(ir_folder=tmp_path, sample_rate=SR, p=1.0, seed=0)(x, lengths)[0]
    )
    aio.save(tmp_path / "silent.wav", np.zeros(100, dtype=np.float32), SR)
    with pytest.raises(ValueError, match="silent.wav"):
        A.Reverb(ir_folder=tmp_path, sample_rate=SR)


def test_background_noise_folder_any_rate_and_seeded(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    aio.save(tmp_path / "hum.wav", (0.3 * np.sin(np.arange(4000) * 0.3)).astype(np.float32), 8000)
    aio.save(tmp_path / "hiss.flac", (0.1 * rng.standard_normal(9000)).astype(np.float32), SR)
    x, lengths = _padded_batch()
    noise = A.AddNoise(snr_db=(20, 20), kind=tmp_path, sample_rate=SR, p=1.0, seed=0)
    assert [c.shape[0] for c in noise.clips] == [9000, 8000]  # hum resampled 8 kHz -> 16 kHz
    y, _ = noise(x, lengths)
    for b in range(6):
        n = int(lengths[b])
        assert abs(_snr_db(y[b, :n], x[b, :n]) - 20.0) < 0.5
        assert torch.all(y[b, n:] == 0)
    assert torch.equal(y, A.AddNoise(snr_db=20, kind=tmp_path, p=1.0, seed=0)(x, lengths)[0])
    assert not torch.equal(y, A.AddNoise(snr_db=20, kind=tmp_path, p=1.0, seed=1)(x, lengths)[0])


def test_factory_knows_every_waveform_augment() -> None:
    assert list(A.WAVEFORM_AUGMENTS)[:2] == ["speed", "pitch"]
    assert list(A.WAVEFORM_AUGMENTS)[-2:] == ["telephone", "mulaw"]
    assert set(A.WAVEFORM_STRENGTH) == set(A.WAVEFORM_AUGMENTS)
    chain = A.build_waveform_augment(
        {name: {"p": 1.0} for name in reversed(A.WAVEFORM_AUGMENTS)}, sample_rate=SR, seed=0
    )
    assert [type(t) for t in chain.transforms] == list(A.WAVEFORM_AUGMENTS.values())
    x, lengths = _padded_batch()
    y, new = chain(x, lengths)
    assert y.shape[1] == int(new.max()) and torch.all(new >= lengths) and torch.isfinite(y).all()
    for b in range(6):
        assert torch.all(y[b, int(new[b]) :] == 0)
    again = A.build_waveform_augment({name: {"p": 1.0} for name in A.WAVEFORM_AUGMENTS}, SR, seed=0)
    assert torch.equal(again(x, lengths)[0], y)


@pytest.mark.parametrize("name", list(A.WAVEFORM_AUGMENTS))
def test_strength_options_drive_preview(name: str) -> None:
    y = _batch(b=1, n=4000)[0].numpy()
    weak = A.preview(y, SR, name, **A.WAVEFORM_STRENGTH[name](0.0))
    strong = A.preview(y, SR, name, **A.WAVEFORM_STRENGTH[name](1.0))
    assert weak.dtype == strong.dtype == np.float32 and np.isfinite(strong).all()
    n = min(len(weak), len(strong))
    assert not np.array_equal(weak[:n], strong[:n])


@pytest.mark.cuda
@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
def test_cuda_batches_match_devices() -> None:
    x = _batch().cuda()
    lengths = torch.full((x.shape[0],), x.shape[1], device="cuda")
    for t in _waveform_transforms(seed=0):
        y, out_len = t(x, lengths)
        assert y.device == x.device and out_len.device == x.device and y.shape == x.shape
    cpu = [t(x.cpu(), lengths.cpu())[0] for t in _waveform_transforms(seed=0)]
    gpu = [t(x, lengths)[0].cpu() for t in _waveform_transforms(seed=0)]
    for a, b in zip(cpu, gpu):  # a CPU generator gives the same draws for either device
        assert torch.allclose(a, b, atol=1e-4)
    for name, make in NEW.items():  # the newer transforms too (mu-law at the clip's rate: a
        if name == "mulaw":  # resampled input may cross a code boundary on one device only)
            make = lambda **kw: A.MuLaw(sample_rate=SR, **kw)
        y_gpu, len_gpu = make(p=1.0, seed=0)(x, lengths)
        y_cpu, len_cpu = make(p=1.0, seed=0)(x.cpu(), lengths.cpu())
        assert y_gpu.is_cuda and len_gpu.is_cuda and torch.equal(len_gpu.cpu(), len_cpu)
        assert torch.allclose(y_gpu.cpu(), y_cpu, atol=1e-4), name
    gen = torch.Generator(device="cuda").manual_seed(0)
    y, _ = A.AddNoise(p=1.0, generator=gen)(x, lengths)
    assert y.is_cuda
    f = torch.randn(4, 50, 40, device="cuda")
    fy, _ = A.SpecAugment(seed=0)(f, torch.full((4,), 50, device="cuda"))
    assert fy.is_cuda
    m, soft, _ = A.Mixup(num_classes=3, seed=0)(f, torch.tensor([0, 1, 2, 0], device="cuda"))
    assert m.is_cuda and soft.is_cuda


def test_compose_moves_with_to():
    """Augmentations are nn.Modules: ``.to(device)`` must work (no method shadows Module._apply)."""
    chain = A.build_waveform_augment(
        {"gain": {"p": 1.0}, "noise": {"p": 1.0}, "reverb": {"p": 1.0}}, sample_rate=16000, seed=0
    )
    chain = chain.to("cpu").to(torch.float32)
    x = torch.randn(2, 4000) * 0.1
    y, lengths = chain(x, torch.tensor([4000, 2000]))
    assert y.shape == x.shape and lengths.tolist() == [4000, 2000]
    spec = A.build_spec_augment({"specaugment": {"p": 1.0}}, seed=0).to("cpu")
    f, _ = spec(torch.randn(2, 50, 40), torch.tensor([50, 30]))
    assert f.shape == (2, 50, 40)
