"""Tests of the model zoo (audiokit.models): sizes, shapes, length masking, training, errors, ONNX export.

Tiny presets everywhere except the parameter-count test. Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

from audiokit import models
from audiokit.models.pooling import build_pooling

NAMES = models.available()

# reference sizes (millions of parameters) at n_features=80, num_classes=10, default settings
TARGET_M = {
    "tdnn": 2.77, "ecapa_tdnn": 6.20, "panns_cnn6": 4.57, "panns_cnn10": 4.96, "panns_cnn14": 79.7,
    "res2net": 5.61, "resnet_se": 9.13, "campplus": 7.18, "eres2net": 6.61, "eres2net_v2": 5.46,
}


def _tiny(name: str, n_features: int = 40, num_classes: int = 4, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return models.build(name, num_classes, n_features=n_features, preset="tiny")


def _perturb_batchnorm(model: torch.nn.Module) -> None:
    """Give BatchNorm layers non-trivial shifts so that any leak of padded frames shows up."""
    g = torch.Generator().manual_seed(1)
    for mod in model.modules():
        if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
            mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=g) * 0.3)
            if mod.affine:
                mod.bias.data.copy_(torch.randn(mod.bias.shape, generator=g) * 0.5)


def test_available_lists_all_ten():
    assert NAMES == ["tdnn", "ecapa_tdnn", "panns_cnn6", "panns_cnn10", "panns_cnn14", "res2net", "resnet_se",
                     "campplus", "eres2net", "eres2net_v2"]


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count_matches_reference(name):
    model = models.build(name, 10, n_features=80)
    n = models.count_parameters(model) / 1e6
    assert abs(n / TARGET_M[name] - 1) <= 0.05, f"{name}: {n:.3f} M vs {TARGET_M[name]} M"
    assert model.num_classes == 10 and model.n_features == 80 and model.embedding_dim > 0


@pytest.mark.parametrize("name", NAMES)
def test_tiny_preset_is_small(name):
    n = models.count_parameters(_tiny(name, 80))
    assert 50_000 < n < 600_000


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_features", [40, 64, 80])
def test_output_shapes(name, n_features):
    model = _tiny(name, n_features, num_classes=7).eval()
    # T = 1 exercises the internal padding up to min_frames
    frames = sorted({1, model.min_frames, 61}) if n_features == 40 else [max(33, model.min_frames)]
    with torch.no_grad():
        for t in frames:
            x = torch.randn(2, t, n_features)
            assert model(x).shape == (2, 7), (name, t)
        emb = model.embed(torch.randn(3, 40, n_features), torch.tensor([40, 20, 3]))
    assert emb.shape == (3, model.embedding_dim)
    assert torch.isfinite(emb).all()


@pytest.mark.parametrize("name", NAMES)
def test_padding_does_not_change_logits(name):
    model = _tiny(name)
    _perturb_batchnorm(model)
    model.eval()
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(1, 37, 40, generator=g), torch.randn(1, 70, 40, generator=g)
    batch = torch.zeros(2, 70, 40)
    batch[0, :37], batch[1] = a[0], b[0]
    with torch.no_grad():
        alone_a, alone_b = model(a), model(b)
        together = model(batch, torch.tensor([37, 70]))
    torch.testing.assert_close(together[0], alone_a[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(together[1], alone_b[0], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_batch_of_one_eval_and_two_train(name):
    model = _tiny(name)
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(1, 60, 40)).shape == (1, 4)
    model.train()
    out = model(torch.randn(2, 40, 40), torch.tensor([40, 23]))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", NAMES)
def test_a_few_adam_steps_reduce_the_loss(name):
    model = _tiny(name, num_classes=2)
    g = torch.Generator().manual_seed(3)
    # CNN14 pools time 5 times: give it enough frames that its deepest BatchNorm sees > 1 frame
    x = torch.randn(4, max(32, 2 * model.min_frames), 40, generator=g)
    y = torch.tensor([0, 1] * 2)
    x[y == 1, :, :20] += 1.5  # class 1: energy in the low bins
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def loss_with_fixed_dropout() -> float:
        torch.manual_seed(5)  # same dropout masks before and after training
        with torch.no_grad():
            return F.cross_entropy(model(x), y).item()

    model.train()
    before = loss_with_fixed_dropout()
    torch.manual_seed(4)
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    assert loss_with_fixed_dropout() < before


def test_errors_are_clear():
    with pytest.raises(ValueError, match="valid names are.*ecapa_tdnn"):
        models.build("ecapa", 10)
    with pytest.raises(ValueError, match="does not accept 'widht'.*accepted overrides are.*channels"):
        models.build("tdnn", 10, widht=3)
    with pytest.raises(ValueError, match="no preset 'huge'.*tiny"):
        models.build("tdnn", 10, preset="huge")
    with pytest.raises(ValueError, match="n_features=20.*n_features >= 32"):
        models.build("panns_cnn14", 10, n_features=20)
    with pytest.raises(ValueError, match="n_features >= 8"):
        models.build("eres2net", 10, n_features=4)
    with pytest.raises(ValueError, match="unknown pooling"):
        models.build("tdnn", 10, pooling="max")
    model = _tiny("tdnn")
    with pytest.raises(ValueError, match=r"\(batch, frames, 40\)"):
        model(torch.randn(2, 40, 80))


@pytest.mark.parametrize("pooling", ["tap", "tsp", "sap", "asp"])
def test_pooling_ignores_padding(pooling):
    torch.manual_seed(0)
    pool = build_pooling(pooling, 6, attention_channels=8).eval()
    x = torch.randn(1, 6, 30)
    padded = torch.cat((x, 100 * torch.randn(1, 6, 20)), dim=-1)
    with torch.no_grad():
        torch.testing.assert_close(pool(padded, torch.tensor([30])), pool(x), atol=1e-5, rtol=1e-5)
    assert pool(x).shape == (1, pool.out_dim)


@pytest.mark.parametrize("pooling", ["tap", "tsp", "sap", "asp"])
def test_pooling_option_of_tdnn_family(pooling):
    for name in ("tdnn", "ecapa_tdnn", "res2net", "resnet_se"):
        model = models.build(name, 3, n_features=40, preset="tiny", pooling=pooling).eval()
        with torch.no_grad():
            assert model(torch.randn(1, 30, 40)).shape == (1, 3)


def test_checkpointing_gives_the_same_gradients():
    x, y = torch.randn(2, 20, 40), torch.tensor([0, 1])
    grads = []
    for ckpt in (False, True):
        torch.manual_seed(0)
        model = models.build("ecapa_tdnn", 2, n_features=40, preset="tiny", checkpointing=ckpt)
        model.train()
        F.cross_entropy(model(x), y).backward()
        grads.append(model.layer1[0].weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


@pytest.mark.parametrize("name", ["tdnn", "ecapa_tdnn", "campplus"])
def test_onnx_export_matches_onnxruntime(name, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = _tiny(name).eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 60, 40), torch.tensor([60, 41])), str(path), dynamo=False,
                          input_names=["features", "lengths"], output_names=["logits"], opset_version=17,
                          dynamic_axes={"features": {0: "batch", 1: "frames"}, "lengths": {0: "batch"},
                                        "logits": {0: "batch"}})
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x, lengths = torch.randn(3, 77, 40), torch.tensor([77, 50, 66])
    got = session.run(None, {"features": x.numpy(), "lengths": lengths.numpy()})[0]
    with torch.no_grad():
        ref = model(x, lengths).numpy()
    assert abs(got - ref).max() < 1e-4


@pytest.mark.parametrize("name", ["tdnn", "panns_cnn6", "resnet_se"])
def test_clip_shorter_than_min_frames_same_alone_and_in_batch(name):
    """A clip with fewer frames than ``min_frames`` is handled by the model itself: it gives the
    same logits alone as inside a longer, zero-padded batch (no NaN from pooling zero frames)."""
    torch.manual_seed(0)
    model = models.build(name, num_classes=4, n_features=40, preset="tiny").eval()
    short = max(1, model.min_frames // 2)
    clip = torch.randn(1, short, 40)
    batch = torch.zeros(2, 60, 40)
    batch[0, :short] = clip[0]
    batch[1] = torch.randn(60, 40)
    with torch.no_grad():
        alone = model(clip, torch.tensor([short]))
        together = model(batch, torch.tensor([short, 60]))
    assert torch.isfinite(together).all()
    assert torch.allclose(alone[0], together[0], atol=1e-4)


def test_fast_dropout_is_dropout():
    """The CPU's hand-written dropout (PANNs' block dropout): zeros with probability p, the rest
    scaled by 1 / (1 - p), gradients through the same mask, layout and dtype kept, identity in
    eval. The kept fraction of 2 M elements has a standard deviation of 2.8e-4 at p = 0.2, so
    the bound 2e-3 is 7 of them."""
    from audiokit.models.blocks import fast_dropout

    torch.manual_seed(0)
    x = (torch.rand(8, 64, 40, 100) + 0.5).to(memory_format=torch.channels_last).requires_grad_()
    y = fast_dropout(x, 0.2, True)
    kept = y != 0
    assert abs(kept.double().mean().item() - 0.8) < 2e-3
    scale = torch.ones(()).div_(0.8)  # 1 / (1 - p) in float32, as F.dropout's noise holds it
    assert torch.equal(y[kept], x.detach()[kept] * scale)
    assert y.is_contiguous(memory_format=torch.channels_last)
    y.backward(torch.ones_like(y))
    assert torch.equal(x.grad, kept.float() * scale)
    assert fast_dropout(x, 0.2, False) is x
    assert torch.equal(fast_dropout(x, 1.0, True), torch.zeros_like(x))  # F.dropout's p = 1
    half = x.detach().bfloat16()
    assert fast_dropout(half, 0.5, True).dtype == torch.bfloat16
    torch.manual_seed(3)
    a = fast_dropout(x, 0.2, True)
    torch.manual_seed(3)
    assert torch.equal(a, fast_dropout(x, 0.2, True))  # the seed decides the mask


@pytest.mark.parametrize("channels", [4, 8, 13, 26])
def test_folded_batchnorm_is_torchs_batchnorm(channels):
    """FoldedBatchNorm2d on channels-last CPU maps: torch's channels-last forward and running
    statistics bit for bit, and torch's gradients (both layouts' kernels) within 1e-5 of each
    tensor's largest value. Why that bound: the same sums in another order, over 8 x 20 x 37 =
    5920 pixels per channel; float32 summation error grows like sqrt(n) * 6e-8 = 5e-6 in a bad
    case, so 1e-5 leaves a factor 2 for another CPU's kernels. Measured (Intel Xeon, 30 cases:
    six channel counts x five seeds): at most 2.6e-6."""
    from audiokit.models.folded_batchnorm import FoldedBatchNorm2d, folds

    g = torch.Generator().manual_seed(channels)
    x0 = (torch.randn(8, channels, 20, 37, generator=g) * 3 + 1).contiguous(
        memory_format=torch.channels_last)
    grad = torch.randn(8, channels, 20, 37, generator=g).contiguous(memory_format=torch.channels_last)
    bns = {k: torch.nn.BatchNorm2d(channels) for k in ("ours", "nhwc", "nchw")}
    with torch.no_grad():
        bns["nhwc"].weight.uniform_(0.5, 1.5, generator=g)
        bns["nhwc"].bias.uniform_(-1, 1, generator=g)
    for k in ("ours", "nchw"):
        bns[k].load_state_dict(bns["nhwc"].state_dict())
    bns["ours"].__class__ = FoldedBatchNorm2d
    assert folds(channels) > 1 and bns["ours"]._foldable(x0) == folds(channels)
    outs = {}
    for name, bn in bns.items():
        fmt = torch.contiguous_format if name == "nchw" else torch.channels_last
        x = x0.clone(memory_format=fmt).requires_grad_()
        for _ in range(2):  # two steps: the running statistics move twice
            y = bn(x)
            y.backward(grad.contiguous(memory_format=fmt))
        outs[name] = (y, x.grad / 2, bn.weight.grad / 2, bn.bias.grad / 2)
    assert torch.equal(outs["ours"][0], outs["nhwc"][0])
    assert outs["ours"][1].is_contiguous(memory_format=torch.channels_last)
    for ref in ("nhwc", "nchw"):
        for a, b in zip(outs["ours"][1:], outs[ref][1:]):
            assert ((a - b).abs().max() / b.abs().max()).item() < 1e-5, ref
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        assert torch.equal(getattr(bns["ours"], key), getattr(bns["nhwc"], key)), key
    # a gradient that arrives NCHW is the same gradient
    x = x0.clone().requires_grad_()
    bns["ours"](x).backward(grad.contiguous())
    ref = outs["nhwc"][1]
    assert ((x.grad - ref).abs().max() / ref.abs().max()).item() < 1e-5


def test_folded_batchnorm_applies_where_it_pays_and_nowhere_else():
    from audiokit.models.folded_batchnorm import FoldedBatchNorm2d, folds
    from audiokit.train.fastpath import to_channels_last

    assert [folds(c) for c in (4, 8, 12, 13, 16, 24, 26, 31, 32, 40, 64)] == [4, 2, 4, 16, 1, 2, 8, 16,
                                                                          1, 1, 1]
    bn = torch.nn.BatchNorm2d(8)
    bn.__class__ = FoldedBatchNorm2d
    cl = torch.randn(2, 8, 5, 3).contiguous(memory_format=torch.channels_last)
    assert bn._foldable(cl) == 2
    assert bn._foldable(cl.contiguous()) == 0                        # NCHW: torch's kernel
    odd = torch.randn(1, 8, 1, 3).contiguous(memory_format=torch.channels_last)
    assert bn._foldable(odd) == 0                                    # 3 pixels: no whole rows of 2
    with torch.no_grad():
        assert bn._foldable(cl) == 0                                 # no backward to speed up
    assert bn.eval()._foldable(cl) == 0                              # running statistics
    assert torch.equal(bn(cl), torch.nn.functional.batch_norm(
        cl, bn.running_mean, bn.running_var, bn.weight, bn.bias, False))
    model = models.build("resnet_se", 4, 16, preset="tiny")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    to_channels_last(model, "cpu")
    folded = [m.num_features for m in model.modules() if type(m) is FoldedBatchNorm2d]
    assert folded and all(folds(c) > 1 for c in folded)
    assert all(m.num_features % 16 == 0 or m.num_features >= 32
               for m in model.modules() if type(m) is torch.nn.BatchNorm2d)
    assert model.state_dict().keys() == before.keys()
    other = models.build("resnet_se", 4, 16, preset="tiny")
    to_channels_last(other, "cuda")  # CUDA keeps torch's batch norm (cuDNN)
    assert not any(type(m) is FoldedBatchNorm2d for m in other.modules())
