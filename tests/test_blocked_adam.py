"""The blocked Adam / AdamW step gives torch's numbers bit for bit (audiokit.train.blocked_adam)."""

from __future__ import annotations

import pytest
import torch

from audiokit.train.blocked_adam import BLOCK_ELEMENTS, BlockedAdam, BlockedAdamW, _dense
from audiokit.train.config import TrainConfig
from audiokit.train.optim import make_optimizer

TORCH = {BlockedAdamW: torch.optim.AdamW, BlockedAdam: torch.optim.Adam}


def _params(seed: int = 0) -> list[torch.nn.Parameter]:
    """Shapes that cover the cases: blocks with a short last one, a channels-last weight, a
    tensor of exactly one block, small ones, and one without a gradient."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(1000,), (16, 8, 3, 5), (256,), (7,), (33, 9), (5,)]
    ps = [torch.nn.Parameter(torch.randn(s, generator=g)) for s in shapes]
    ps[1].data = ps[1].data.contiguous(memory_format=torch.channels_last)
    return ps


def _run(cls, ps, steps: int, block: int | None, seed: int = 1, **kw) -> torch.optim.Optimizer:
    groups = [{"params": ps[:3]}, {"params": ps[3:], "lr": 3e-3, "weight_decay": 0.0}]
    opt = cls(groups, lr=1e-2, weight_decay=0.05, **kw)
    if block is not None:
        opt.block_elements = block
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0 / (1 + i))
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        for i, p in enumerate(ps):
            # gradients of many magnitudes, and the last parameter never gets one
            scale = 10.0 ** torch.randint(-6, 2, (1,), generator=g).item()
            p.grad = None if i == len(ps) - 1 else torch.randn(p.shape, generator=g) * scale
            if p.grad is not None and p.dim() == 4:
                p.grad = p.grad.contiguous(memory_format=torch.channels_last)
        opt.step()
        sched.step()
    return opt


def _assert_same(a_ps, a_opt, b_ps, b_opt) -> None:
    for pa, pb in zip(a_ps, b_ps):
        assert torch.equal(pa, pb)
        sa, sb = a_opt.state[pa], b_opt.state[pb]
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k
            assert sa[k].dtype == sb[k].dtype and sa[k].stride() == sb[k].stride(), k


@pytest.mark.parametrize("cls", [BlockedAdamW, BlockedAdam])
@pytest.mark.parametrize("block", [64, 256, None])
def test_blocked_step_is_torchs_foreach_step_bit_for_bit(cls, block):
    ours_ps, theirs_ps = _params(), _params()
    ours = _run(cls, ours_ps, 6, block, foreach=True)
    theirs = _run(TORCH[cls], theirs_ps, 6, None, foreach=True)
    _assert_same(ours_ps, ours, theirs_ps, theirs)
    # and torch's default (the single-tensor loop) agrees too
    loop_ps = _params()
    _assert_same(ours_ps, ours, loop_ps, _run(TORCH[cls], loop_ps, 6, None))


def test_a_tensor_over_the_default_block_is_split_and_still_exact():
    n = 2 * BLOCK_ELEMENTS + 123
    ps = {k: [torch.nn.Parameter(torch.linspace(-1, 1, n))] for k in ("ours", "theirs")}
    opts = {"ours": BlockedAdamW(ps["ours"], lr=1e-3, foreach=True),
            "theirs": torch.optim.AdamW(ps["theirs"], lr=1e-3, foreach=True)}
    calls = []
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        grad = torch.randn(n, generator=g)
        for k in ps:
            ps[k][0].grad = grad.clone()
        with torch.profiler.profile() as prof:
            opts["ours"].step()
        calls.append(sum(e.count for e in prof.key_averages() if e.key == "aten::addcdiv_"))
        opts["theirs"].step()
    assert calls == [3, 3, 3]  # three blocks per step
    _assert_same(ps["ours"], opts["ours"], ps["theirs"], opts["theirs"])


def test_state_dicts_cross_between_torch_and_blocked():
    """A checkpoint written by either class resumes in the other to the same numbers."""
    a_ps, b_ps = _params(), _params()
    a = _run(BlockedAdamW, a_ps, 3, 64, foreach=True)
    b = _run(torch.optim.AdamW, b_ps, 3, None, foreach=True)
    a2 = torch.optim.AdamW([{"params": a_ps[:3]}, {"params": a_ps[3:]}], foreach=True)
    a2.load_state_dict(a.state_dict())
    b2 = BlockedAdamW([{"params": b_ps[:3]}, {"params": b_ps[3:]}], foreach=True)
    b2.block_elements = 64
    b2.load_state_dict(b.state_dict())
    g = torch.Generator().manual_seed(5)
    for _ in range(2):
        for pa, pb in zip(a_ps[:-1], b_ps[:-1]):
            grad = torch.randn(pa.shape, generator=g)
            pa.grad, pb.grad = grad.clone(), grad.clone()
        a2.step()
        b2.step()
    _assert_same(a_ps, a2, b_ps, b2)


@pytest.mark.parametrize("kw", [{"amsgrad": True}, {"maximize": True}, {"foreach": False}])
def test_what_it_does_not_block_is_torchs_step(kw):
    ours_ps, theirs_ps = _params(), _params()
    ours = _run(BlockedAdamW, ours_ps, 4, 64, **kw)
    theirs = _run(torch.optim.AdamW, theirs_ps, 4, None, **kw)
    _assert_same(ours_ps, ours, theirs_ps, theirs)


@pytest.mark.parametrize("kw", [{"foreach": True}, {"amsgrad": True, "foreach": True}])
def test_step_hooks_and_closure_run_once_per_step(kw):
    ps = _params()
    opt = BlockedAdamW(ps, lr=1e-2, **kw)
    torch.optim.AdamW(_params(), **kw).step()  # torch's own step is hook-wrapped by now
    seen = []
    opt.register_step_pre_hook(lambda *_: seen.append("pre"))
    opt.register_step_post_hook(lambda *_: seen.append("post"))

    def closure():
        seen.append("closure")
        for p in ps:
            p.grad = torch.ones_like(p)
        return torch.tensor(1.5)

    assert opt.step(closure).item() == 1.5
    assert seen == ["pre", "closure", "post"]
    assert all(opt.state[p]["step"].item() == 1.0 for p in ps)


def test_dense_means_no_gaps_in_any_dimension_order():
    x = torch.zeros(4, 6, 5, 3)
    assert _dense(x) and _dense(x.contiguous(memory_format=torch.channels_last))
    assert _dense(x.transpose(0, 2)) and _dense(torch.zeros(1, 5, 1))
    assert not _dense(x[:, ::2]) and not _dense(torch.zeros(5).expand(3, 5))


def test_make_optimizer_builds_the_blocked_classes_with_the_chosen_kernel():
    params = [torch.nn.Parameter(torch.zeros(3))]
    for name, cls in (("adamw", BlockedAdamW), ("adam", BlockedAdam)):
        for fused in ("auto", True):
            opt = make_optimizer(TrainConfig(optimizer=name, fused_optimizer=fused), params, "cpu")
            assert type(opt) is cls
            assert opt.param_groups[0]["fused"] is (fused is True)
    assert type(make_optimizer(TrainConfig(optimizer="sgd"), params, "cpu")) is torch.optim.SGD
