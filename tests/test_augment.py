"""audiokit.augment: shapes, probabilities, seeding, measured effects, factories, devices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
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
        {"gain": {"p": 1.0}, "noise": {"p": 1.0}, "reverb": {"p": 1.0}}, sample_rate=16000, seed=0)
    chain = chain.to("cpu").to(torch.float32)
    x = torch.randn(2, 4000) * 0.1
    y, lengths = chain(x, torch.tensor([4000, 2000]))
    assert y.shape == x.shape and lengths.tolist() == [4000, 2000]
    spec = A.build_spec_augment({"specaugment": {"p": 1.0}}, seed=0).to("cpu")
    f, _ = spec(torch.randn(2, 50, 40), torch.tensor([50, 30]))
    assert f.shape == (2, 50, 40)
